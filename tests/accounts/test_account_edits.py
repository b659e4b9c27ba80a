"""Agent edits of the account itself: the address, the billing day, the payment methods and
a new account, each with its typed event, and the refusals that leave the account and the
timeline untouched."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts import services
from accounts.models import Account, PaymentMethod
from tests.accounts.action_helpers import assert_by_agent, no_events, the_event, without_changes
from tests.accounts.conftest import reloaded
from tests.factories import AccountFactory, PaymentMethodFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


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
    assert (event.type, without_changes(event.data)) == (
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
    assert (event.type, without_changes(event.data)) == (
        "billing_date_changed",
        {"from": 15, "to": 3},
    )
    assert_by_agent(event, agent)


@time_machine.travel(dt.datetime(2026, 12, 6, 12, tzinfo=dt.UTC), tick=False)
@pytest.mark.parametrize(
    ("day", "next_billing"),
    [(18, dt.date(2026, 12, 18)), (5, dt.date(2027, 1, 5)), (6, dt.date(2027, 1, 6))],
)
def test_a_new_billing_day_moves_the_next_billing_of_active_subscriptions(
    agent, account, day, next_billing
):
    """From the 18th to the 5th on 6 December: the next billing is 5 January, not the 18th."""
    active = SubscriptionFactory(account=account, next_billing_on=dt.date(2026, 12, 15))
    paused = SubscriptionFactory(
        account=account, status="paused", next_billing_on=dt.date(2027, 3, 15)
    )

    moved = services.account_change_billing_day(actor=agent, account=account, billing_day=day)

    assert moved == next_billing
    active.refresh_from_db()
    paused.refresh_from_db()
    assert active.next_billing_on == next_billing
    assert paused.next_billing_on == dt.date(2027, 3, 15)
    assert without_changes(the_event(account).data) == {
        "from": 15,
        "to": day,
        "next_billing": str(next_billing),
    }


def test_the_page_says_when_the_new_billing_day_applies(client, agent, account):
    SubscriptionFactory(account=account, next_billing_on=dt.date(2026, 12, 15))
    client.force_login(agent)

    response = client.post(
        reverse("accounts:billing-day", args=[account.customer_number]),
        {"billing_day": "5"},
        follow=True,
    )

    notices = " ".join(str(m) for m in response.context["messages"])
    assert "Billing day changed to 5: the next billing is on " in notices


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
    assert (event.type, without_changes(event.data)) == (
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
    assert (event.type, without_changes(event.data)) == (
        "account_payment_method_changed",
        {"from": "Visa •••• 1111", "to": "Mastercard •••• 2222", "product": "Digital Plus"},
    )
    assert_by_agent(event, agent)


def test_making_the_default_method_default_again_is_refused(agent, account):
    method = PaymentMethodFactory(account=account, is_default=True)
    with pytest.raises(ValidationError, match="already the default"):
        services.payment_method_set_default(actor=agent, method=method)
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


def test_a_billing_day_of_true_is_refused(agent):
    account = AccountFactory(billing_day=5)
    with pytest.raises(ValidationError, match="whole number from 1 to 28"):
        services.account_change_billing_day(actor=agent, account=account, billing_day=True)
