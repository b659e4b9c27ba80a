import csv
import datetime as dt
import io

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from config import roles
from credits import services
from tests.browser.axe import assert_accessible
from tests.factories import AccountFactory, ProductFactory, SubscriptionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SEK = {"credit_type": "currency", "currency": "SEK"}


def assert_accessible_here(browser, page):
    """axe-core on the page's address, in a second tab of the same session that lets the test
    inject axe (the first keeps the Content-Security-Policy, which the `page` fixture checks)."""
    context = browser.new_context(
        base_url=page.url, bypass_csp=True, storage_state=page.context.storage_state()
    )
    try:
        checked = context.new_page()
        checked.goto(page.url)
        assert_accessible(checked)
    finally:
        context.close()


def last_month() -> tuple[dt.date, dt.date]:
    last = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


def at(day: dt.date, hour=9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


@pytest.fixture
def ledger():
    first, last = last_month()
    karin = AccountFactory(name="Karin Nilsson", customer_number="780001")
    premium = ProductFactory(code="premium", name="Premium", price="149.00")
    subscription = SubscriptionFactory(account=karin, product=premium, order_id="ORD-780001")
    before = first - dt.timedelta(days=20)
    services.credit_grant(actor=None, account=karin, amount="300", created_at=at(before), **SEK)
    services.apply_credits(
        account=karin,
        subscription=subscription,
        amount="49.90",
        transaction_id="BILL-1",
        created_at=at(first + dt.timedelta(days=4)),
        **SEK,
    )
    services.credit_grant(
        actor=None, account=karin, amount="10", created_at=at(first + dt.timedelta(days=9)), **SEK
    )
    olle = AccountFactory(name="Olle Berg", customer_number="780002")
    services.credit_grant(
        actor=None, account=olle, amount="99", created_at=at(first + dt.timedelta(days=2)), **SEK
    )
    return karin


def test_finance_opens_last_months_roll_forward_and_downloads_its_csv(
    browser, page, sign_in, make_user, ledger, tmp_path
):
    first, last = last_month()
    make_user(roles.FINANCE, username="analyst")
    sign_in("analyst")  # the password, then the authenticator app's code (Finance needs it)
    page.get_by_role("link", name="Credit Balances").click()
    page.get_by_role("navigation", name="Period presets").get_by_role(
        "link", name="Last month"
    ).click()
    page.wait_for_load_state()
    assert page.get_by_label("From").input_value() == first.isoformat()
    assert page.get_by_label("To").input_value() == last.isoformat()
    assert page.get_by_role("heading", name=f"{first} to {last}").is_visible()

    row = page.locator("table.table tbody tr").filter(has_text="SEK")
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    # Type, unit, opening, grant, consumption, refund, revocation, redemption, reversal,
    # expiry, closing
    assert cells[0] == "Currency" and cells[1].startswith("SEK")
    assert cells[2:11] == [
        "300.00", "109.00", "-49.90", "0.00", "0.00", "0.00", "0.00", "0.00", "359.10",
    ]  # fmt: skip
    assert row.locator(".reconciled").count() == 1
    assert row.get_by_text("Reconciles").count() == 1  # the check mark's words, for a reader
    assert_accessible_here(browser, page)

    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename.startswith("credit-balances-")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    header, *rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert header[:2] == ["From (Europe/Stockholm)", "To (Europe/Stockholm)"]
    assert rows == [
        [first.isoformat(), last.isoformat(), "Currency", "SEK", "300.00", "109.00", "-49.90",
         "0.00", "0.00", "0.00", "0.00", "0.00", "59.10", "359.10", "yes"],
    ]  # fmt: skip

    # The unit leads to its wallets, and a wallet to its entries on Credit Activity.
    page.get_by_role("link", name="SEK").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Credit Balances: SEK").is_visible()
    assert page.locator("table.table tbody tr").count() == 2
    assert_accessible_here(browser, page)
    page.locator("table.table tbody tr").filter(has_text="Karin Nilsson").get_by_role(
        "link", name="Entries"
    ).click()
    expect(page.locator("table.table:not(.totals-table) tbody tr")).to_have_count(2)


def test_finance_reads_an_accounts_balances_at_the_end_of_a_day(
    browser, page, sign_in, make_user, ledger
):
    first, _last = last_month()
    make_user(roles.FINANCE, username="analyst")
    sign_in("analyst")
    page.get_by_role("link", name="Credit Balances").click()
    page.get_by_role("link", name="Balances at a moment").click()
    page.wait_for_load_state()
    # The fifth day of last month, before the 49.90 was consumed: the 300 granted before.
    page.get_by_label("On", exact=True).fill((first + dt.timedelta(days=3)).isoformat())
    page.get_by_role("textbox", name="Account", exact=True).fill("780001")
    page.get_by_role("button", name="Show", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Karin Nilsson (780001) at").is_visible()
    row = page.locator("table.table tbody tr").first
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    assert cells[2:4] == ["SEK", "300.00"]  # unit, balance then
    assert page.locator(".balances-at-sums").inner_text().strip() == "SEK: 300.00"
    assert page.get_by_role("heading", name="Lots then").is_visible()
    assert_accessible_here(browser, page)

    # A moment still to come is refused with words, and nothing is shown.
    page.get_by_label("On", exact=True).fill(
        (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    )
    page.get_by_role("button", name="Show", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").first.inner_text().startswith("On: Choose a moment")
    assert page.locator("table.table").count() == 0
