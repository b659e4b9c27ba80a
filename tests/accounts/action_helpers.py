"""Helpers of the agent-action tests, of the services and of the account page's POST actions:
the reason given, the events recorded, and the way an action is confirmed or posted."""

import html

from django.urls import reverse

from activity.models import ActivityEvent

REASON = "Customer asked on the phone."


def the_event(account) -> ActivityEvent:
    """The account's only event (fails if there is none or more than one)."""
    return ActivityEvent.objects.get(account=account)


def without_changes(data: dict) -> dict:
    """An event's attributes but its field-by-field changes (tests/accounts/test_changes.py
    pins those)."""
    return {key: value for key, value in data.items() if key != "changes"}


def no_events() -> bool:
    return not ActivityEvent.objects.exists()


def assert_by_agent(event, agent):
    assert (event.actor, event.actor_kind, event.actor_name, event.origin) == (
        agent,
        "agent",
        "Sara Lind",
        "agent",
    )


def shown_on_account_page(response, text: str) -> bool:
    assert response.status_code == 200
    assert response.resolver_match.url_name == "detail"
    return text in html.unescape(response.content.decode())


def event_types(account) -> list[str]:
    return list(ActivityEvent.objects.filter(account=account).values_list("type", flat=True))


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


# The account page's forms, which the refusal tests post to as well.


def address_data(**changes) -> dict:
    fields = {"street": "Storgatan 1", "postcode": "111 22", "city": "Stockholm", "country": "SE"}
    return {f"address-{k}": v for k, v in {**fields, **changes}.items()}


def address_url(account) -> str:
    return reverse("accounts:address", args=[account.customer_number])


def billing_url(account) -> str:
    return reverse("accounts:billing-day", args=[account.customer_number])
