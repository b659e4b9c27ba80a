"""Four eyes in Chromium: an agent's grant over the Customer Service limit waits for approval;
a Finance user finds it behind the "Approvals" link, approves (or rejects) it, and both names
are on the entry in Credit Activity and in the account's credit history."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from config import roles
from credits import services
from credits.models import ApprovalState, CreditApproval, CreditEntry
from tests.browser.axe import assert_accessible
from tests.factories import AccountFactory, ProductFactory, SubscriptionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REQUEST = re.compile(r"sent for approval as request (\d+)")


@pytest.fixture
def account(make_user):
    make_user(roles.CUSTOMER_SERVICE, username="agent", first_name="Sara", last_name="Lind")
    make_user(roles.FINANCE, username="analyst", first_name="Maja", last_name="Ek")
    account = AccountFactory(customer_number="620001", name="Karin Nilsson")
    product = ProductFactory(code="premium", name="Premium", price="149.00", currency="SEK")
    SubscriptionFactory(account=account, product=product, order_id="ORD-620001")
    services.credit_grant(
        actor=None, account=account, amount="100", credit_type="currency", currency="SEK"
    )
    return account


def assert_accessible_as_page_user(browser, live_server, page):
    """axe-core on the page's current address, for the same signed-in user. Its script is
    injected inline, which the site's Content-Security-Policy blocks (as it should); so, as in
    test_agents_safety, it runs in a context that bypasses the policy, given the same session
    cookies (no second sign-in: a TOTP code is accepted once)."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1400, "height": 900}, bypass_csp=True
    )
    context.add_cookies(page.context.cookies())
    checked = context.new_page()
    checked.set_default_timeout(15_000)
    try:
        checked.goto(page.url)
        assert checked.get_by_role("heading", level=1).inner_text() == (
            page.get_by_role("heading", level=1).inner_text()
        )
        assert_accessible(checked)
    finally:
        context.close()


@pytest.fixture
def axe(browser, live_server):
    return lambda page: assert_accessible_as_page_user(browser, live_server, page)


def balances(page) -> str:
    return page.locator("table.credit-balances").inner_text()


def request_over_the_limit(page, sign_in, account) -> int:
    """The agent grants 2,000 SEK on the account page: more than Customer Service may (500
    SEK), so it waits for approval and nothing is credited yet. Returns the request's number."""
    sign_in("agent")
    page.goto(account.get_absolute_url())
    assert "100.00" in balances(page)
    page.locator("summary", has_text="Grant credit").click()
    form = page.locator("form[action$='/grant/']")
    assert "500" in form.locator(".limits").inner_text()
    form.get_by_label("Currency").select_option("SEK")
    form.get_by_label("Amount").fill("2000")
    form.get_by_label("Reason").fill("Goodwill: two months without delivery.")
    form.get_by_role("button", name="Grant credit").click()
    page.wait_for_load_state()

    said = page.get_by_role("status").first.inner_text()
    assert said.startswith("Not done yet: 2000.00 SEK"), said
    assert "Credit granted." not in said
    number = int(REQUEST.search(said).group(1))
    assert "100.00" in balances(page) and "2100.00" not in balances(page)
    assert CreditEntry.objects.filter(account=account).count() == 1  # the first grant only
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    return number


def open_the_request(page, sign_in, number, axe):
    """Finance signs in (password and code), follows "Approvals 1" to the request's page; the
    list and the page pass axe-core."""
    sign_in("analyst")
    link = page.get_by_role("navigation", name="Main").get_by_role("link", name="Approvals")
    assert link.locator(".badge").inner_text() == "1"
    link.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Approvals"
    row = page.locator("table tbody tr", has_text=f"Request {number}")
    assert "Sara Lind" in row.inner_text() and "2000.00 SEK" in row.inner_text()
    axe(page)
    row.get_by_role("link", name=f"Request {number}").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == (
        f"Request {number}: Grant of 2000.00 SEK"
    )
    summary = page.locator("dl.summary").inner_text()
    assert "Goodwill: two months without delivery." in summary and "Sara Lind" in summary
    axe(page)


def test_finance_approves_an_agents_grant_over_the_limit_and_both_names_are_kept(
    page, sign_in, account, axe
):
    number = request_over_the_limit(page, sign_in, account)
    open_the_request(page, sign_in, number, axe)

    page.get_by_role("button", name="Approve and run").click()
    page.wait_for_load_state()
    said = page.get_by_role("status").first.inner_text()
    assert said == "Approved: the grant of 2000.00 SEK for Sara Lind ran now.", said
    assert "Approved by Maja Ek" in page.locator("dl.summary").inner_text()
    assert page.get_by_role("button", name="Approve and run").count() == 0
    badge = page.get_by_role("navigation", name="Main").locator(".badge")
    assert badge.count() == 0  # nothing waits any more

    page.goto(reverse("credits:activity"))
    row = page.locator("table.table tbody tr", has_text="2000.00")
    assert row.count() == 1
    by = row.locator("td").last.inner_text()
    assert by == "Sara Lind approved by Maja Ek", by

    page.goto(account.get_absolute_url())
    assert "2100.00" in balances(page)
    history = page.locator("table.credit-history tbody tr", has_text="2000.00")
    assert history.locator("td").last.inner_text() == "Sara Lind, approved by Maja Ek"
    assert "Goodwill: two months without delivery." in history.inner_text()
    approval = CreditApproval.objects.get(pk=number)
    assert approval.state == ApprovalState.APPROVED


def test_finance_rejects_with_a_reason_and_nothing_is_credited(page, sign_in, account, axe):
    number = request_over_the_limit(page, sign_in, account)
    open_the_request(page, sign_in, number, axe)

    page.get_by_label("Reason for rejecting").fill("Delivery was fine: see ticket 4711.")
    page.get_by_role("button", name="Reject").click()
    page.wait_for_load_state()
    said = page.get_by_role("status").first.inner_text()
    assert said.startswith("Rejected: nothing was changed"), said
    summary = page.locator("dl.summary").inner_text()
    assert "Rejected by Maja Ek" in summary
    assert "Delivery was fine: see ticket 4711." in summary
    assert page.get_by_role("button", name="Approve and run").count() == 0

    page.goto(reverse("credits:approvals") + "?state=rejected")
    row = page.locator("table tbody tr", has_text=f"Request {number}")
    assert "Rejected" in row.inner_text() and "Maja Ek" in row.inner_text()
    page.goto(account.get_absolute_url())
    assert "100.00" in balances(page) and "2100.00" not in balances(page)
    assert CreditEntry.objects.filter(account=account).count() == 1


def test_the_agent_follows_their_request_under_my_requests_until_it_is_decided(
    page, sign_in, account, axe
):
    number = request_over_the_limit(page, sign_in, account)
    services.approval_reject(
        actor=get_user_model().objects.get(username="analyst"),
        approval=number,
        reason="Goodwill is one month at most.",
    )

    sign_in("agent")
    page.get_by_role("link", name="My requests").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "My requests"
    row = page.locator("table tbody tr", has_text=f"Request {number}")
    assert "Rejected" in row.inner_text() and "Maja Ek" in row.inner_text()
    axe(page)
    row.get_by_role("link", name=f"Request {number}").click()
    page.wait_for_load_state()
    summary = page.locator("dl.summary").inner_text()
    assert "Goodwill is one month at most." in summary
    assert page.get_by_role("button", name="Approve and run").count() == 0
    page.get_by_role("link", name="My requests").first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "My requests"


def test_the_header_finds_an_account_from_any_page(page, sign_in, account):
    sign_in("analyst")
    page.goto(reverse("credits:balances"))

    search = page.get_by_role("search", name="Accounts")
    search.get_by_label("Find an account").fill(account.customer_number)
    search.get_by_role("button", name="Find").click()
    page.wait_for_load_state()

    assert page.get_by_role("heading", level=1).inner_text().startswith("Karin Nilsson")
