import csv
import datetime as dt
import io

import pytest
from playwright.sync_api import expect

from config import roles
from credits import services
from tests.factories import AccountFactory, ProductFactory, SubscriptionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SEK = {"credit_type": "currency", "currency": "SEK"}


def june(day, hour=9):
    return dt.datetime(2026, 6, day, hour, 15, tzinfo=dt.UTC)


@pytest.fixture
def ledger():
    karin = AccountFactory(name="Karin Nilsson", email="karin.nilsson@example.se")
    premium = ProductFactory(code="premium", name="Premium", price="149.00")
    subscription = SubscriptionFactory(account=karin, product=premium, order_id="ORD-777001")
    services.credit_grant(actor=None, account=karin, amount="300", created_at=june(1), **SEK)
    for day in (5, 12, 19, 26):
        services.apply_credits(
            account=karin,
            subscription=subscription,
            amount="49.90",
            transaction_id=f"BILL-{day}",
            created_at=june(day),
            note="=SUM(A1:A2) billing",
            **SEK,
        )
    services.credit_grant(actor=None, account=karin, amount="10", created_at=june(28), **SEK)
    other = AccountFactory(name="Olle Berg", email="olle@example.com")
    services.credit_grant(actor=None, account=other, amount="99", created_at=june(12), **SEK)
    return karin


def test_finance_filters_by_email_and_dates_and_downloads_the_same_rows(
    page, sign_in, make_user, ledger, tmp_path
):
    make_user(roles.FINANCE, username="analyst")
    sign_in("analyst")
    page.get_by_role("link", name="Credit Activity").click()
    page.get_by_label("Account e-mail").fill("KARIN.NILSSON@example.se")
    page.get_by_label("Created from").fill("2026-06-05")
    page.get_by_label("Created to").fill("2026-06-19")
    page.get_by_role("button", name="Filter").click()

    table_rows = page.locator("table.table:not(.totals-table) tbody tr")
    expect(table_rows).to_have_count(3)  # waits for the filtered page
    shown = [
        [cell.strip() for cell in table_rows.nth(i).locator("td").all_inner_texts()]
        for i in range(table_rows.count())
    ]
    assert all(row[1] == "Karin Nilsson" for row in shown)
    assert page.locator("table.table .flag").first.get_attribute("title") == "Swedish Krona"

    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename.startswith("credit-activity-")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    header, *rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))

    assert header[0] == "Date (Europe/Stockholm)"
    assert len(rows) == len(shown)
    for on_page, in_file in zip(shown, rows, strict=True):
        (
            date,
            account,
            kind,
            activity,
            amount,
            balance,
            lots,
            transaction,
            subscription,
            note,
            by,
        ) = on_page
        assert lots.startswith("paid from: promotional lot of 2026-06-01, 49.90 SEK")
        assert in_file[0].replace("T", " ").startswith(date)  # same local minute
        assert in_file[0].endswith("+02:00")
        assert (in_file[2], in_file[4], in_file[5]) == (account, kind, activity)
        assert f"{in_file[8]} {in_file[9]}" in amount  # the page adds the flag (an image) before it
        assert (in_file[10], in_file[11], in_file[12]) == (balance, transaction, subscription)
        assert in_file[14] == "'" + note  # the formula-like note is defused in the file only
        assert in_file[15] == by
