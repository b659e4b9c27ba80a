"""The account page's forms for the address, the billing day and the default payment method:
each calls its service and comes back to the account page with a message; bad input is
refused with a message there, changes nothing and records nothing."""

import pytest
from django.urls import reverse

from activity.models import ActivityEvent
from tests.accounts.action_helpers import (
    address_data,
    address_url,
    billing_url,
    event_types,
    shown_on_account_page,
    without_changes,
)
from tests.accounts.conftest import reloaded
from tests.conftest import messages_of
from tests.factories import AccountFactory, PaymentMethodFactory

pytestmark = pytest.mark.django_db


# --- Address --------------------------------------------------------------------------------------


def test_address_form_changes_the_address_and_records_it(service_client, service_user, account):
    response = service_client.post(
        address_url(account), address_data(street="Nygatan 5", country="SE"), follow=True
    )
    assert shown_on_account_page(response, "Address updated.")
    account.refresh_from_db()
    assert (account.street, account.country) == ("Nygatan 5", "SE")
    event = ActivityEvent.objects.get(account=account)
    assert (event.type, event.data["fields"], event.actor) == (
        "address_details_modified",
        ["Street"],
        service_user,
    )


def test_unchanged_address_is_refused_with_a_message(service_client, account):
    response = service_client.post(address_url(account), address_data(), follow=True)
    assert messages_of(response) == [
        "Address change failed: Nothing to change: the address is the same."
    ]
    assert event_types(account) == []


def test_malformed_country_is_refused_with_a_message(service_client, account):
    response = service_client.post(
        address_url(account), address_data(street="Nygatan 5", country="S1"), follow=True
    )
    assert shown_on_account_page(response, "Address change failed: Country: Select a valid choice.")
    assert reloaded(account).street == "Storgatan 1"
    assert event_types(account) == []


def test_overlong_postcode_is_refused_with_a_message(service_client, account):
    response = service_client.post(
        address_url(account), address_data(postcode="1" * 21), follow=True
    )
    assert shown_on_account_page(response, "Address change failed: Postcode: Ensure this value")
    assert reloaded(account).postcode == "111 22"
    assert event_types(account) == []


# --- Billing day ----------------------------------------------------------------------------------


def test_billing_day_form_changes_the_day_and_records_it(service_client, account):
    response = service_client.post(billing_url(account), {"billing_day": "3"}, follow=True)
    assert shown_on_account_page(response, "Billing day changed.")
    assert reloaded(account).billing_day == 3
    assert without_changes(ActivityEvent.objects.get(account=account).data) == {"from": 15, "to": 3}


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("0", "Ensure this value is greater than or equal to 1."),
        ("29", "Ensure this value is less than or equal to 28."),
        ("abc", "Enter a whole number."),
        ("", "This field is required."),
    ],
)
def test_bad_billing_day_is_refused_with_a_message(service_client, account, value, error):
    response = service_client.post(billing_url(account), {"billing_day": value}, follow=True)
    assert shown_on_account_page(response, f"Billing day change failed: Billing day: {error}")
    assert reloaded(account).billing_day == 15
    assert event_types(account) == []


def test_same_billing_day_is_refused_with_a_message(service_client, account):
    response = service_client.post(billing_url(account), {"billing_day": "15"}, follow=True)
    assert messages_of(response) == ["Billing day change failed: The billing day is already 15."]
    assert event_types(account) == []


# --- Default payment method -----------------------------------------------------------------------


def default_url(method) -> str:
    return reverse(
        "accounts:payment-method-default", args=[method.account.customer_number, method.pk]
    )


def test_make_default_changes_the_default_and_records_it(service_client, account):
    old = PaymentMethodFactory(account=account, is_default=True)
    new = PaymentMethodFactory(account=account)
    response = service_client.post(default_url(new), follow=True)
    assert shown_on_account_page(response, "Default payment method changed.")
    assert (reloaded(old).is_default, reloaded(new).is_default) == (False, True)
    assert event_types(account) == ["account_payment_method_changed"]


def test_making_the_default_default_again_is_refused_with_a_message(service_client, account):
    method = PaymentMethodFactory(account=account, is_default=True)
    response = service_client.post(default_url(method), follow=True)
    assert messages_of(response) == [
        "Payment method change failed: This payment method is already the default."
    ]
    assert event_types(account) == []


def test_payment_method_of_another_account_is_not_found(service_client, account):
    other = PaymentMethodFactory(account=AccountFactory())
    url = reverse("accounts:payment-method-default", args=[account.customer_number, other.pk])
    assert service_client.post(url).status_code == 404
    assert reloaded(other).is_default is False
