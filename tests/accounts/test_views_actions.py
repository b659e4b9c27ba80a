"""The account page's POST actions: each calls its service and comes back to the account page with a
message; bad input is refused with a message there, changes nothing and records nothing."""

import html

import pytest
from django.urls import reverse

from accounts.models import Account, Subscription
from activity.models import ActivityEvent
from tests.accounts.conftest import in_days, reloaded
from tests.conftest import messages_of
from tests.factories import (
    AccountFactory,
    PaymentMethodFactory,
    ProductFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db


def shown_on_account_page(response, text: str) -> bool:
    assert response.status_code == 200
    assert response.resolver_match.url_name == "detail"
    return text in html.unescape(response.content.decode())


def event_types(account) -> list[str]:
    return list(ActivityEvent.objects.filter(account=account).values_list("type", flat=True))


REASON = "Customer asked on the phone."


def confirm_action(client, subscription, action, data=None, reason=REASON):
    """Open the confirmation page of `action` with the choices `data`, then confirm it with
    the page's key and a reason; return the followed answer (and the page's key)."""
    url = reverse(
        "accounts:subscription-action",
        args=[subscription.account.customer_number, subscription.order_id, action],
    )
    page = client.get(url, data or {})
    assert page.status_code == 200
    key = page.context["reason_form"]["key"].value()
    posted = {**(data or {}), "reason": reason, "key": key}
    return client.post(url, posted, follow=True), posted


def post_action(client, subscription, action, data=None):
    url = reverse(
        "accounts:subscription-action",
        args=[subscription.account.customer_number, subscription.order_id, action],
    )
    return client.post(url, data or {}, follow=True)


# --- Address --------------------------------------------------------------------------------------


def address_data(**changes) -> dict:
    fields = {"street": "Storgatan 1", "postcode": "111 22", "city": "Stockholm", "country": "SE"}
    return {f"address-{k}": v for k, v in {**fields, **changes}.items()}


def address_url(account) -> str:
    return reverse("accounts:address", args=[account.customer_number])


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


def billing_url(account) -> str:
    return reverse("accounts:billing-day", args=[account.customer_number])


def test_billing_day_form_changes_the_day_and_records_it(service_client, account):
    response = service_client.post(billing_url(account), {"billing_day": "3"}, follow=True)
    assert shown_on_account_page(response, "Billing day changed.")
    assert reloaded(account).billing_day == 3
    assert ActivityEvent.objects.get(account=account).data == {"from": 15, "to": 3}


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
