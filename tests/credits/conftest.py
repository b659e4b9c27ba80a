"""Fixtures and helpers of the credit tests: Karin's account and Premium subscription, a
Finance user, and the units amounts are given in."""

from decimal import Decimal

import pytest

from config import roles
from credits import services
from credits.models import CreditType
from tests.factories import AccountFactory, ProductFactory, SubscriptionFactory

SEK = {"credit_type": CreditType.CURRENCY, "currency": "SEK"}
TOKENS = {"credit_type": CreditType.TOKEN, "currency": ""}


def grant(account, amount="100", subscription=None, *, actor=None, **kwargs):
    """credit_grant of SEK (unless kwargs name another unit) to the account's wallet, or the
    subscription's."""
    return services.credit_grant(
        actor=actor, account=account, subscription=subscription, amount=amount, **{**SEK, **kwargs}
    )


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


# The approval tests' (test_approval_*.py) approver, and a waiting request of theirs.


@pytest.fixture
def approver(make_user):
    """A second Finance user, who decides on the requests."""
    return make_user(roles.FINANCE, first_name="Per", last_name="Holm")


@pytest.fixture
def waiting(account, agent):
    """Sara's (Customer Service) grant of 600 SEK, over her limit of 500."""
    # Imported here: approvals_helpers imports SEK from this module.
    from tests.credits.approvals_helpers import ask

    submitted = ask(agent, account)
    assert submitted.waiting
    return submitted.approval
