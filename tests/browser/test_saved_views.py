"""A Finance analyst saves Credit Activity's filters for their role and chooses its columns; a
colleague opens the shared view from the menu; an agent saves a Recent Activity view and opens
it on another account."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from config import roles
from credits import services
from tests.browser.axe import assert_accessible
from tests.factories import AccountFactory, ActivityEventFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SEK = {"credit_type": "currency", "currency": "SEK"}


def june(day):
    return dt.datetime(2026, 6, day, 9, 15, tzinfo=dt.UTC)


def headings(page) -> list[str]:
    """The table's column headings, as written (the style shows them in capitals)."""
    cells = page.locator("table.table:not(.totals-table) thead th").all_text_contents()
    return [cell.split()[0].lower() for cell in cells]


def table_rows(page):
    return page.locator("table.table:not(.totals-table) tbody tr")


def test_a_shared_credit_view_and_the_columns_chosen(
    page, sign_in, make_user, browser, live_server
):
    karin = AccountFactory(name="Karin Nilsson", email="karin@example.se")
    olle = AccountFactory(name="Olle Berg", email="olle@example.com")
    for day in (2, 9):
        services.credit_grant(actor=None, account=karin, amount="10", created_at=june(day), **SEK)
    services.credit_grant(actor=None, account=olle, amount="99", created_at=june(3), **SEK)
    make_user(roles.FINANCE, username="analyst")
    make_user(roles.FINANCE, username="colleague")

    sign_in("analyst")
    page.get_by_role("link", name="Credit Activity").click()
    page.get_by_label("Account e-mail").fill("karin@example.se")
    page.get_by_role("button", name="Filter").click()
    expect(table_rows(page)).to_have_count(2)  # waits for the filtered page

    page.locator("summary", has_text="Saved views").click()
    page.get_by_label("Save these filters as").fill("Karin's credits")
    page.get_by_label("for", exact=True).select_option(roles.FINANCE)
    page.get_by_role("button", name="Save view").click()
    assert "Saved view “Karin's credits” saved." in page.locator(".messages").inner_text()

    page.locator("summary", has_text="Columns").click()
    page.get_by_label("Note").uncheck()
    page.get_by_label("By", exact=True).uncheck()
    page.get_by_role("button", name="Show these columns").click()
    assert headings(page) == [
        "date",
        "account",
        "type",
        "activity",
        "amount",
        "balance",
        "lots",
        "transaction",
        "subscription",
    ]

    checked = browser.new_context(base_url=live_server.url, bypass_csp=True)
    checked.add_cookies(page.context.cookies())
    axe_page = checked.new_page()
    axe_page.goto(page.url)
    assert_accessible(axe_page)
    checked.close()

    page.get_by_role("button", name="Sign out").click()
    sign_in("colleague")
    page.get_by_role("link", name="Credit Activity").click()
    expect(table_rows(page)).to_have_count(3)
    page.locator("summary", has_text="Saved views").click()
    page.get_by_role("link", name="Karin's credits").click()
    expect(table_rows(page)).to_have_count(2)
    assert page.get_by_label("Account e-mail").input_value() == "karin@example.se"
    # The colleague's columns are their own: all of them.
    assert "note" in headings(page) and "by" in headings(page)


def test_an_agent_opens_a_timeline_view_on_another_account(page, sign_in, make_user):
    first = AccountFactory(customer_number="740001", name="Karin Nilsson")
    second = AccountFactory(customer_number="740002", name="Olle Berg")
    for account in (first, second):
        ActivityEventFactory(account=account, type="comment_added", data={"comment": "Called."})
        ActivityEventFactory(
            account=account,
            type="email_sent",
            data={"subject": "Receipt", "to": "customer@example.com"},
        )
    make_user(roles.CUSTOMER_SERVICE, username="agent")
    sign_in("agent")

    page.goto(f"/accounts/{first.customer_number}/activity/?type=comment_added")
    assert page.locator("li.event").count() == 1
    page.locator("summary", has_text="Saved views").click()
    page.get_by_label("Save these filters as").fill("Comments only")
    page.get_by_role("button", name="Save view").click()

    page.goto(f"/accounts/{second.customer_number}/activity/")
    assert page.locator("li.event").count() == 2
    page.locator("summary", has_text="Saved views").click()
    page.get_by_role("link", name="Comments only").click()
    expect(page.locator("li.event")).to_have_count(1)
    assert f"/accounts/{second.customer_number}/activity/?type=comment_added" in page.url

    page.locator("summary", has_text="Saved views").click()
    page.get_by_role("button", name="Delete saved view Comments only").click()
    assert "Saved view “Comments only” deleted." in page.locator(".messages").inner_text()
