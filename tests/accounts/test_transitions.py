"""The actions a subscription offers are exactly those its services accept: one set of rules
(`accounts.transitions`) answers both."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Subscription
from accounts.selectors import available_actions
from accounts.transitions import Action, refusal
from tests.factories import ProductFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

# A date safely in the future in the site's zone (services compare with its local today).
TOMORROW = timezone.localdate() + dt.timedelta(days=2)


def _cheaper(sub: Subscription):
    return ProductFactory(currency=sub.product.currency, price=Decimal("1.00"))


# How to call each agent action's service, given the subscription.
CALLS = {
    Action.CANCEL: lambda sub: services.subscription_cancel(actor=None, subscription=sub),
    Action.SCHEDULE_CANCELLATION: lambda sub: services.subscription_schedule_cancellation(
        actor=None, subscription=sub, cancel_on=TOMORROW + dt.timedelta(days=60)
    ),
    Action.WITHDRAW_CANCELLATION: lambda sub: services.subscription_withdraw_cancellation(
        actor=None, subscription=sub
    ),
    Action.SCHEDULE_DOWNGRADE: lambda sub: services.subscription_schedule_downgrade(
        actor=None, subscription=sub, product=_cheaper(sub), downgrade_on=TOMORROW
    ),
    Action.WITHDRAW_DOWNGRADE: lambda sub: services.subscription_withdraw_downgrade(
        actor=None, subscription=sub
    ),
    Action.CHANGE_PRODUCT: lambda sub: services.subscription_change_product(
        actor=None, subscription=sub, product=ProductFactory(currency=sub.product.currency)
    ),
    Action.SCHEDULE_PAUSE: lambda sub: services.subscription_schedule_pause(
        actor=None, subscription=sub, pause_on=TOMORROW, months=2
    ),
    Action.CANCEL_PAUSE: lambda sub: services.subscription_cancel_scheduled_pause(
        actor=None, subscription=sub
    ),
    Action.END_PAUSE: lambda sub: services.subscription_end_pause_early(
        actor=None, subscription=sub
    ),
    Action.REFRESH_ENTITLEMENTS: lambda sub: services.subscription_refresh_entitlements(
        actor=None, subscription=sub
    ),
}

# Subscriptions in each state an agent meets.
STATES = {
    "active": {},
    "trial": {"status": Subscription.Status.TRIAL},
    "paused": {"status": Subscription.Status.PAUSED, "paused_until": TOMORROW},
    "cancelled": {"status": Subscription.Status.CANCELLED, "next_billing_on": None},
    "expired": {"status": Subscription.Status.EXPIRED, "next_billing_on": None},
    "cancellation scheduled": {"cancellation_scheduled_for": TOMORROW + dt.timedelta(days=90)},
    "pause scheduled": {"pause_scheduled_for": TOMORROW, "pause_months": 1},
    "downgrade scheduled": {"downgrade_scheduled_for": TOMORROW},
}


def make(state: str) -> Subscription:
    values = dict(STATES[state])
    sub = SubscriptionFactory(**values)
    if state == "downgrade scheduled":
        sub.downgrade_to = _cheaper(sub)
        sub.save()
    return sub


def test_every_agent_action_has_a_service_here():
    assert set(CALLS) == {action for action in Action if action != Action.ACTIVATE_PAUSE}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", list(CALLS))
def test_an_offered_action_is_accepted_and_another_refused_with_its_reason(state, action):
    sub = make(state)
    offered = action in available_actions(sub)
    if offered:
        CALLS[action](sub)
    else:
        with pytest.raises(ValidationError) as caught:
            CALLS[action](sub)
        assert caught.value.messages == [refusal(action, sub)]


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (
            "active",
            {"cancel", "schedule-cancellation", "schedule-downgrade", "change-product"}
            | {"schedule-pause", "refresh-entitlements"},
        ),
        (
            "paused",
            {"cancel", "schedule-cancellation", "schedule-downgrade", "change-product"}
            | {"end-pause", "refresh-entitlements"},
        ),
        ("cancelled", set()),
        ("expired", set()),
        (
            "cancellation scheduled",
            {"cancel", "withdraw-cancellation", "schedule-downgrade", "change-product"}
            | {"schedule-pause", "refresh-entitlements"},
        ),
    ],
)
def test_what_each_state_offers(state, expected):
    assert set(available_actions(make(state))) == expected


def test_the_account_page_offers_the_available_actions_only(service_client):
    sub = make("pause scheduled")
    _cheaper(sub)  # a product to change or downgrade to
    page = service_client.get(sub.account.get_absolute_url()).content.decode()

    for action in CALLS:
        url = reverse(
            "accounts:subscription-action",
            args=[sub.account.customer_number, sub.order_id, action.value],
        )
        assert (url in page) == (action in available_actions(sub)), action
