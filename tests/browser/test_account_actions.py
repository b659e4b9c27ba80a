"""An agent schedules a cancellation on the account page, withdraws it, and sees both events."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Subscription
from config import roles
from tests.factories import AccountFactory, ProductFactory, SubscriptionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_schedules_and_withdraws_a_cancellation_and_sees_both_events(
    page, sign_in, make_user
):
    make_user(roles.CUSTOMER_SERVICE, username="agent", first_name="Sara", last_name="Lind")
    account = AccountFactory(customer_number="600002", name="Erik Berg")
    product = ProductFactory(name="Digital Plus", price=Decimal("149.00"))
    subscription = SubscriptionFactory(account=account, product=product, order_id="ORD-600002")
    cancel_on = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    row = page.locator("#subscription-ORD-600002")

    sign_in("agent")
    page.goto(reverse("accounts:detail", args=[account.customer_number]))
    row.locator("summary", has_text="Actions").click()
    row.get_by_label("Cancel on").fill(cancel_on)
    row.get_by_role("button", name="Schedule cancellation").click()
    page.wait_for_load_state()

    assert page.get_by_role("status").inner_text() == "Cancellation scheduled."
    assert f"Cancellation on {cancel_on}" in row.inner_text()

    row.locator("summary", has_text="Actions").click()
    row.get_by_role("button", name="Withdraw cancellation").click()
    page.wait_for_load_state()

    assert page.get_by_role("status").inner_text() == "Cancellation withdrawn."
    assert "Cancellation on" not in row.inner_text()
    panel = page.locator("section[aria-labelledby=activity-h]")
    titles = panel.locator(".event-title").all_inner_texts()
    assert titles == ["Subscription Cancellation Withdrawn", "Subscription Cancellation Scheduled"]
    assert panel.locator(".event-meta .actor").first.inner_text() == "Sara Lind (agent)"
    assert cancel_on in panel.locator("li.event").nth(1).inner_text()
    subscription.refresh_from_db()
    assert (subscription.status, subscription.cancellation_scheduled_for) == (
        Subscription.Status.ACTIVE,
        None,
    )
