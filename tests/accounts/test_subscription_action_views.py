"""The account page's subscription actions that succeed, and their confirmation steps: each
calls its service and comes back to the account page with a message."""

import pytest
from django.urls import reverse

from accounts.models import Subscription
from activity.models import ActivityEvent
from tests.accounts.action_helpers import (
    REASON,
    confirm_action,
    event_types,
    post_action,
    shown_on_account_page,
)
from tests.accounts.conftest import in_days, reloaded
from tests.conftest import messages_of
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


# --- Subscription actions that succeed ------------------------------------------------------------


def test_cancel_now_cancels_and_records(service_client, service_user, account, subscription):
    response, _ = confirm_action(service_client, subscription, "cancel")
    assert shown_on_account_page(response, "Subscription cancelled.")
    assert reloaded(subscription).status == "cancelled"
    event = ActivityEvent.objects.get(account=account)
    assert (event.type, event.actor) == ("subscription_cancelled", service_user)
    assert event.data["reason"] == REASON


# --- Confirmation steps ---------------------------------------------------------------------------


def test_the_cancel_page_shows_what_will_happen_and_changes_nothing(
    service_client, account, subscription
):
    url = reverse(
        "accounts:subscription-action", args=[account.customer_number, "ORD-100", "cancel"]
    )
    page = service_client.get(url)
    changes = {c.label: (c.now, c.after) for c in page.context["changes"]}
    assert changes["Status"] == ("Active", "Cancelled")
    assert changes["Product"][0].startswith("Digital Plus (149.00 SEK")
    assert "This cannot be undone." in page.content.decode()
    assert reloaded(subscription).status == "active"
    assert event_types(account) == []


def test_the_change_page_shows_the_product_and_price_before_and_after(
    service_client, account, subscription, premium
):
    url = reverse(
        "accounts:subscription-action",
        args=[account.customer_number, "ORD-100", "change-product"],
    )
    page = service_client.get(url, {"product": premium.pk})
    changes = {c.label: (c.now, c.after) for c in page.context["changes"]}
    assert changes["Product"] == (
        "Digital Plus (149.00 SEK a month)",
        "Premium (249.00 SEK a month)",
    )


def test_a_confirmation_without_a_reason_comes_back_and_changes_nothing(
    service_client, account, subscription
):
    response, _ = confirm_action(service_client, subscription, "cancel", reason="")
    assert response.resolver_match.url_name == "subscription-action"
    assert messages_of(response) == [
        "Subscription action not done: Reason: This field is required."
    ]
    assert reloaded(subscription).status == "active"
    assert event_types(account) == []


def test_a_confirmation_posted_twice_changes_once_and_says_so(
    service_client, account, subscription, premium
):
    response, posted = confirm_action(
        service_client, subscription, "change-product", {"product": premium.pk}
    )
    assert messages_of(response) == ["Product changed."]
    again = service_client.post(
        reverse(
            "accounts:subscription-action",
            args=[account.customer_number, "ORD-100", "change-product"],
        ),
        posted,
        follow=True,
    )
    assert messages_of(again) == [
        "Already done: this confirmation was posted before, and nothing was changed now."
    ]
    assert event_types(account) == ["subscription_changed"]


def test_a_confirmation_without_its_key_is_refused(service_client, account, subscription):
    response = post_action(service_client, subscription, "cancel", {"reason": REASON})
    assert messages_of(response)[0].startswith("This confirmation is no longer valid")
    assert reloaded(subscription).status == "active"


def test_a_product_in_another_currency_cannot_be_confirmed(service_client, account, subscription):
    gbp = ProductFactory(name="Digital Plus (GBP)", currency="GBP")
    url = reverse(
        "accounts:subscription-action",
        args=[account.customer_number, "ORD-100", "change-product"],
    )
    page = service_client.get(url, {"product": gbp.pk})
    assert page.context["valid"] is False
    assert "That product is not offered for this subscription" in page.content.decode()


def test_schedule_cancellation_schedules_and_records(service_client, account, subscription):
    response = post_action(
        service_client, subscription, "schedule-cancellation", {"cancel_on": in_days(30)}
    )
    assert shown_on_account_page(response, "Cancellation scheduled.")
    assert reloaded(subscription).cancellation_scheduled_for == in_days(30)
    assert event_types(account) == ["subscription_cancellation_scheduled"]


def test_withdraw_cancellation_withdraws_and_records(service_client, account, subscription):
    Subscription.objects.filter(pk=subscription.pk).update(cancellation_scheduled_for=in_days(30))
    response = post_action(service_client, subscription, "withdraw-cancellation")
    assert shown_on_account_page(response, "Cancellation withdrawn.")
    assert reloaded(subscription).cancellation_scheduled_for is None
    assert event_types(account) == ["subscription_cancellation_withdrawn"]


def test_schedule_downgrade_schedules_and_records(service_client, account, subscription, basic):
    response = post_action(
        service_client,
        subscription,
        "schedule-downgrade",
        {"product": basic.pk, "downgrade_on": in_days(14)},
    )
    assert shown_on_account_page(response, "Downgrade scheduled.")
    assert reloaded(subscription).downgrade_to == basic
    assert event_types(account) == ["subscription_downgrade_scheduled"]


def test_withdraw_downgrade_withdraws_and_records(service_client, account, subscription, basic):
    Subscription.objects.filter(pk=subscription.pk).update(
        downgrade_to=basic, downgrade_scheduled_for=in_days(14)
    )
    response = post_action(service_client, subscription, "withdraw-downgrade")
    assert shown_on_account_page(response, "Downgrade withdrawn.")
    assert reloaded(subscription).downgrade_to is None
    assert event_types(account) == ["subscription_downgrade_withdrawn"]


def test_change_product_changes_and_records(service_client, account, subscription, premium):
    response, _ = confirm_action(
        service_client, subscription, "change-product", {"product": premium.pk}
    )
    assert shown_on_account_page(response, "Product changed.")
    assert reloaded(subscription).product == premium
    assert event_types(account) == ["subscription_changed"]


def test_schedule_pause_schedules_and_records(service_client, account, subscription):
    response = post_action(
        service_client, subscription, "schedule-pause", {"pause_on": in_days(10), "months": "2"}
    )
    assert shown_on_account_page(response, "Pause scheduled.")
    assert reloaded(subscription).pause_months == 2
    assert event_types(account) == ["pause_scheduled"]


def test_cancel_pause_cancels_and_records(service_client, account, subscription):
    Subscription.objects.filter(pk=subscription.pk).update(
        pause_scheduled_for=in_days(10), pause_months=2
    )
    response = post_action(service_client, subscription, "cancel-pause")
    assert shown_on_account_page(response, "Scheduled pause cancelled.")
    assert reloaded(subscription).pause_scheduled_for is None
    assert event_types(account) == ["scheduled_pause_cancelled"]


def test_end_pause_resumes_and_records(service_client, account, subscription):
    Subscription.objects.filter(pk=subscription.pk).update(
        status="paused", paused_until=in_days(40)
    )
    response = post_action(service_client, subscription, "end-pause")
    assert shown_on_account_page(response, "Pause ended.")
    assert reloaded(subscription).status == "active"
    assert event_types(account) == ["pause_ended_early"]


def test_refresh_entitlements_records(service_client, account, subscription):
    response = post_action(service_client, subscription, "refresh-entitlements")
    assert shown_on_account_page(response, "Entitlements refreshed.")
    assert event_types(account) == ["entitlements_refreshed"]


def test_sales_agent_may_act_on_subscriptions(client, make_user, account, subscription):
    client.force_login(make_user("Sales Agent"))
    response = post_action(client, subscription, "refresh-entitlements")
    assert shown_on_account_page(response, "Entitlements refreshed.")
