"""Finance sees breakage: the expired credit of a lot on Credit Activity (filtered by Credit
Expired) and in the roll-forward's Credit Expired column."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from config import roles
from credits import services
from tests.browser.test_credit_balances import assert_accessible_here
from tests.factories import AccountFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SEK = {"credit_type": "currency", "currency": "SEK"}


def test_finance_sees_expired_credit_on_credit_activity_and_the_roll_forward(
    browser, page, sign_in, make_user
):
    today = timezone.localdate()
    account = AccountFactory(name="Karin Nilsson", customer_number="790001")
    services.credit_grant(
        actor=None,
        account=account,
        amount="75",
        lot_kind="promotional",
        expires_on=today - dt.timedelta(days=2),
        created_at=timezone.now() - dt.timedelta(days=5),
        note="Autumn campaign",
        **SEK,
    )
    services.credit_grant(actor=None, account=account, amount="20", **SEK)
    assert services.credit_lots_expire().lots == 1
    make_user(roles.FINANCE, username="analyst")
    sign_in("analyst")

    page.get_by_role("link", name="Credit Activity").click()
    page.get_by_role("combobox", name="Activity").select_option(label="Credit Expired")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    rows = page.locator("table.table:not(.totals-table) tbody tr")
    assert rows.count() == 1
    text = rows.first.inner_text()
    assert "Credit Expired" in text and "-75.00" in text and "Karin Nilsson" in text
    assert "promotional lot of" in text  # the lot it was taken from
    assert_accessible_here(browser, page)

    first = today - dt.timedelta(days=10)
    page.goto(f"{reverse('credits:balances')}?date_from={first}&date_to={today}")
    # The headings' words as written (the page shows them in capitals).
    header = [c.strip() for c in page.locator("table.table thead th").all_text_contents()]
    row = page.locator("table.table tbody tr").filter(has_text="SEK")
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    assert "Credit Expired" in header
    assert cells[header.index("Credit Expired")] == "-75.00"
    assert row.locator(".reconciled").count() == 1
    assert_accessible_here(browser, page)
