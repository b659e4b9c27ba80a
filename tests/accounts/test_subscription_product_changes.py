"""A scheduled downgrade and its withdrawal, and a product change now: the state change and
its typed event, and the refusals that leave the subscription and the timeline untouched."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import Subscription
from activity.models import ActivityEvent
from tests.accounts.action_helpers import (
    REASON,
    assert_by_agent,
    no_events,
    the_event,
    without_changes,
)
from tests.accounts.conftest import in_days, reloaded
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


# --- Downgrade ------------------------------------------------------------------------------------


def test_scheduled_downgrade_is_saved(agent, subscription, basic):
    services.subscription_schedule_downgrade(
        actor=agent, subscription=subscription, product=basic, downgrade_on=in_days(14)
    )
    subscription.refresh_from_db()
    assert (subscription.product.name, subscription.downgrade_to) == ("Digital Plus", basic)
    assert subscription.downgrade_scheduled_for == in_days(14)


def test_scheduled_downgrade_records_from_to_and_date(agent, account, subscription, basic):
    services.subscription_schedule_downgrade(
        actor=agent, subscription=subscription, product=basic, downgrade_on=in_days(14)
    )
    event = the_event(account)
    assert (event.type, without_changes(event.data)) == (
        "subscription_downgrade_scheduled",
        {
            "product_from": "Digital Plus",
            "product_to": "Digital Basic",
            "downgrade_date": in_days(14).isoformat(),
            "order_id": "ORD-100",
        },
    )
    assert_by_agent(event, agent)


def test_downgrade_to_a_dearer_product_is_refused(agent, subscription, premium):
    with pytest.raises(ValidationError, match="Premium is not a downgrade from Digital Plus."):
        services.subscription_schedule_downgrade(
            actor=agent, subscription=subscription, product=premium, downgrade_on=in_days(14)
        )
    assert reloaded(subscription).downgrade_to is None
    assert no_events()


def test_downgrade_to_a_product_of_the_same_price_is_refused(agent, subscription):
    same_price = ProductFactory(name="Plus Again", price=Decimal("149.00"))
    with pytest.raises(ValidationError, match="is not a downgrade"):
        services.subscription_schedule_downgrade(
            actor=agent, subscription=subscription, product=same_price, downgrade_on=in_days(14)
        )
    assert no_events()


def test_downgrade_to_a_product_in_another_currency_is_refused(agent, subscription):
    euros = ProductFactory(name="Basic EUR", price=Decimal("9.90"), currency="EUR")
    with pytest.raises(ValidationError, match="Basic EUR is billed in EUR"):
        services.subscription_schedule_downgrade(
            actor=agent, subscription=subscription, product=euros, downgrade_on=in_days(14)
        )
    assert no_events()


def test_downgrade_to_the_current_product_is_refused(agent, subscription, plus):
    with pytest.raises(ValidationError, match="Choose a product other than the current one."):
        services.subscription_schedule_downgrade(
            actor=agent, subscription=subscription, product=plus, downgrade_on=in_days(14)
        )
    assert no_events()


def test_downgrade_to_a_product_no_longer_sold_is_refused(agent, subscription):
    retired = ProductFactory(name="Retired Lite", price=Decimal("49.00"), is_active=False)
    with pytest.raises(ValidationError, match="Retired Lite is no longer sold."):
        services.subscription_schedule_downgrade(
            actor=agent, subscription=subscription, product=retired, downgrade_on=in_days(14)
        )
    assert reloaded(subscription).downgrade_to is None
    assert no_events()


def test_downgrade_on_today_is_refused(agent, subscription, basic):
    with pytest.raises(ValidationError, match="The downgrade date must be after today."):
        services.subscription_schedule_downgrade(
            actor=agent, subscription=subscription, product=basic, downgrade_on=in_days(0)
        )
    assert no_events()


def test_second_scheduled_downgrade_is_refused(agent, subscription, basic):
    cheapest = ProductFactory(name="Lite", price=Decimal("49.00"))
    services.subscription_schedule_downgrade(
        actor=agent, subscription=subscription, product=basic, downgrade_on=in_days(14)
    )
    with pytest.raises(ValidationError, match="A downgrade to Digital Basic is already scheduled."):
        services.subscription_schedule_downgrade(
            actor=agent, subscription=subscription, product=cheapest, downgrade_on=in_days(20)
        )
    assert reloaded(subscription).downgrade_to == basic
    assert ActivityEvent.objects.count() == 1


def test_downgrade_of_a_cancelled_subscription_is_refused(agent, subscription, basic):
    Subscription.objects.filter(pk=subscription.pk).update(status="cancelled")
    with pytest.raises(ValidationError, match="Subscription ORD-100 is cancelled."):
        services.subscription_schedule_downgrade(
            actor=agent, subscription=subscription, product=basic, downgrade_on=in_days(14)
        )
    assert no_events()


def test_withdrawn_downgrade_clears_it(agent, subscription, basic):
    services.subscription_schedule_downgrade(
        actor=agent, subscription=subscription, product=basic, downgrade_on=in_days(14)
    )
    services.subscription_withdraw_downgrade(actor=agent, subscription=subscription)
    subscription.refresh_from_db()
    assert (subscription.downgrade_to, subscription.downgrade_scheduled_for) == (None, None)
    assert subscription.product.name == "Digital Plus"


def test_withdrawn_downgrade_is_recorded(agent, account, subscription, basic):
    Subscription.objects.filter(pk=subscription.pk).update(
        downgrade_to=basic, downgrade_scheduled_for=in_days(14)
    )
    services.subscription_withdraw_downgrade(actor=agent, subscription=subscription)
    event = the_event(account)
    assert (event.type, without_changes(event.data)) == (
        "subscription_downgrade_withdrawn",
        {"product": "Digital Plus", "order_id": "ORD-100"},
    )
    assert_by_agent(event, agent)


def test_withdrawing_a_downgrade_that_is_not_scheduled_is_refused(agent, subscription):
    with pytest.raises(ValidationError, match="No downgrade is scheduled for this subscription."):
        services.subscription_withdraw_downgrade(actor=agent, subscription=subscription)
    assert no_events()


# --- Change product now -------------------------------------------------------------------------


def test_product_change_is_saved(agent, subscription, premium):
    services.subscription_change_product(
        actor=agent, subscription=subscription, product=premium, reason=REASON
    )
    assert reloaded(subscription).product == premium


def test_product_change_drops_a_scheduled_downgrade(agent, subscription, basic, premium):
    Subscription.objects.filter(pk=subscription.pk).update(
        downgrade_to=basic, downgrade_scheduled_for=in_days(14)
    )
    services.subscription_change_product(
        actor=agent, subscription=subscription, product=premium, reason=REASON
    )
    subscription.refresh_from_db()
    assert (subscription.downgrade_to, subscription.downgrade_scheduled_for) == (None, None)


def test_product_change_records_from_and_to(agent, account, subscription, premium):
    services.subscription_change_product(
        actor=agent, subscription=subscription, product=premium, reason=REASON
    )
    event = the_event(account)
    assert (event.type, without_changes(event.data)) == (
        "subscription_changed",
        {
            "product_from": "Digital Plus",
            "product_to": "Premium",
            "order_id": "ORD-100",
            "reason": REASON,
        },
    )
    assert_by_agent(event, agent)


def test_change_to_the_current_product_is_refused(agent, subscription, plus):
    with pytest.raises(ValidationError, match="Choose a product other than the current one."):
        services.subscription_change_product(
            actor=agent, subscription=subscription, product=plus, reason=REASON
        )
    assert no_events()


def test_change_to_a_product_no_longer_sold_is_refused(agent, subscription):
    retired = ProductFactory(name="Retired Plan", is_active=False)
    with pytest.raises(ValidationError, match="Retired Plan is no longer sold."):
        services.subscription_change_product(
            actor=agent, subscription=subscription, product=retired, reason=REASON
        )
    assert reloaded(subscription).product.name == "Digital Plus"
    assert no_events()


def test_change_of_a_cancelled_subscription_is_refused(agent, subscription, premium):
    Subscription.objects.filter(pk=subscription.pk).update(status="cancelled")
    with pytest.raises(ValidationError, match="Subscription ORD-100 is cancelled."):
        services.subscription_change_product(
            actor=agent, subscription=subscription, product=premium, reason=REASON
        )
    assert no_events()
