"""An agent opens an account and its Recent Activity; an administrator reads who did in the
account's access log and narrows it to one page."""

import zipfile

import pytest
from playwright.sync_api import expect

from config import roles
from tests.factories import AccountFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_sees_who_opened_the_account_and_filters_it(page, sign_in, make_user):
    make_user(roles.CUSTOMER_SERVICE, username="agent", first_name="Sara", last_name="Lind")
    make_user(roles.SYSTEM_ADMINISTRATOR, username="admin", is_staff=True)
    account = AccountFactory(customer_number="871001", name="Karin Lövgren")

    sign_in("agent")
    page.goto(account.get_absolute_url())
    expect(page.get_by_role("link", name="Access log")).to_have_count(0)
    page.goto(f"{account.get_absolute_url()}activity/?type=email_sent")
    page.context.clear_cookies()

    sign_in("admin")
    page.goto(account.get_absolute_url())
    page.get_by_role("link", name="Access log").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Access log")
    rows = page.locator("table.access-log tbody tr")
    # The agent's two pages, the administrator's account page and this log.
    expect(rows).to_have_count(4)
    expect(rows.filter(has_text="Sara Lind")).to_have_count(2)
    expect(rows.filter(has_text="type: email_sent")).to_contain_text("Recent Activity")

    page.get_by_label("Page", exact=True).select_option(label="Recent Activity")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Sara Lind")


def test_an_administrator_downloads_the_customers_data_and_sees_it_recorded(
    page, sign_in, make_user, tmp_path
):
    make_user(roles.SYSTEM_ADMINISTRATOR, username="admin", is_staff=True)
    account = AccountFactory(customer_number="871002", name="Karin Lövgren")

    sign_in("admin")
    page.goto(account.get_absolute_url())
    page.get_by_role("link", name="Access log").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the customer's data").click()
    assert download.value.suggested_filename.startswith("customer-data-871002-")
    saved = tmp_path / "export.zip"
    download.value.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        assert "account.json" in archive.namelist()

    page.reload()  # itself recorded: the newest row is this opening of the log
    rows = page.locator("table.access-log tbody tr")
    expect(rows.nth(0)).to_contain_text("Access log")
    expect(rows.nth(1)).to_contain_text("Customer data export")
    page.goto("/staff/activity/")
    expect(page.locator("body")).to_contain_text("Downloaded everything held on customer 871002")
