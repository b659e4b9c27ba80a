from decimal import Decimal

import pytest

from config import roles
from tests.factories import AccountFactory, ProductFactory, SubscriptionFactory


@pytest.fixture
def account(db):
    return AccountFactory(customer_number="700001", name="Karin Nilsson")


@pytest.fixture
def subscription(account):
    product = ProductFactory(code="premium-sek", name="Premium", price=Decimal("149.00"))
    return SubscriptionFactory(account=account, product=product, order_id="ORD-700001")


@pytest.fixture
def finance(make_user):
    return make_user(roles.FINANCE, username="finance", first_name="Maja", last_name="Ek")


@pytest.fixture
def finance_client(client, finance):
    client.force_login(finance)
    return client
