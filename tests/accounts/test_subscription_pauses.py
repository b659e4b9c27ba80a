"""Pauses, scheduled, cancelled, activated and ended early, and the refresh of entitlements:
the state change and its typed event, and the refusals that leave the subscription and the
timeline untouched."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import services
from accounts.models import Subscription
from tests.accounts.action_helpers import assert_by_agent, no_events, the_event, without_changes
from tests.accounts.conftest import in_days, reloaded
from tests.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db


# --- Pauses -------------------------------------------------------------------------------------


def test_scheduled_pause_is_saved(agent, subscription):
    services.subscription_schedule_pause(
        actor=agent, subscription=subscription, pause_on=in_days(10), months=2
    )
    subscription.refresh_from_db()
    assert (subscription.status, subscription.pause_scheduled_for, subscription.pause_months) == (
        "active",
        in_days(10),
        2,
    )


def test_scheduled_pause_records_date_and_months(agent, account, subscription):
    services.subscription_schedule_pause(
        actor=agent, subscription=subscription, pause_on=in_days(10), months=2
    )
    event = the_event(account)
    assert (event.type, without_changes(event.data)) == (
        "pause_scheduled",
        {
            "product": "Digital Plus",
            "order_id": "ORD-100",
            "pause_date": in_days(10).isoformat(),
            "months": 2,
        },
    )
    assert_by_agent(event, agent)


@pytest.mark.parametrize("status", ["cancelled", "paused", "trial", "expired"])
def test_pausing_a_subscription_that_is_not_active_is_refused(agent, subscription, status):
    Subscription.objects.filter(pk=subscription.pk).update(status=status)
    with pytest.raises(ValidationError, match="Only an active subscription can be paused."):
        services.subscription_schedule_pause(
            actor=agent, subscription=subscription, pause_on=in_days(10), months=2
        )
    assert reloaded(subscription).pause_scheduled_for is None
    assert no_events()


@pytest.mark.parametrize("months", [0, 13, True])
def test_pause_length_outside_one_to_twelve_months_is_refused(agent, subscription, months):
    with pytest.raises(ValidationError):
        services.subscription_schedule_pause(
            actor=agent, subscription=subscription, pause_on=in_days(10), months=months
        )
    assert reloaded(subscription).pause_scheduled_for is None
    assert no_events()


def test_pause_starting_today_is_refused(agent, subscription):
    with pytest.raises(ValidationError, match="The pause date must be after today."):
        services.subscription_schedule_pause(
            actor=agent, subscription=subscription, pause_on=in_days(0), months=1
        )
    assert no_events()


def test_second_scheduled_pause_is_refused(agent, subscription):
    Subscription.objects.filter(pk=subscription.pk).update(
        pause_scheduled_for=in_days(5), pause_months=1
    )
    with pytest.raises(ValidationError, match="A pause is already scheduled"):
        services.subscription_schedule_pause(
            actor=agent, subscription=subscription, pause_on=in_days(10), months=2
        )
    assert reloaded(subscription).pause_months == 1
    assert no_events()


def test_cancelled_scheduled_pause_is_cleared(agent, subscription):
    services.subscription_schedule_pause(
        actor=agent, subscription=subscription, pause_on=in_days(10), months=2
    )
    services.subscription_cancel_scheduled_pause(actor=agent, subscription=subscription)
    subscription.refresh_from_db()
    assert (subscription.pause_scheduled_for, subscription.pause_months) == (None, None)


def test_cancelled_scheduled_pause_is_recorded(agent, account, subscription):
    Subscription.objects.filter(pk=subscription.pk).update(
        pause_scheduled_for=in_days(5), pause_months=1
    )
    services.subscription_cancel_scheduled_pause(actor=agent, subscription=subscription)
    event = the_event(account)
    assert (event.type, without_changes(event.data)) == (
        "scheduled_pause_cancelled",
        {"product": "Digital Plus", "order_id": "ORD-100"},
    )
    assert_by_agent(event, agent)


def test_cancelling_a_pause_that_is_not_scheduled_is_refused(agent, subscription):
    with pytest.raises(ValidationError, match="No pause is scheduled for this subscription."):
        services.subscription_cancel_scheduled_pause(actor=agent, subscription=subscription)
    assert no_events()


def test_activated_pause_pauses_until_months_later(subscription):
    services.subscription_activate_pause(actor=None, subscription=subscription, months=2)
    subscription.refresh_from_db()
    assert subscription.status == "paused"
    assert subscription.paused_until > timezone.localdate() + dt.timedelta(days=55)
    assert subscription.next_billing_on == subscription.paused_until


def test_activated_pause_replaces_the_scheduled_one(subscription):
    Subscription.objects.filter(pk=subscription.pk).update(
        pause_scheduled_for=in_days(5), pause_months=1
    )
    services.subscription_activate_pause(actor=None, subscription=subscription, months=1)
    subscription.refresh_from_db()
    assert (subscription.pause_scheduled_for, subscription.pause_months) == (None, None)


def test_activated_pause_is_recorded_as_a_system_event(account, subscription):
    services.subscription_activate_pause(actor=None, subscription=subscription, months=2)
    event = the_event(account)
    assert (event.type, without_changes(event.data)) == (
        "pause_activated",
        {"product": "Digital Plus", "order_id": "ORD-100", "months": 2},
    )
    assert (event.actor, event.actor_kind, event.actor_name) == (None, "system", "System")


def test_activating_a_pause_of_a_cancelled_subscription_is_refused(subscription):
    Subscription.objects.filter(pk=subscription.pk).update(status="cancelled")
    with pytest.raises(ValidationError, match="Only an active subscription can be paused."):
        services.subscription_activate_pause(actor=None, subscription=subscription, months=1)
    assert no_events()


def test_pause_ended_early_makes_the_subscription_active(agent, subscription):
    services.subscription_activate_pause(actor=None, subscription=subscription, months=3)
    services.subscription_end_pause_early(actor=agent, subscription=subscription)
    subscription.refresh_from_db()
    assert (subscription.status, subscription.paused_until) == ("active", None)
    assert subscription.next_billing_on > timezone.localdate()
    assert subscription.next_billing_on.day == subscription.account.billing_day


def test_pause_ended_early_is_recorded(agent, account, subscription):
    Subscription.objects.filter(pk=subscription.pk).update(
        status="paused", paused_until=in_days(40)
    )
    services.subscription_end_pause_early(actor=agent, subscription=subscription)
    event = the_event(account)
    assert (event.type, without_changes(event.data)) == (
        "pause_ended_early",
        {"product": "Digital Plus", "order_id": "ORD-100"},
    )
    assert_by_agent(event, agent)


def test_ending_a_pause_of_a_subscription_that_is_not_paused_is_refused(agent, subscription):
    with pytest.raises(ValidationError, match="This subscription is not paused."):
        services.subscription_end_pause_early(actor=agent, subscription=subscription)
    assert reloaded(subscription).status == "active"
    assert no_events()


def test_a_pause_after_a_scheduled_cancellation_is_refused(agent):
    subscription = SubscriptionFactory()
    cancel_on = timezone.localdate() + dt.timedelta(days=10)
    services.subscription_schedule_cancellation(
        actor=agent, subscription=subscription, cancel_on=cancel_on
    )
    with pytest.raises(ValidationError, match="must start before"):
        services.subscription_schedule_pause(
            actor=agent, subscription=subscription, pause_on=cancel_on, months=1
        )
    subscription.refresh_from_db()
    assert subscription.pause_scheduled_for is None


# --- Entitlements ---------------------------------------------------------------------------------


def test_refreshed_entitlements_are_recorded(agent, account, subscription):
    services.subscription_refresh_entitlements(actor=agent, subscription=subscription)
    event = the_event(account)
    assert (event.type, event.subscription, without_changes(event.data)) == (
        "entitlements_refreshed",
        subscription,
        {"product": "Digital Plus", "order_id": "ORD-100"},
    )
    assert_by_agent(event, agent)


def test_refreshing_entitlements_of_a_cancelled_subscription_is_refused(agent, subscription):
    Subscription.objects.filter(pk=subscription.pk).update(status="cancelled")
    with pytest.raises(ValidationError, match="Subscription ORD-100 is cancelled."):
        services.subscription_refresh_entitlements(actor=agent, subscription=subscription)
    assert no_events()
