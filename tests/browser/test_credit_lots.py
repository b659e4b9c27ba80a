"""Finance grants promotional credit that expires soon from the account page; after a billing
run draws on it, the page lists the open lots, warns of the credit about to expire, and says
which lot the billing was paid from."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from config import roles
from credits import services
from tests.browser.axe import assert_accessible
from tests.factories import AccountFactory, ProductFactory, SubscriptionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SEK = {"credit_type": "currency", "currency": "SEK"}


def test_finance_sees_lots_their_expiry_and_what_paid_a_charge(
    page, sign_in, make_user, browser, live_server
):
    make_user(roles.FINANCE, username="analyst", first_name="Maja", last_name="Ek")
    account = AccountFactory(customer_number="600031", name="Karin Nilsson")
    product = ProductFactory(name="Digital Plus", price=Decimal("149.00"), currency="SEK")
    SubscriptionFactory(account=account, product=product, order_id="ORD-600031")
    services.credit_grant(
        actor=None, account=account, amount="100", transaction_id="PUR-1", **SEK
    )  # paid, never expires
    today = timezone.localdate()
    expires = (today + dt.timedelta(days=10)).isoformat()

    sign_in("analyst")
    page.goto(reverse("accounts:detail", args=[account.customer_number]))
    panel = page.locator("section#credits")
    panel.locator("summary", has_text="Grant credit").click()
    form = panel.locator("details", has=page.locator("summary", has_text="Grant credit"))
    form.get_by_label("Amount").fill("60")
    form.get_by_label("Kind").select_option("promotional")
    form.get_by_label("Expires on").fill(expires)
    form.get_by_label("Reason").fill("Winter campaign")
    form.get_by_role("button", name="Grant credit").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").first.inner_text() == "Credit granted."

    services.apply_credits(account=account, amount="50", transaction_id="BILL-1", **SEK)
    page.reload()

    lots = panel.locator("table.credit-lots tbody tr")
    assert lots.count() == 2
    first = lots.nth(0).locator("td").all_inner_texts()
    second = lots.nth(1).locator("td").all_inner_texts()
    assert first[1:3] == [f"promotional lot of {today.isoformat()}", "Promotional"]
    assert "10.00" in first[4] and first[5] == expires  # drawn first: it expires
    assert second[1:3] == [f"paid lot of {today.isoformat()}", "Paid"]
    assert "100.00" in second[4] and second[5] == "Never"
    warning = panel.locator("#credit-expiry-warning").inner_text()
    assert "Credit expires within 30 days" in warning and f"expires on {expires}" in warning
    history = panel.locator("table.credit-history tbody tr").first.inner_text()
    assert f"paid from: promotional lot of {today.isoformat()}, 50.00 SEK" in history

    # The lots' table and the warning keep the page accessible (axe-core, in a context that
    # may inject it past the CSP).
    checked = browser.new_context(base_url=live_server.url, bypass_csp=True)
    checked.add_cookies(page.context.cookies())
    axe_page = checked.new_page()
    axe_page.goto(page.url)
    assert_accessible(axe_page)
    checked.close()
