import csv
import datetime as dt
import io

import pytest

from config import roles
from credits import services
from tests.browser.test_credit_balances import assert_accessible_here, at, last_month
from tests.factories import AccountFactory, ProductFactory, SubscriptionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SEK = {"credit_type": "currency", "currency": "SEK"}


@pytest.fixture
def ledger():
    """Last month: a goodwill grant of 100 SEK, a paid one of 200, a charge of 49.90 paid by
    credit; and tokens, which the journal leaves out."""
    first, _last = last_month()
    karin = AccountFactory(name="Karin Nilsson", customer_number="780001")
    premium = ProductFactory(code="premium", name="Premium", price="149.00")
    subscription = SubscriptionFactory(account=karin, product=premium, order_id="ORD-780001")
    day = first + dt.timedelta(days=2)
    services.credit_grant(
        actor=None, account=karin, amount="100", lot_kind="goodwill", created_at=at(day), **SEK
    )
    services.credit_grant(
        actor=None, account=karin, amount="200", lot_kind="paid", created_at=at(day, 10), **SEK
    )
    services.apply_credits(
        account=karin, subscription=subscription, amount="49.90", transaction_id="BILL-1",
        created_at=at(day + dt.timedelta(days=2)), **SEK,
    )  # fmt: skip
    services.credit_grant(
        actor=None, account=karin, amount=5, credit_type="token", currency="", created_at=at(day)
    )
    return karin


def test_finance_opens_last_months_journal_and_downloads_its_csv(
    browser, page, sign_in, make_user, ledger, tmp_path
):
    first, last = last_month()
    make_user(roles.FINANCE, username="analyst")
    sign_in("analyst")
    page.get_by_role("link", name="Credit Balances").click()
    page.get_by_role("link", name="Credit Journal").click()
    page.wait_for_load_state()
    # Last month is the journal's default period.
    assert page.get_by_label("From").input_value() == first.isoformat()
    assert page.get_by_label("To").input_value() == last.isoformat()
    assert page.get_by_role("heading", name=f"{first} to {last}").is_visible()

    rows = page.locator("table.table").first.locator("tbody tr")
    cells = [[c.strip() for c in row.locator("td").all_inner_texts()] for row in rows.all()]
    assert [row[:4] for row in cells] == [
        ["SEK", "1580 Cash and receivables clearing", "2410 Customer credit liability", "200.00"],
        ["SEK", "6910 Goodwill credit expense", "2410 Customer credit liability", "100.00"],
        ["SEK", "2410 Customer credit liability", "3010 Revenue from charges paid by credit",
         "49.90"],
    ]  # fmt: skip
    reconciliation = page.locator("table.table").nth(1).locator("tbody tr")
    assert reconciliation.count() == 1
    assert reconciliation.get_by_text("Reconciles").count() == 1
    assert page.get_by_text("Tokens are not in the journal").is_visible()
    assert_accessible_here(browser, page)

    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename.startswith("credit-journal-")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    header, *lines = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert header[:2] == ["From (Europe/Stockholm)", "To (Europe/Stockholm)"]
    assert [line[2:9] for line in lines] == [
        ["SEK", "1580", "Cash and receivables clearing", "2410", "Customer credit liability",
         "200.00", "1"],
        ["SEK", "6910", "Goodwill credit expense", "2410", "Customer credit liability",
         "100.00", "1"],
        ["SEK", "2410", "Customer credit liability", "3010",
         "Revenue from charges paid by credit", "49.90", "1"],
    ]  # fmt: skip
