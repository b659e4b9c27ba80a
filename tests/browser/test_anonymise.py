"""A System Administrator erases a customer's personal data from the account page; Customer
Service is offered no such action and is refused its address."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from config import roles
from tests.factories import AccountFactory, PaymentMethodFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_confirms_and_the_account_is_anonymised(page, sign_in, make_user):
    make_user(roles.SYSTEM_ADMINISTRATOR, username="admin", is_staff=True)
    account = AccountFactory(customer_number="860001", name="Karin Lövgren")
    PaymentMethodFactory(account=account, masked_details="•••• 4242")

    sign_in("admin")
    page.goto(reverse("accounts:detail", args=[account.customer_number]))
    page.get_by_role("link", name="Erase personal data…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Erase this customer's personal data")
    expect(page.locator(".erasure-preview")).to_contain_text("Payment methods")

    page.get_by_label("Type the customer number to confirm").fill("860002")
    page.get_by_label("Reason").fill("Request GDPR-5")
    page.get_by_role("button", name="Erase personal data").click()
    expect(page.locator(".errorlist")).to_contain_text("not the account's customer number")

    page.get_by_label("Type the customer number to confirm").fill("860001")
    page.get_by_label("Reason").fill("Request GDPR-5")
    page.get_by_role("button", name="Erase personal data").click()

    expect(page.get_by_role("status")).to_contain_text("personal data was erased")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Anonymised customer")
    expect(page.locator("body")).not_to_contain_text("Karin Lövgren")
    expect(page.locator("body")).not_to_contain_text("4242")


def test_customer_service_is_offered_nothing_and_refused_the_address(page, sign_in, make_user):
    make_user(roles.CUSTOMER_SERVICE, username="agent")
    account = AccountFactory(customer_number="860003")

    sign_in("agent")
    page.goto(reverse("accounts:detail", args=[account.customer_number]))
    expect(page.get_by_role("link", name="Erase personal data…")).to_have_count(0)

    response = page.goto(reverse("accounts:anonymise", args=[account.customer_number]))
    assert response.status == 403
