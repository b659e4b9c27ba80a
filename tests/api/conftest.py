"""Fixtures of the API tests: the account the requests are about. The integration and the
clients that send its token (`api`, `anonymous_api`, `disabled_api`) are in tests/conftest.py."""

import pytest

from tests.conftest import INTEGRATION_NAME  # noqa: F401  (the tests import it from here)
from tests.factories import AccountFactory

CUSTOMER = "700001"  # the customer number of `account`


@pytest.fixture
def account(db):
    return AccountFactory(customer_number=CUSTOMER)
