"""Customer Service filters one account's Recent Activity by two types and a date range, pages to
older events and back, and sees the right items."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from config import roles
from tests.browser.axe import assert_accessible
from tests.conftest import INTEGRATION_NAME
from tests.factories import (
    AccountFactory,
    ActivityEventFactory,
    ProductFactory,
    SubscriptionFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# Four types, two of which the agent picks.
TYPES = {
    "email_sent": {"subject": "Your receipt", "to": "customer@example.com"},
    "comment_added": {"comment": "Called the customer."},
    "credit_control_cycle_entered": {"dibs_response_code": "51"},
    "subscription_billing_success": {"product": "Digital Plus", "order_id": "ORD-1"},
}
PICKED = ("comment_added", "credit_control_cycle_entered")


@pytest.fixture
def timeline():
    """80 events over ten days of May 2026 (eight a day, the four types in turn)."""
    account = AccountFactory(customer_number="600001", name="Karin Nilsson")
    events = []
    for day in range(1, 11):
        for n in range(8):
            type = list(TYPES)[n % 4]
            events.append(
                ActivityEventFactory(
                    account=account,
                    type=type,
                    data=TYPES[type],
                    occurred_at=dt.datetime(2026, 5, day, 8 + n, 15, tzinfo=STOCKHOLM),
                )
            )
    return account, events


def stamps(events) -> list[str]:
    """How the page writes each event's time (its `datetime` attribute), newest first."""
    ordered = sorted(events, key=lambda e: (e.occurred_at, e.pk), reverse=True)
    return [e.occurred_at.astimezone(STOCKHOLM).isoformat() for e in ordered]


def shown(page) -> tuple[list[str], set[str]]:
    items = page.locator("li.event")
    times = items.locator("time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    types = set(items.evaluate_all("els => els.map(e => e.dataset.type)"))
    return times, types


def test_customer_service_filters_by_two_types_and_dates_then_pages_older_and_back(
    page, sign_in, make_user, timeline
):
    account, events = timeline
    make_user(roles.CUSTOMER_SERVICE, username="agent")
    in_range = [
        e
        for e in events
        if e.type in PICKED
        and dt.date(2026, 5, 2) <= e.occurred_at.astimezone(STOCKHOLM).date() <= dt.date(2026, 5, 9)
    ]
    expected = stamps(in_range)
    assert len(expected) == 32  # a full page of 25 and 7 more

    sign_in("agent")
    page.goto(reverse("accounts:detail", args=[account.customer_number]))
    page.get_by_role("link", name="Filter and see all activity").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recent Activity")
    expect(page.locator("li.event")).to_have_count(25)  # unfiltered, the newest page

    page.locator("details.type-picker summary").click()  # the types sit in a closed control
    page.get_by_label("Comment Added", exact=True).check()
    page.get_by_label("Credit Control Cycle Entered", exact=True).check()
    page.get_by_label("From", exact=True).fill("2026-05-02")
    page.get_by_label("To", exact=True).fill("2026-05-09")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()

    assert "type=comment_added" in page.url and "date_from=2026-05-02" in page.url
    times, types = shown(page)
    assert types == set(PICKED)
    assert times == expected[:25]
    assert page.get_by_label("Comment Added", exact=True).is_checked()
    assert page.get_by_label("From", exact=True).input_value() == "2026-05-02"

    page.get_by_role("link", name="Older →").first.click()  # the pager is above and below
    page.wait_for_load_state()
    times, types = shown(page)
    assert types == set(PICKED)
    assert times == expected[25:]
    assert page.get_by_role("link", name="Older →").count() == 0

    page.get_by_role("link", name="← Newer").first.click()
    page.wait_for_load_state()
    times, _types = shown(page)
    assert times == expected[:25]
    assert page.get_by_role("link", name="← Newer").count() == 0


def test_every_page_says_how_many_events_match_the_oldest_one_too(
    page, sign_in, make_user, timeline
):
    account, events = timeline
    make_user(roles.CUSTOMER_SERVICE, username="agent")
    sign_in("agent")
    page.goto(reverse("activity:recent", args=[account.customer_number]))
    totals = page.locator(".pager-total")
    assert totals.all_inner_texts() == ["80 events", "80 events"]  # above and below the events
    assert page.locator(".match-count").inner_text() == "80 events; 25 on this page."

    page.get_by_role("link", name="Oldest ⇥").first.click()
    page.wait_for_load_state()
    assert totals.all_inner_texts() == ["80 events", "80 events"]
    assert page.locator("li.event").count() == 25

    page.get_by_label("Actor", exact=True).select_option(label="Agent")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    assert totals.first.inner_text() == "0 events"
    page.get_by_label("Actor", exact=True).select_option(label="System")
    page.get_by_label("From", exact=True).fill("2026-05-03")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    assert (
        page.locator(".match-count").inner_text()
        == "64 events match these filters; 25 on this page."
    )
    page.get_by_role("link", name="Older →").first.click()
    page.get_by_role("link", name="Older →").first.click()
    page.wait_for_load_state()
    assert totals.first.inner_text() == "64 events"
    assert page.locator("li.event").count() == 14


def test_credit_an_integration_used_before_billing_shows_in_the_credit_category(
    page, sign_in, make_user, api, browser, live_server
):
    make_user(roles.CUSTOMER_SERVICE, username="agent")
    account = AccountFactory(customer_number="600002", name="Karin Nilsson")
    product = ProductFactory(code="premium", name="Premium", price="149.00", currency="SEK")
    SubscriptionFactory(account=account, product=product, order_id="ORD-600002")
    credit = {"account": "600002", "credit_type": "currency", "currency": "SEK"}
    granted = api.post(
        "/api/v1/credits/",
        {"operation": "grant", "idempotency_key": "promo-1", "amount": "50.00", **credit},
        format="json",
    )
    assert granted.status_code == 201
    for _ in range(2):  # the billing engine's retry records nothing twice
        consumed = api.post(
            "/api/v1/charges/apply-credits/",
            {
                "idempotency_key": "BILL-ORD-600002-1",
                "subscription": "ORD-600002",
                "amount": "149.00",
                "transaction_id": "BILL-ORD-600002-1",
                **credit,
            },
            format="json",
        )
        assert consumed.status_code in (200, 201)

    sign_in("agent")
    page.goto(reverse("activity:recent", args=[account.customer_number]))
    page.locator("details.type-picker summary").click()
    credit_types = page.get_by_role("group", name="Credit")
    for title in ("Credit Granted", "Credit Consumed", "Gift Card Redeemed", "Manual Credit Added"):
        assert credit_types.get_by_label(title, exact=True).count() == 1
    page.get_by_label("Category").select_option(label="Credit")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()

    items = page.locator("li.event")
    assert items.evaluate_all("els => els.map(e => e.dataset.type)") == [
        "credit_consumed",
        "credit_granted",
    ]
    used = items.first.inner_text()
    for shown in (
        "Credit Consumed",
        "Credit",  # the category's badge
        f"· {INTEGRATION_NAME}",
        "Consumed amount\n50.00 SEK",
        "Wallet\nAccount",
        "Balance after\n0.00 SEK",
        "Transaction ID\nBILL-ORD-600002-1",
        "Subscription order ID\nORD-600002",
    ):
        assert shown in used
    assert items.first.get_by_role("link", name="ORD-600002").count() == 1

    checked = browser.new_context(base_url=live_server.url, bypass_csp=True)
    checked.add_cookies(page.context.cookies())
    axe_page = checked.new_page()
    axe_page.goto(page.url)
    assert_accessible(axe_page)
    checked.close()


def test_customer_service_searches_inside_the_timeline_and_sees_the_words_marked(
    browser, live_server, page, sign_in, make_user, timeline
):
    account, events = timeline
    make_user(roles.CUSTOMER_SERVICE, username="agent")
    receipts = [e for e in events if e.type == "email_sent"]
    sign_in("agent")
    page.goto(reverse("activity:recent", args=[account.customer_number]))

    page.get_by_label("Search events", exact=True).fill("RECEIPT")
    page.get_by_label("To", exact=True).fill("2026-05-05")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()

    expected = stamps([e for e in receipts if e.occurred_at.astimezone(STOCKHOLM).day <= 5])
    times, types = shown(page)
    assert (times, types) == (expected, {"email_sent"})
    assert page.locator("li.event mark").first.inner_text() == "receipt"
    assert page.locator(".match-count").inner_text() == (
        "10 events match these filters; 10 on this page."
    )
    assert page.get_by_label("Search events", exact=True).input_value() == "RECEIPT"
    checked = browser.new_context(base_url=live_server.url, bypass_csp=True)
    checked.add_cookies(page.context.cookies())
    axe_page = checked.new_page()
    axe_page.goto(page.url)
    assert_accessible(axe_page)
    checked.close()

    page.get_by_role("link", name="Remove filter: Search: “RECEIPT”").click()
    expect(page.locator("li.event")).to_have_count(25)
