import datetime as dt

import pytest

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

    assert page.get_by_role("heading", level=1).inner_text() == "Legacy mode"
    rows = page.locator("table.legacy-entries tbody tr")
    assert rows.count() == 1
    assert "Gift voucher for three months applied." in rows.first.inner_text()
    assert "jonas.ek@payway.example" in rows.first.inner_text()
    assert page.get_by_text("Frozen for the summer holidays.").count() == 0

    page.get_by_role("link", name="Back to Recent Activity").click()

    assert page.get_by_role("heading", level=1).inner_text() == "Recent Activity"
    migrated = page.locator("li.event", has_text="Frozen for the summer holidays.")
    assert migrated.count() == 1
    assert "Pause Activated" in migrated.inner_text()
    assert "Legacy" in migrated.inner_text()
    assert "CProfit" in migrated.inner_text()
