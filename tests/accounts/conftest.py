"""Fixtures and helpers of the accounts tests: an account at a known address, the three
products an agent moves a subscription between, and a Digital Plus subscription."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import AccountFactory, ProductFactory, SubscriptionFactory


@pytest.fixture
def account(db):
    return AccountFactory(
        customer_number="800001",
        street="Storgatan 1",
        postcode="111 22",
        city="Stockholm",
        country="SE",
        billing_day=15,
    )


@pytest.fixture
def plus(db):
    return ProductFactory(name="Digital Plus", code="plus", price=Decimal("149.00"))


@pytest.fixture
def basic(db):
    return ProductFactory(name="Digital Basic", code="basic", price=Decimal("99.00"))


@pytest.fixture
def premium(db):
    return ProductFactory(name="Premium", code="premium", price=Decimal("249.00"))


@pytest.fixture
def subscription(account, plus):
    return SubscriptionFactory(account=account, product=plus, order_id="ORD-100")


def in_days(n: int) -> dt.date:
    """The site's date n days from today (negative: in the past)."""
    return timezone.localdate() + dt.timedelta(days=n)


def reloaded(instance):
    """A fresh copy of the row, leaving `instance` as the test holds it."""
    return type(instance).objects.get(pk=instance.pk)
