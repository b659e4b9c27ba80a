"""A new purchase, cancelling now, and a scheduled cancellation and its withdrawal: the state
change and its typed event, and the refusals that leave the subscription and the timeline
untouched."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import services
from accounts.models import Subscription
from tests.accounts.action_helpers import (
    REASON,
    assert_by_agent,
    no_events,
    the_event,
    without_changes,
)
from tests.accounts.conftest import in_days, reloaded

pytestmark = pytest.mark.django_db


# --- New purchase ---------------------------------------------------------------------------------


def test_purchase_creates_a_live_subscription(agent, account, plus):
    subscription = services.subscription_create(
        actor=agent, account=account, product=plus, order_id="ORD-NEW"
    )
    subscription.refresh_from_db()
    assert (subscription.status, subscription.started_on) == ("active", timezone.localdate())
    assert subscription.next_billing_on.day == account.billing_day


def test_purchase_records_new_purchase_with_the_discount(agent, account, plus):
    subscription = services.subscription_create(
        actor=agent,
        account=account,
        product=plus,
        order_id="ORD-NEW",
        discount_name="Welcome offer",
        discount_occurrences=3,
    )
    event = the_event(account)
    assert (event.type, event.subscription, without_changes(event.data)) == (
        "new_purchase",
        subscription,
        {
            "product": "Digital Plus",
            "order_id": "ORD-NEW",
            "discount_name": "Welcome offer",
            "discount_occurrences": 3,
        },
    )
    assert_by_agent(event, agent)


def test_purchase_with_a_taken_order_id_is_refused(agent, account, plus, subscription):
    with pytest.raises(ValidationError):
        services.subscription_create(
            actor=agent, account=account, product=plus, order_id=subscription.order_id
        )
    assert Subscription.objects.count() == 1
    assert no_events()


# --- Cancel now -----------------------------------------------------------------------------------


def test_cancel_ends_the_subscription_today(agent, subscription):
    services.subscription_cancel(actor=agent, subscription=subscription, reason=REASON)
    subscription.refresh_from_db()
    assert (subscription.status, subscription.ended_on, subscription.next_billing_on) == (
        "cancelled",
        timezone.localdate(),
        None,
    )


def test_cancel_drops_every_scheduled_change(agent, subscription, basic):
    subscription.cancellation_scheduled_for = in_days(30)
    subscription.downgrade_to, subscription.downgrade_scheduled_for = basic, in_days(20)
    subscription.pause_scheduled_for, subscription.pause_months = in_days(10), 2
    subscription.save()
    services.subscription_cancel(actor=agent, subscription=subscription, reason=REASON)
    subscription.refresh_from_db()
    assert subscription.cancellation_scheduled_for is None
    assert (subscription.downgrade_to, subscription.downgrade_scheduled_for) == (None, None)
    assert (subscription.pause_scheduled_for, subscription.pause_months) == (None, None)


def test_cancel_records_subscription_cancelled(agent, account, subscription):
    services.subscription_cancel(actor=agent, subscription=subscription, reason=REASON)
    event = the_event(account)
    assert (event.type, event.subscription, without_changes(event.data)) == (
        "subscription_cancelled",
        subscription,
        {"product": "Digital Plus", "order_id": "ORD-100", "reason": REASON},
    )
    assert_by_agent(event, agent)


@pytest.mark.parametrize("status", ["cancelled", "expired"])
def test_cancelling_an_ended_subscription_is_refused(agent, subscription, status):
    Subscription.objects.filter(pk=subscription.pk).update(status=status)
    with pytest.raises(ValidationError, match=f"Subscription ORD-100 is {status}."):
        services.subscription_cancel(actor=agent, subscription=subscription, reason=REASON)
    assert no_events()


# --- Scheduled cancellation ---------------------------------------------------------------------


def test_scheduled_cancellation_is_saved(agent, subscription):
    services.subscription_schedule_cancellation(
        actor=agent, subscription=subscription, cancel_on=in_days(30)
    )
    subscription.refresh_from_db()
    assert (subscription.status, subscription.cancellation_scheduled_for) == (
        "active",
        in_days(30),
    )


def test_scheduled_cancellation_records_its_date(agent, account, subscription):
    services.subscription_schedule_cancellation(
        actor=agent, subscription=subscription, cancel_on=in_days(30)
    )
    event = the_event(account)
    assert (event.type, without_changes(event.data)) == (
        "subscription_cancellation_scheduled",
        {
            "product": "Digital Plus",
            "order_id": "ORD-100",
            "cancellation_date": in_days(30).isoformat(),
        },
    )
    assert_by_agent(event, agent)


@pytest.mark.parametrize("days", [0, -1])
def test_cancellation_not_after_today_is_refused(agent, subscription, days):
    with pytest.raises(ValidationError, match="The cancellation date must be after today."):
        services.subscription_schedule_cancellation(
            actor=agent, subscription=subscription, cancel_on=in_days(days)
        )
    assert reloaded(subscription).cancellation_scheduled_for is None
    assert no_events()


def test_cancellation_given_as_a_date_and_time_is_refused(agent, subscription):
    moment = timezone.now() + dt.timedelta(days=30)
    with pytest.raises(ValidationError, match="Give the cancellation date as a date."):
        services.subscription_schedule_cancellation(
            actor=agent, subscription=subscription, cancel_on=moment
        )
    assert reloaded(subscription).cancellation_scheduled_for is None
    assert no_events()


def test_second_scheduled_cancellation_is_refused(agent, subscription):
    Subscription.objects.filter(pk=subscription.pk).update(cancellation_scheduled_for=in_days(9))
    with pytest.raises(ValidationError, match="A cancellation is already scheduled"):
        services.subscription_schedule_cancellation(
            actor=agent, subscription=subscription, cancel_on=in_days(30)
        )
    assert reloaded(subscription).cancellation_scheduled_for == in_days(9)
    assert no_events()


def test_scheduling_cancellation_of_a_cancelled_subscription_is_refused(agent, subscription):
    Subscription.objects.filter(pk=subscription.pk).update(status="cancelled")
    with pytest.raises(ValidationError, match="Subscription ORD-100 is cancelled."):
        services.subscription_schedule_cancellation(
            actor=agent, subscription=subscription, cancel_on=in_days(30)
        )
    assert no_events()


def test_withdrawn_cancellation_restores_the_subscription(agent, subscription):
    services.subscription_schedule_cancellation(
        actor=agent, subscription=subscription, cancel_on=in_days(30)
    )
    services.subscription_withdraw_cancellation(actor=agent, subscription=subscription)
    subscription.refresh_from_db()
    assert (subscription.status, subscription.cancellation_scheduled_for) == ("active", None)


def test_withdrawn_cancellation_is_recorded(agent, account, subscription):
    Subscription.objects.filter(pk=subscription.pk).update(cancellation_scheduled_for=in_days(9))
    services.subscription_withdraw_cancellation(actor=agent, subscription=subscription)
    event = the_event(account)
    assert (event.type, without_changes(event.data)) == (
        "subscription_cancellation_withdrawn",
        {"product": "Digital Plus", "order_id": "ORD-100"},
    )
    assert_by_agent(event, agent)


def test_withdrawing_a_cancellation_that_is_not_scheduled_is_refused(agent, subscription):
    with pytest.raises(
        ValidationError, match="No cancellation is scheduled for this subscription."
    ):
        services.subscription_withdraw_cancellation(actor=agent, subscription=subscription)
    assert no_events()
