"""Every agent action: the state change and its typed event, and the refusals that leave the
account, its subscriptions and the timeline untouched."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import services
from accounts.models import Account, PaymentMethod, Subscription
from activity.models import ActivityEvent
from tests.accounts.conftest import in_days, reloaded
from tests.factories import (
    AccountFactory,
    PaymentMethodFactory,
    ProductFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db


REASON = "Customer asked on the phone."


def the_event(account) -> ActivityEvent:
    """The account's only event (fails if there is none or more than one)."""
    return ActivityEvent.objects.get(account=account)


def no_events() -> bool:
    return not ActivityEvent.objects.exists()


def assert_by_agent(event, agent):
    assert (event.actor, event.actor_kind, event.actor_name, event.origin) == (
        agent,
        "agent",
        "Sara Lind",
        "agent",
    )


# --- Address ------------------------------------------------------------------------------------


def test_address_change_is_saved(agent, account):
    services.account_update_address(
        actor=agent, account=account, street="Nygatan 5", city="Uppsala"
    )
    account.refresh_from_db()
    assert (account.street, account.postcode, account.city) == ("Nygatan 5", "111 22", "Uppsala")


def test_address_change_records_the_changed_field_names_only(agent, account):
    services.account_update_address(
        actor=agent,
        account=account,
        street="Nygatan 5",
        postcode="111 22",  # the same as before
        city="Uppsala",
        country="SE",
    )
    event = the_event(account)
    assert (event.type, event.data) == (
        "address_details_modified",
        {"fields": ["Street", "City"]},
    )
    assert_by_agent(event, agent)


def test_address_with_no_change_is_refused(agent, account):
    with pytest.raises(ValidationError, match="Nothing to change: the address is the same."):
        services.account_update_address(
            actor=agent, account=account, street="Storgatan 1", city="Stockholm"
        )
    assert no_events()


def test_unknown_address_field_is_refused(agent, account):
    with pytest.raises(ValidationError, match="Not an address field: email."):
        services.account_update_address(actor=agent, account=account, email="x@example.com")
    assert reloaded(account).email == account.email
    assert no_events()


def test_unknown_country_is_refused_and_nothing_is_changed(agent, account):
    with pytest.raises(ValidationError):
        services.account_update_address(
            actor=agent, account=account, street="Nygatan 5", country="QQQ"
        )
    assert (reloaded(account).street, reloaded(account).country) == ("Storgatan 1", "SE")
    assert no_events()


# --- Billing day ----------------------------------------------------------------------------------


def test_billing_day_change_is_saved(agent, account):
    services.account_change_billing_day(actor=agent, account=account, billing_day=3)
    assert reloaded(account).billing_day == 3


def test_billing_day_change_records_from_and_to(agent, account):
    services.account_change_billing_day(actor=agent, account=account, billing_day=3)
    event = the_event(account)
    assert (event.type, event.data) == ("billing_date_changed", {"from": 15, "to": 3})
    assert_by_agent(event, agent)


@pytest.mark.parametrize("day", [0, 29, -1, "5", 5.0])
def test_billing_day_that_is_not_a_whole_number_from_1_to_28_is_refused(agent, account, day):
    with pytest.raises(
        ValidationError, match="The billing day must be a whole number from 1 to 28."
    ):
        services.account_change_billing_day(actor=agent, account=account, billing_day=day)
    assert reloaded(account).billing_day == 15
    assert no_events()


def test_same_billing_day_is_refused(agent, account):
    with pytest.raises(ValidationError, match="The billing day is already 15."):
        services.account_change_billing_day(actor=agent, account=account, billing_day=15)
    assert no_events()


def test_refused_event_undoes_the_billing_day_change(agent, account):
    # True passes the service's own check (bool is an int) but not the event's schema; the
    # change and its event commit together, so neither is kept.
    with pytest.raises(ValidationError):
        services.account_change_billing_day(actor=agent, account=account, billing_day=True)
    assert reloaded(account).billing_day == 15
    assert no_events()


# --- Payment methods ------------------------------------------------------------------------------


def test_first_payment_method_becomes_the_default(agent, account):
    method = services.payment_method_add(
        actor=agent, account=account, kind="card", brand="Visa", masked_details="•••• 4242"
    )
    assert reloaded(method).is_default


def test_new_payment_method_records_masked_details_and_live_product(agent, account, subscription):
    services.payment_method_add(
        actor=agent, account=account, kind="card", brand="Visa", masked_details="•••• 4242"
    )
    event = the_event(account)
    assert (event.type, event.data) == (
        "new_payment_method",
        {"masked_details": "Visa •••• 4242", "product": "Digital Plus"},
    )
    assert_by_agent(event, agent)


def test_new_payment_method_without_live_subscription_records_no_product(agent, account):
    services.payment_method_add(
        actor=agent, account=account, kind="invoice", masked_details="Paper invoice"
    )
    assert the_event(account).data == {"masked_details": "Invoice Paper invoice"}


def test_new_default_payment_method_takes_over_the_default(agent, account):
    old = PaymentMethodFactory(account=account, is_default=True)
    new = services.payment_method_add(
        actor=agent, account=account, kind="card", masked_details="•••• 1111", make_default=True
    )
    assert (reloaded(old).is_default, reloaded(new).is_default) == (False, True)


def test_full_card_number_is_refused(agent, account):
    with pytest.raises(ValidationError, match="never a card number"):
        services.payment_method_add(
            actor=agent, account=account, kind="card", masked_details="4111111111111111"
        )
    assert not PaymentMethod.objects.exists()
    assert no_events()


def test_default_payment_method_change_is_saved(agent, account):
    old = PaymentMethodFactory(account=account, is_default=True)
    new = PaymentMethodFactory(account=account)
    services.payment_method_set_default(actor=agent, method=new)
    assert (reloaded(old).is_default, reloaded(new).is_default) == (False, True)


def test_default_payment_method_change_records_from_to_and_product(agent, account, subscription):
    PaymentMethodFactory(account=account, is_default=True, brand="Visa", masked_details="•••• 1111")
    new = PaymentMethodFactory(account=account, brand="Mastercard", masked_details="•••• 2222")
    services.payment_method_set_default(actor=agent, method=new)
    event = the_event(account)
    assert (event.type, event.data) == (
        "account_payment_method_changed",
        {"from": "Visa •••• 1111", "to": "Mastercard •••• 2222", "product": "Digital Plus"},
    )
    assert_by_agent(event, agent)


def test_making_the_default_method_default_again_is_refused(agent, account):
    method = PaymentMethodFactory(account=account, is_default=True)
    with pytest.raises(ValidationError, match="already the default"):
        services.payment_method_set_default(actor=agent, method=method)
    assert no_events()


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
    assert (event.type, event.subscription, event.data) == (
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
    assert (event.type, event.subscription, event.data) == (
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
    assert (event.type, event.data) == (
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
    assert (event.type, event.data) == (
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
    assert (event.type, event.data) == (
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
    assert (event.type, event.data) == (
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
    assert (event.type, event.data) == (
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
    assert (event.type, event.data) == (
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
    assert (event.type, event.data) == (
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
    assert (event.type, event.data) == (
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
    assert (event.type, event.data) == (
        "pause_ended_early",
        {"product": "Digital Plus", "order_id": "ORD-100"},
    )
    assert_by_agent(event, agent)


def test_ending_a_pause_of_a_subscription_that_is_not_paused_is_refused(agent, subscription):
    with pytest.raises(ValidationError, match="This subscription is not paused."):
        services.subscription_end_pause_early(actor=agent, subscription=subscription)
    assert reloaded(subscription).status == "active"
    assert no_events()


# --- Entitlements ---------------------------------------------------------------------------------


def test_refreshed_entitlements_are_recorded(agent, account, subscription):
    services.subscription_refresh_entitlements(actor=agent, subscription=subscription)
    event = the_event(account)
    assert (event.type, event.subscription, event.data) == (
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


# --- Accounts -------------------------------------------------------------------------------------


def test_new_account_records_new_customer_created_by_system():
    account = services.account_create(
        actor=None, customer_number="123456", name="Karin Nilsson", email="karin@example.se"
    )
    assert Account.objects.filter(customer_number="123456").exists()
    event = the_event(account)
    assert (event.type, event.actor_kind, event.actor_name) == (
        "new_customer_created",
        "system",
        "System",
    )


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


def test_a_billing_day_of_true_is_refused(agent):
    account = AccountFactory(billing_day=5)
    with pytest.raises(ValidationError, match="whole number from 1 to 28"):
        services.account_change_billing_day(actor=agent, account=account, billing_day=True)


# --- Reasons, repeats and the product rules of the pickers --------------------------------------


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_person_cancelling_now_must_give_a_reason(agent, subscription, reason):
    with pytest.raises(ValidationError, match="Give a reason: it is kept with the event."):
        services.subscription_cancel(actor=agent, subscription=subscription, reason=reason)
    assert reloaded(subscription).status == "active"
    assert no_events()


def test_a_person_changing_the_product_must_give_a_reason(agent, subscription, premium):
    with pytest.raises(ValidationError, match="Give a reason"):
        services.subscription_change_product(
            actor=agent, subscription=subscription, product=premium
        )
    assert reloaded(subscription).product.name == "Digital Plus"
    assert no_events()


def test_a_cancellation_posted_twice_with_one_key_cancels_once(agent, account, subscription):
    first = services.subscription_cancel(
        actor=agent, subscription=subscription, reason=REASON, idempotency_key="k-1"
    )
    again = services.subscription_cancel(
        actor=agent, subscription=subscription, reason=REASON, idempotency_key="k-1"
    )
    assert (first.replayed, again.replayed) == (False, True)
    assert ActivityEvent.objects.filter(account=account).count() == 1


def test_a_product_change_posted_twice_with_one_key_changes_once(
    agent, account, subscription, premium
):
    for _ in range(2):
        services.subscription_change_product(
            actor=agent,
            subscription=subscription,
            product=premium,
            reason=REASON,
            idempotency_key="k-2",
        )
    assert ActivityEvent.objects.filter(account=account, type="subscription_changed").count() == 1


def test_a_key_reused_for_another_action_is_a_conflict(agent, subscription, premium):
    services.subscription_change_product(
        actor=agent, subscription=subscription, product=premium, reason=REASON, idempotency_key="k"
    )
    with pytest.raises(ValidationError, match="already used for a different request"):
        services.subscription_cancel(
            actor=agent, subscription=subscription, reason=REASON, idempotency_key="k"
        )
    assert reloaded(subscription).status == "active"


def test_change_to_a_product_in_another_currency_is_refused(agent, subscription):
    gbp = ProductFactory(name="Digital Plus (GBP)", price=Decimal("9.99"), currency="GBP")
    with pytest.raises(ValidationError, match="is billed in GBP; subscription ORD-100 is billed"):
        services.subscription_change_product(
            actor=agent, subscription=subscription, product=gbp, reason=REASON
        )
    assert reloaded(subscription).product.name == "Digital Plus"
    assert no_events()


def test_the_pickers_offer_exactly_what_the_services_accept(subscription, basic, premium):
    from accounts.selectors import product_choices
    from accounts.transitions import Action

    ProductFactory(name="Digital Basic (NOK)", price=Decimal("9.00"), currency="NOK")
    ProductFactory(name="Old Basic", price=Decimal("59.00"), is_active=False)
    assert product_choices(subscription, Action.CHANGE_PRODUCT) == [basic, premium]
    assert product_choices(subscription, Action.SCHEDULE_DOWNGRADE) == [basic]
