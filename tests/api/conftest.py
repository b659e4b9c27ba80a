"""Fixtures of the API tests: the account the requests are about, and its subscription. The
integration and the clients that send its token (`api`, `anonymous_api`, `disabled_api`) are in
tests/conftest.py."""

from decimal import Decimal

import pytest

from tests.conftest import INTEGRATION_NAME  # noqa: F401  (the tests import it from here)
from tests.factories import AccountFactory, ProductFactory, SubscriptionFactory

CUSTOMER = "700001"  # the customer number of `account`


@pytest.fixture
def account(db):
    return AccountFactory(customer_number=CUSTOMER)


@pytest.fixture
def subscription(account):
    product = ProductFactory(code="premium-sek", currency="SEK", price=Decimal("149.00"))
    return SubscriptionFactory(account=account, product=product, order_id="ORD-700300")
