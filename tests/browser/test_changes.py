"""An agent moves a customer to another city and changes the billing day; Recent Activity shows
each change as a diff, the value before and after."""

import pytest
from playwright.sync_api import expect

from config import roles
from tests.factories import AccountFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_edits_the_address_and_reads_the_diff_on_the_timeline(page, sign_in, make_user):
    make_user(roles.CUSTOMER_SERVICE, username="agent", first_name="Sara", last_name="Lind")
    account = AccountFactory(
        customer_number="872001", city="Malmö", street="Storgatan 1", country="SE", billing_day=5
    )

    sign_in("agent")
    page.goto(account.get_absolute_url())
    page.get_by_text("Edit address").click()
    page.get_by_label("City").fill("Lund")
    page.get_by_role("button", name="Save address").click()
    expect(page.get_by_role("status")).to_contain_text("Address updated.")
    page.get_by_text("Change billing day").click()
    page.get_by_label("Billing day").fill("12")
    page.get_by_role("button", name="Save billing day").click()
    expect(page.get_by_role("status")).to_contain_text("Billing day changed")

    page.goto(f"{account.get_absolute_url()}activity/")
    address = page.locator("li.event", has_text="Address Details Modified")
    expect(address.locator("ul.diff li")).to_have_text("City: Malmö → Lund")
    billing = page.locator("li.event", has_text="Billing Date Changed")
    expect(billing.locator("ul.diff li")).to_have_text("Billing day: 5 → 12")
