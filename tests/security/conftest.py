"""Fixtures of the security tests: an account to replay the audit's requests on."""

import pytest

from tests.factories import AccountFactory


@pytest.fixture
def account(db):
    return AccountFactory(customer_number="830001")
