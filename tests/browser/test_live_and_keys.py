"""Live Recent Activity, presence on the account page, and the timeline's keys, in Chromium:
an event recorded through the service while the page is open is announced and loaded in place,
an agent sees a colleague who has the same account open, and the keyboard journey (j, k,
Enter, ?, Escape, /) works without a mouse and is clean under axe-core."""

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from activity.services import comment_add
from config import roles
from tests.browser.axe import assert_accessible
from tests.conftest import PASSWORD
from tests.factories import AccountFactory, ActivityEventFactory, LegacyEntryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def quick_polls(settings):
    """Pages poll every second here (15 s on the site); presence starts empty."""
    settings.LIVE_POLL_SECONDS = 1
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def account():
    account = AccountFactory(customer_number="620001", name="Karin Nilsson")
    for day in range(1, 4):
        ActivityEventFactory(
            account=account, occurred_at=dt.datetime(2026, 5, day, 9, 0, tzinfo=dt.UTC)
        )
    return account


@pytest.fixture
def people(make_user):
    return {
        "agent": make_user(
            roles.CUSTOMER_SERVICE, username="agent", first_name="Sara", last_name="Lind"
        ),
        "seller": make_user(
            roles.SALES_AGENT, username="seller", first_name="Omar", last_name="Haddad"
        ),
    }


def test_an_event_recorded_while_the_page_is_open_is_announced_and_loads_on_click(
    page, sign_in, people, account
):
    sign_in("agent")
    page.goto(reverse("activity:recent", args=[account.customer_number]))
    assert page.locator("li.event").count() == 3
    announcement = page.locator(".live-news button")
    assert announcement.is_hidden()

    comment = comment_add(actor=people["seller"], account=account, text="Customer called back.")

    announcement.wait_for(state="visible", timeout=10_000)
    assert announcement.inner_text() == "1 new event"
    assert page.locator("li.event").count() == 3  # announced, not yet shown
    announcement.click()
    page.locator(f"#event-{comment.pk}").wait_for()
    assert page.locator("li.event").count() == 4
    first = page.locator("li.event").first
    assert first.get_attribute("id") == f"event-{comment.pk}"
    assert "Customer called back." in first.inner_text()
    assert announcement.is_hidden()
    # The keyboard user is on what was loaded, not on the hidden button.
    assert page.evaluate("document.activeElement.id") == f"event-{comment.pk}"
    # Nothing more is announced: the page now asks after the loaded event.
    page.wait_for_timeout(2_500)
    assert announcement.is_hidden()


def test_a_new_event_of_the_day_the_page_starts_with_joins_that_day(page, sign_in, people):
    now = timezone.localtime()
    if now.hour == 23 and now.minute >= 58:
        pytest.skip("the new event could fall on the next day")
    account = AccountFactory(customer_number="620002")
    ActivityEventFactory(account=account, occurred_at=timezone.now() - dt.timedelta(minutes=1))
    sign_in("agent")
    page.goto(reverse("activity:recent", args=[account.customer_number]))
    comment = comment_add(actor=people["seller"], account=account, text="Same day.")
    page.locator(".live-news button").click(timeout=10_000)
    page.locator(f"#event-{comment.pk}").wait_for()
    assert page.locator("section.day").count() == 1
    assert page.locator("section.day li.event").count() == 2


def test_an_event_outside_the_page_filters_is_not_announced(page, sign_in, people, account):
    sign_in("agent")
    page.goto(reverse("activity:recent", args=[account.customer_number]) + "?actor=system")
    comment_add(actor=people["seller"], account=account, text="An agent's note.")
    page.wait_for_timeout(2_500)
    assert page.locator(".live-news button").is_hidden()


def sign_in_elsewhere(browser, live_server, username):
    """A second person, in a browser of their own."""
    context = browser.new_context(base_url=live_server.url)
    other = context.new_page()
    other.goto("/login/")
    other.get_by_label("Username").fill(username)
    other.get_by_label("Password").fill(PASSWORD)
    other.get_by_role("button", name="Sign in").click()
    other.wait_for_load_state()
    return context, other


def test_the_account_page_shows_who_else_is_viewing_it(
    page, sign_in, people, account, browser, live_server
):
    address = reverse("accounts:detail", args=[account.customer_number])
    sign_in("agent")
    page.goto(address)
    presence = page.locator("p.presence")
    assert presence.is_hidden()  # nobody else yet

    context, other = sign_in_elsewhere(browser, live_server, "seller")
    other.goto(address)
    assert other.locator("p.presence").inner_text() == "Also viewing: Sara Lind"

    # The agent's page learns of the colleague at its next poll.
    presence.wait_for(state="visible", timeout=10_000)
    assert presence.inner_text() == "Also viewing: Omar Haddad"
    assert presence.get_attribute("role") == "status"

    # Once the colleague leaves (no more heartbeats) and presence expires, the line goes.
    context.close()
    cache.clear()  # as after PRESENCE_SECONDS without a heartbeat
    presence.wait_for(state="hidden", timeout=10_000)


def focused(page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.tagName")


def test_keyboard_journey_through_the_timeline_and_its_help(
    page, sign_in, people, account, browser, live_server
):
    sign_in("agent")
    page.goto(reverse("activity:recent", args=[account.customer_number]))
    ids = page.locator("li.event").evaluate_all("els => els.map(e => e.id)")
    assert len(ids) == 3

    page.keyboard.press("j")
    assert focused(page) == ids[0]
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("j")  # stays on the last
    assert focused(page) == ids[2]
    page.keyboard.press("k")
    assert focused(page) == ids[1]

    details = page.locator(f"#{ids[1]} details.event-details")
    assert details.get_attribute("open") is None
    page.keyboard.press("Enter")
    assert details.get_attribute("open") is not None
    assert re.search(r"Recorded\s+\d{4}-\d{2}-\d{2}", details.inner_text())
    page.keyboard.press("Enter")
    assert details.get_attribute("open") is None

    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    dialog.wait_for()
    assert dialog.get_attribute("aria-modal") == "true"
    assert "Next (older) event" in dialog.inner_text()
    assert page.evaluate("document.activeElement.textContent") == "Close"
    page.keyboard.press("j")  # keys sleep while the dialog is open
    assert page.evaluate("document.activeElement.textContent") == "Close"
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert focused(page) == ids[1]  # back where it was

    page.keyboard.press("/")
    assert focused(page) == "id_q"  # the search box
    page.keyboard.press("j")  # typing in a field: no key moves the focus
    page.keyboard.press("?")
    assert focused(page) == "id_q"
    assert page.locator("#id_q").input_value() == "j?"
    assert page.get_by_role("dialog").count() == 0

    # The same journey's states under axe-core (in a context that lets axe's script in).
    checked = browser.new_context(base_url=live_server.url, bypass_csp=True)
    checked.add_cookies(page.context.cookies())
    axe_page = checked.new_page()
    axe_page.goto(page.url)
    axe_page.keyboard.press("j")
    axe_page.keyboard.press("Enter")
    assert_accessible(axe_page)
    axe_page.keyboard.press("?")
    axe_page.get_by_role("dialog", name="Keyboard shortcuts").wait_for()
    assert_accessible(axe_page)
    checked.close()


def test_legacy_mode_takes_the_same_keys_through_its_entries(
    page, sign_in, people, account, browser, live_server
):
    for day in (1, 2):
        LegacyEntryFactory(
            account=account,
            event_name="Voucher redeemed",
            type="voucher",
            message=f"Voucher {day}",
            created_at=dt.datetime(2019, 6, day, 10, tzinfo=dt.UTC),
        )
    sign_in("agent")
    page.goto(reverse("legacy_history:legacy", args=[account.customer_number]))
    rows = page.locator("table.legacy-entries tbody tr")
    assert rows.count() == 2

    page.keyboard.press("j")
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.textContent").count("Voucher 1") == 1
    page.keyboard.press("k")
    assert page.evaluate("document.activeElement.textContent").count("Voucher 2") == 1

    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    dialog.wait_for()
    assert "Next (older) entry" in dialog.inner_text()
    assert "Enter" not in dialog.inner_text()  # an entry has no details to open
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.tagName") in ("INPUT", "SELECT")

    checked = browser.new_context(base_url=live_server.url, bypass_csp=True)
    checked.add_cookies(page.context.cookies())
    axe_page = checked.new_page()
    axe_page.goto(page.url)
    axe_page.keyboard.press("j")
    assert_accessible(axe_page)
    axe_page.keyboard.press("?")
    axe_page.get_by_role("dialog", name="Keyboard shortcuts").wait_for()
    assert_accessible(axe_page)
    checked.close()
