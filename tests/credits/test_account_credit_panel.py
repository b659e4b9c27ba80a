"""The credit panel of the account page: balances, the forms each role may use, and the
grants, revocations, charges and refunds made from it."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from activity.models import ActivityEvent
from config import roles
from credits import services
from credits.models import CreditEntry, CreditWallet
from tests.credits.conftest import SEK
from tests.factories import PaymentMethodFactory

pytestmark = pytest.mark.django_db


# --- The account page's credit panel --------------------------------------------------------


def account_page(client, account):
    return client.get(reverse("accounts:detail", args=[account.customer_number])).content.decode()


def test_the_account_page_shows_balances_per_wallet_and_the_history(
    finance_client, account, subscription
):
    services.credit_grant(actor=None, account=account, amount="100", note="Welcome", **SEK)
    services.credit_grant(
        actor=None, account=account, subscription=subscription, amount=3, credit_type="token"
    )
    html = account_page(finance_client, account)
    panel = html.split('id="credits"', 1)[1].split("</section>", 1)[0]
    assert "100.00" in panel and "Welcome" in panel
    assert "Subscription <a" in panel and ">ORD-700001<" in panel
    assert 'href="/credits/activity/?account_id=700001"' in panel


@pytest.mark.parametrize(
    ("role", "forms"),
    [
        (roles.FINANCE, {"Grant credit", "Revoke credit", "Manual charge", "Manual refund"}),
        (roles.CUSTOMER_SERVICE, {"Grant credit"}),
        (roles.SALES_AGENT, set()),
    ],
)
def test_the_forms_show_to_the_roles_that_may_use_them(client, make_user, account, role, forms):
    PaymentMethodFactory(account=account)
    services.credit_grant(actor=None, account=account, amount="10", **SEK)
    client.force_login(make_user(role))
    html = account_page(client, account)
    assert 'id="credits"' in html  # every customer-facing role sees balances
    shown = {s for s in re.findall(r"<summary>([^<]+)</summary>", html)}
    assert shown & {"Grant credit", "Revoke credit", "Manual charge", "Manual refund"} == forms


def test_granting_from_the_account_page(finance_client, account, subscription, finance):
    response = finance_client.post(
        reverse("credits:grant", args=[account.customer_number]),
        {
            "grant-subscription": "ORD-700001",
            "grant-credit_type": "currency",
            "grant-currency": "SEK",
            "grant-amount": "149",
            "grant-note": "Missed delivery",
        },
        follow=True,
    )
    assert "Credit granted." in response.content.decode()
    entry = CreditEntry.objects.get()
    assert (entry.subscription, entry.amount, entry.actor, entry.note) == (
        subscription,
        Decimal("149"),
        finance,
        "Missed delivery",
    )
    assert ActivityEvent.objects.filter(type="manual_credit_added").exists()


def test_a_grant_without_a_reason_says_so_and_writes_nothing(finance_client, account):
    response = finance_client.post(
        reverse("credits:grant", args=[account.customer_number]),
        {"grant-credit_type": "currency", "grant-currency": "SEK", "grant-amount": "1"},
        follow=True,
    )
    assert "Grant failed: Reason: This field is required." in response.content.decode()
    assert not CreditEntry.objects.exists()


def test_a_refused_grant_opens_again_with_what_was_typed(finance_client, account):
    """A refusal never makes a person type the amount and the reason again."""
    response = finance_client.post(
        reverse("credits:grant", args=[account.customer_number]),
        {
            "grant-credit_type": "token",
            "grant-amount": "1.5",
            "grant-note": "Article pack for the outage",
        },
        follow=True,
    )
    html = response.content.decode()

    assert re.search(r"<details open>\s*<summary>Grant credit</summary>", html)
    assert 'name="grant-amount" value="1.5"' in html
    assert "Article pack for the outage" in html
    # Shown once: the next visit starts from an empty form again.
    again = finance_client.get(account.get_absolute_url()).content.decode()
    assert "Article pack for the outage" not in again


@pytest.mark.parametrize(("typed", "granted"), [("10,50", "10.50"), ("10.5", "10.50")])
def test_a_decimal_comma_or_point_is_taken(finance_client, account, subscription, typed, granted):
    finance_client.post(
        reverse("credits:grant", args=[account.customer_number]),
        {
            "grant-credit_type": "currency",
            "grant-currency": "SEK",
            "grant-amount": typed,
            "grant-note": "Goodwill",
        },
    )
    assert CreditEntry.objects.get().amount == Decimal(granted)


@pytest.mark.parametrize("typed", ["1e3", "1E3", "1 000", "1.000,50", "10,5,0", "0x10"])
def test_an_amount_that_is_not_typed_as_people_type_amounts_is_refused(
    finance_client, account, subscription, typed
):
    response = finance_client.post(
        reverse("credits:grant", args=[account.customer_number]),
        {
            "grant-credit_type": "currency",
            "grant-currency": "SEK",
            "grant-amount": typed,
            "grant-note": "Goodwill",
        },
        follow=True,
    )
    assert "The amount must be a number, e.g. 12.50 or 12,50." in response.content.decode()
    assert not CreditEntry.objects.exists()


def test_a_service_refusal_is_shown_on_the_account_page(finance_client, account):
    response = finance_client.post(
        reverse("credits:grant", args=[account.customer_number]),
        {
            "grant-credit_type": "token",
            "grant-amount": "1.5",
            "grant-note": "Article pack",
        },
        follow=True,
    )
    assert "Grant failed: Tokens are whole numbers." in response.content.decode()
    assert not CreditWallet.objects.exists()


def confirm(client, url, choices, reason):
    """Open the confirmation page with the choices, then confirm it with its key and a
    reason; return the followed answer and what was posted."""
    page = client.get(url, choices)
    assert page.status_code == 200 and page.context["valid"], page.content.decode()
    posted = {**choices, "reason": reason, "key": page.context["reason_form"]["key"].value()}
    return client.post(url, posted, follow=True), posted


def test_revoking_from_the_account_page(finance_client, account):
    wallet = services.credit_grant(actor=None, account=account, amount="50", **SEK).wallet
    response, _ = confirm(
        finance_client,
        reverse("credits:revoke", args=[account.customer_number]),
        {"revoke-wallet": str(wallet.pk), "revoke-amount": "20"},
        "Twice",
    )
    assert "Credit revoked." in response.content.decode()
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("30")


def test_a_manual_charge_from_the_account_page_uses_credit_first(finance_client, account):
    services.credit_grant(actor=None, account=account, amount="50", **SEK)
    response, _ = confirm(
        finance_client,
        reverse("credits:charge", args=[account.customer_number]),
        {"charge-amount": "80", "charge-currency": "SEK", "charge-use_credits": "on"},
        "Replacement card",
    )
    assert (
        "Charge added: 50.00 SEK from credit, 30.00 SEK billed to the payment method."
        in response.content.decode()
    )


def test_a_manual_refund_from_the_account_page(finance_client, account, subscription):
    method = PaymentMethodFactory(account=account)
    response, _ = confirm(
        finance_client,
        reverse("credits:refund", args=[account.customer_number]),
        {"refund-amount": "99", "refund-currency": "SEK", "refund-refunded_to": str(method.pk)},
        "Charged after cancellation",
    )
    assert "Refund issued." in response.content.decode()
    assert ActivityEvent.objects.get(type="manual_refund_issued").data["reason"] == (
        "Charged after cancellation"
    )


def test_the_charge_page_shows_what_credit_pays_and_what_the_card_is_billed(
    finance_client, account
):
    PaymentMethodFactory(account=account, brand="Visa", masked_details="•••• 4242")
    services.credit_grant(actor=None, account=account, amount="50", **SEK)
    page = finance_client.get(
        reverse("credits:charge", args=[account.customer_number]),
        {"charge-amount": "80", "charge-currency": "SEK", "charge-use_credits": "on"},
    )
    changes = {c.label: (c.now, c.after) for c in page.context["changes"]}
    assert changes["From credit"] == ("50.00 SEK", "50.00 SEK")
    assert changes["Billed to Visa •••• 4242"] == ("", "30.00 SEK")
    assert not ActivityEvent.objects.filter(type="manual_charge_added").exists()


@pytest.mark.parametrize("action", ["revoke", "charge", "refund"])
def test_a_credit_confirmation_posted_twice_does_it_once(finance_client, account, action):
    method = PaymentMethodFactory(account=account)
    wallet = services.credit_grant(actor=None, account=account, amount="50", **SEK).wallet
    url = reverse(f"credits:{action}", args=[account.customer_number])
    choices = {
        "revoke": {"revoke-wallet": str(wallet.pk), "revoke-amount": "20"},
        "charge": {"charge-amount": "80", "charge-currency": "SEK", "charge-use_credits": "on"},
        "refund": {
            "refund-amount": "9",
            "refund-currency": "SEK",
            "refund-refunded_to": str(method.pk),
        },
    }[action]
    _, posted = confirm(finance_client, url, choices, "Asked by the customer")
    before = (CreditEntry.objects.count(), ActivityEvent.objects.count())
    again = finance_client.post(url, posted, follow=True)
    assert "Already done: this confirmation was posted before" in again.content.decode()
    assert (CreditEntry.objects.count(), ActivityEvent.objects.count()) == before


def test_a_revocation_without_a_reason_changes_nothing(finance_client, account):
    wallet = services.credit_grant(actor=None, account=account, amount="50", **SEK).wallet
    response, _ = confirm(
        finance_client,
        reverse("credits:revoke", args=[account.customer_number]),
        {"revoke-wallet": str(wallet.pk), "revoke-amount": "20"},
        "",
    )
    assert "Revocation not done: Reason: This field is required." in response.content.decode()
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("50")


def test_a_currency_outside_the_list_is_refused(finance_client, account):
    page = finance_client.get(
        reverse("credits:charge", args=[account.customer_number]),
        {"charge-amount": "80", "charge-currency": "XXX"},
    )
    assert page.context["valid"] is False
    assert "Select a valid choice" in page.content.decode()
