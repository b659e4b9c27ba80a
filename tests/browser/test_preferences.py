"""An agent chooses their own time zone on Your preferences, reads Recent Activity in it, and
switches to UTC and back with one click."""

import datetime as dt

import pytest

from config import roles
from tests.browser.axe import assert_accessible
from tests.factories import AccountFactory, ActivityEventFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# 23:30 UTC on 1 June: 08:30 on 2 June in Tokyo, 01:30 on 2 June in Stockholm.
LATE_EVENING = dt.datetime(2026, 6, 1, 23, 30, tzinfo=dt.UTC)


def test_an_agent_reads_the_timeline_in_their_own_zone_and_in_utc(
    page, sign_in, make_user, browser, live_server
):
    account = AccountFactory(customer_number="730001", name="Karin Nilsson")
    ActivityEventFactory(
        account=account,
        type="comment_added",
        data={"comment": "Called from Tokyo"},
        occurred_at=LATE_EVENING,
    )
    make_user(roles.CUSTOMER_SERVICE, username="kenji")
    sign_in("kenji")
    assert "Times in Europe/Stockholm" in page.locator(".clock").inner_text()

    page.get_by_role("link", name="Preferences").click()
    page.get_by_role("combobox", name="Time zone").select_option("Asia/Tokyo")
    page.get_by_role("button", name="Save").click()
    assert "Times are now shown in Asia/Tokyo." in page.locator(".messages").inner_text()
    assert "Times in Asia/Tokyo" in page.locator(".clock").inner_text()

    checked = browser.new_context(base_url=live_server.url, bypass_csp=True)
    checked.add_cookies(page.context.cookies())
    axe_page = checked.new_page()
    axe_page.goto(page.url)
    assert_accessible(axe_page)
    checked.close()

    page.goto(f"/accounts/{account.customer_number}/activity/")
    event_time = page.locator("li.event time").first
    assert event_time.inner_text() == "08:30"
    assert event_time.get_attribute("datetime") == "2026-06-02T08:30:00+09:00"
    assert "Times are shown in Asia/Tokyo." in page.locator("footer").inner_text()

    page.get_by_role("button", name="Show UTC").click()
    assert page.url.endswith(f"/accounts/{account.customer_number}/activity/")
    assert page.locator("li.event time").first.inner_text() == "23:30"
    assert "Times in UTC" in page.locator(".clock").inner_text()

    page.get_by_role("button", name="Show Asia/Tokyo").click()
    assert page.locator("li.event time").first.inner_text() == "08:30"
