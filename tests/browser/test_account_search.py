import pytest

from config import roles
from tests.factories import AccountFactory, SubscriptionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_service_finds_an_account_by_email_and_opens_it(page, sign_in, make_user):
    make_user(roles.CUSTOMER_SERVICE, username="agent")
    AccountFactory(name="Someone Else", email="someone@example.com")
    account = AccountFactory(name="Karin Nilsson", email="karin.nilsson@example.se")
    SubscriptionFactory(account=account, order_id="ORD-777001")

    sign_in("agent")
    page.get_by_placeholder("Name, e-mail, customer number, order ID, phone or card digits").fill(
        "KARIN.nilsson@example.se"
    )
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()

    # The one account that matches opens at once.
    assert page.get_by_role("heading", level=1).inner_text().startswith("Karin Nilsson")
    # The cell of the subscriptions table (the credit forms also offer the order ID).
    assert page.get_by_role("cell", name="ORD-777001", exact=True).is_visible()
    assert page.get_by_text("Customer Service").first.is_visible()
