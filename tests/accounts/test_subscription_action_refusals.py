"""The account page's subscription actions refused: bad input comes back to the account page
with a message, changes nothing and records nothing; unknown actions and orders are not
found."""

import pytest
from django.urls import reverse

from accounts.models import Account, Subscription
from tests.accounts.action_helpers import (
    REASON,
    address_data,
    address_url,
    billing_url,
    event_types,
    post_action,
    shown_on_account_page,
)
from tests.accounts.conftest import in_days, reloaded
from tests.conftest import messages_of
from tests.factories import AccountFactory, ProductFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


# --- Subscription actions refused -----------------------------------------------------------------


def test_withdrawing_a_cancellation_that_is_not_scheduled_shows_a_message(
    service_client, account, subscription
):
    response = post_action(service_client, subscription, "withdraw-cancellation")
    assert shown_on_account_page(
        response,
        "Subscription action failed: No cancellation is scheduled for this subscription.",
    )
    assert event_types(account) == []


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("", "This field is required."),
        ("31/02/2026", "Enter a valid date."),
        ("soon", "Enter a valid date."),
    ],
)
def test_bad_cancellation_date_shows_a_message(service_client, account, subscription, value, error):
    response = post_action(
        service_client, subscription, "schedule-cancellation", {"cancel_on": value}
    )
    assert shown_on_account_page(response, f"Subscription action failed: Cancel on: {error}")
    assert reloaded(subscription).cancellation_scheduled_for is None
    assert event_types(account) == []


def test_cancellation_in_the_past_shows_a_message(service_client, account, subscription):
    response = post_action(
        service_client, subscription, "schedule-cancellation", {"cancel_on": in_days(-1)}
    )
    assert messages_of(response) == [
        "Subscription action failed: The cancellation date must be after today."
    ]
    assert reloaded(subscription).cancellation_scheduled_for is None
    assert event_types(account) == []


def test_downgrade_to_a_dearer_product_shows_a_message(
    service_client, account, subscription, premium
):
    response = post_action(
        service_client,
        subscription,
        "schedule-downgrade",
        {"product": premium.pk, "downgrade_on": in_days(14)},
    )
    assert messages_of(response) == [
        "Subscription action failed: Premium is not a downgrade from Digital Plus: it is not "
        "cheaper."
    ]
    assert reloaded(subscription).downgrade_to is None
    assert event_types(account) == []


@pytest.mark.parametrize("product", ["999999", "abc", ""])
def test_unknown_product_shows_a_message(service_client, account, subscription, product):
    response = post_action(
        service_client,
        subscription,
        "change-product",
        {"product": product, "reason": REASON, "key": "k"},
    )
    assert shown_on_account_page(response, "Subscription action failed: Product: ")
    assert reloaded(subscription).product.name == "Digital Plus"
    assert event_types(account) == []


def test_product_no_longer_sold_is_not_offered_and_is_refused(
    service_client, account, subscription
):
    retired = ProductFactory(name="Retired Plan", is_active=False)
    response = post_action(
        service_client,
        subscription,
        "change-product",
        {"product": retired.pk, "reason": REASON, "key": "k"},
    )
    assert shown_on_account_page(
        response, "Subscription action failed: Product: Select a valid choice."
    )
    assert "Retired Plan" not in response.content.decode()
    assert reloaded(subscription).product.name == "Digital Plus"


@pytest.mark.parametrize("months", ["0", "13", "two"])
def test_bad_pause_length_shows_a_message(service_client, account, subscription, months):
    response = post_action(
        service_client, subscription, "schedule-pause", {"pause_on": in_days(10), "months": months}
    )
    assert shown_on_account_page(response, "Subscription action failed: Months: ")
    assert reloaded(subscription).pause_scheduled_for is None
    assert event_types(account) == []


def test_pausing_a_cancelled_subscription_shows_a_message(service_client, account, subscription):
    Subscription.objects.filter(pk=subscription.pk).update(status="cancelled")
    response = post_action(
        service_client, subscription, "schedule-pause", {"pause_on": in_days(10), "months": "2"}
    )
    assert messages_of(response) == [
        "Subscription action failed: Only an active subscription can be paused."
    ]
    assert reloaded(subscription).pause_scheduled_for is None
    assert event_types(account) == []


def test_ending_a_pause_that_is_not_running_shows_a_message(service_client, account, subscription):
    response = post_action(service_client, subscription, "end-pause")
    assert messages_of(response) == ["Subscription action failed: This subscription is not paused."]
    assert event_types(account) == []


def test_cancelling_a_cancelled_subscription_shows_a_message(service_client, account, subscription):
    Subscription.objects.filter(pk=subscription.pk).update(status="cancelled")
    response = post_action(service_client, subscription, "cancel", {"reason": REASON, "key": "k"})
    assert messages_of(response) == [
        "Subscription action failed: Subscription ORD-100 is cancelled."
    ]
    assert event_types(account) == []


def test_unknown_action_is_not_found(service_client, subscription):
    response = post_action(service_client, subscription, "explode")
    assert response.status_code == 404
    assert reloaded(subscription).status == "active"


def test_unknown_order_is_not_found(service_client, account):
    url = reverse(
        "accounts:subscription-action", args=[account.customer_number, "ORD-NONE", "cancel"]
    )
    assert service_client.post(url).status_code == 404


def test_an_order_id_with_a_nul_character_is_not_found(service_client, account):
    url = f"/accounts/{account.customer_number}/subscriptions/ORD%00/cancel/"
    assert service_client.post(url).status_code == 404


def test_order_of_another_account_is_not_found(service_client, account):
    other = SubscriptionFactory(account=AccountFactory(), order_id="ORD-OTHER")
    url = reverse(
        "accounts:subscription-action", args=[account.customer_number, "ORD-OTHER", "cancel"]
    )
    assert service_client.post(url).status_code == 404
    assert reloaded(other).status == "active"


def test_actions_answer_post_only(service_client, subscription):
    url = reverse(
        "accounts:subscription-action",
        args=[subscription.account.customer_number, subscription.order_id, "refresh-entitlements"],
    )
    assert service_client.get(url).status_code == 405
    assert reloaded(subscription).status == "active"


def test_account_is_unchanged_after_every_refusal(service_client, account, subscription, premium):
    before = Account.objects.filter(pk=account.pk).values().get()
    service_client.post(billing_url(account), {"billing_day": "29"})
    service_client.post(address_url(account), address_data(country="S1"))
    post_action(service_client, subscription, "withdraw-downgrade")
    post_action(
        service_client,
        subscription,
        "schedule-downgrade",
        {"product": premium.pk, "downgrade_on": in_days(3)},
    )
    assert Account.objects.filter(pk=account.pk).values().get() == before
    assert event_types(account) == []
