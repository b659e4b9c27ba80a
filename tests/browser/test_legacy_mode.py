import datetime as dt

import pytest
from playwright.sync_api import expect

from config import roles
from legacy_history.services import legacy_history_migrate
from tests.factories import AccountFactory, LegacyEntryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_reads_legacy_mode_then_finds_a_migrated_entry_in_recent_activity(
    page, sign_in, make_user
):
    make_user(roles.CUSTOMER_SERVICE, username="agent")
    account = AccountFactory(name="Karin Nilsson", email="karin.nilsson@example.se")
    LegacyEntryFactory(
        account=account,
        event_name="Voucher redeemed",
        type="voucher",
        message="Gift voucher for three months applied.",
        producer="jonas.ek@payway.example",
        created_at=dt.datetime(2019, 6, 1, 10, tzinfo=dt.UTC),
    )
    LegacyEntryFactory(
        account=account,
        event_name="Subscription freeze",
        type="subscription",
        message="Frozen for the summer holidays.",
        producer="CProfit",
        created_at=dt.datetime(2019, 5, 1, 10, tzinfo=dt.UTC),
    )
    legacy_history_migrate()

    sign_in("agent")
    page.goto(account.get_absolute_url())
    page.get_by_role("link", name="View in Legacy mode").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Legacy mode")
    rows = page.locator("table.legacy-entries tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Gift voucher for three months applied.")
    expect(rows.first).to_contain_text("jonas.ek@payway.example")
    expect(page.get_by_text("Frozen for the summer holidays.")).to_have_count(0)

    page.get_by_role("link", name="Back to Recent Activity").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Recent Activity")
    migrated = page.locator("li.event", has_text="Frozen for the summer holidays.")
    expect(migrated).to_have_count(1)
    expect(migrated).to_contain_text("Pause Activated")
    expect(migrated).to_contain_text("Legacy")
    expect(migrated).to_contain_text("CProfit")


def test_an_agent_filters_legacy_mode_by_days_and_type_and_downloads_it(page, sign_in, make_user):
    make_user(roles.CUSTOMER_SERVICE, username="agent")
    account = AccountFactory(name="Karin Nilsson")
    for day, kind, message in [
        (2, "voucher", "Summer voucher applied."),
        (10, "order", "Order of a gift box."),
        (20, "voucher", "Winter voucher applied."),
    ]:
        LegacyEntryFactory(
            account=account,
            type=kind,
            event_name="Old event",
            message=message,
            producer="System",
            created_at=dt.datetime(2019, 6, day, 10, tzinfo=dt.UTC),
        )

    sign_in("agent")
    page.goto(f"{account.get_absolute_url()}activity/legacy/")
    expect(page.locator("table.legacy-entries tbody tr")).to_have_count(3)
    page.get_by_label("From").fill("2019-06-05")
    page.get_by_label("Voucher").check()
    page.get_by_role("button", name="Filter").click()

    rows = page.locator("table.legacy-entries tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Winter voucher applied.")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    with open(download.value.path(), encoding="utf-8-sig") as file:
        text = file.read()
    assert "Winter voucher applied." in text
    assert "Summer voucher applied." not in text and "gift box" not in text
