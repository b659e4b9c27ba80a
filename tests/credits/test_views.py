"""The Credit Activity page, a transaction's page and the credit panel of the account page."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from activity.models import ActivityEvent
from config import roles
from credits import services
from credits.models import CreditEntry, CreditType, CreditWallet
from tests.credits.conftest import SEK
from tests.factories import (
    AccountFactory,
    PaymentMethodFactory,
    ProductFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db

PAGE = reverse("credits:activity")


def at(day, hour=12):
    """A time on a June 2026 day, in UTC (Stockholm is two hours ahead)."""
    return dt.datetime(2026, 6, day, hour, tzinfo=dt.UTC)


def rows(response) -> list[str]:
    html = response.content.decode()
    # The list's table (the totals above it are another).
    listing = html.split('<table class="table">', 1)[1]
    body = listing.split("<tbody", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr.*?</tr>", body, re.S)


@pytest.fixture
def two_customers(account, subscription):
    services.credit_grant(actor=None, account=account, amount="100", created_at=at(1), **SEK)
    services.apply_credits(
        account=account,
        subscription=subscription,
        amount="40",
        transaction_id="BILL-1",
        created_at=at(10),
        **SEK,
    )
    other = AccountFactory(name="Olle Berg", email="olle@example.com", customer_number="700002")
    sports = SubscriptionFactory(
        account=other, order_id="ORD-700002", product=ProductFactory(code="s", name="Sports")
    )
    services.credit_grant(
        actor=None,
        account=other,
        subscription=sports,
        amount=5,
        credit_type=CreditType.TOKEN,
        created_at=at(20, hour=21),  # 23:00 in Stockholm on the 20th
    )
    return account, other


def test_the_page_lists_entries_newest_first_with_the_seed_columns(finance_client, two_customers):
    response = finance_client.get(PAGE)
    assert response.status_code == 200
    html = re.sub(r"\s+", "", response.content.decode())
    for heading in ("Date", "Account", "Type", "Activity", "Amount", "Balance", "Transaction"):
        assert f">{heading}<" in html
    assert ">Subscription<" in html and ">Note<" in html  # (whitespace removed above)
    listed = rows(response)
    assert len(listed) == 3
    assert "Olle Berg" in listed[0] and "Grant" in listed[2]


def test_cells_link_to_the_account_the_transaction_and_the_subscription(
    finance_client, two_customers
):
    (consumption,) = [r for r in rows(finance_client.get(PAGE)) if "Consumption" in r]
    assert 'href="/accounts/700001/"' in consumption
    assert f'href="{reverse("credits:transaction", args=["BILL-1"])}"' in consumption
    assert 'href="/accounts/700001/#subscription-ORD-700001"' in consumption


def test_amounts_are_signed_with_the_currency_flag_and_its_name_on_hover(
    finance_client, two_customers
):
    listed = rows(finance_client.get(PAGE))
    (consumption,) = [r for r in listed if "Consumption" in r]
    assert 'alt="Swedish Krona" title="Swedish Krona"' in consumption
    assert 'src="/static/vendor/flag-icons/4x3/se.svg"' in consumption
    assert "-40.00" in consumption and "60.00" in consumption
    assert 'src="/static/img/token.svg" alt="Tokens" title="Tokens"' in listed[0]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("account_name=karin", {"700001"}),
        ("account_id=700002", {"700002"}),
        ("account_email=OLLE@example.com", {"700002"}),
        ("subscription_id=ord-700001", {"700001"}),
        ("subscription_name=sport", {"700002"}),
        ("activity=consumption", {"700001"}),
        ("type=token", {"700002"}),
        ("created_from=2026-06-10&created_to=2026-06-10", {"700001"}),
        ("created_from=2026-06-20", {"700002"}),
        ("created_to=2026-06-09", {"700001"}),
        ("account_name=karin&type=token", set()),
    ],
)
def test_each_filter_narrows_the_list(finance_client, two_customers, query, expected):
    listed = rows(finance_client.get(f"{PAGE}?{query}"))
    found = {n for r in listed for n in re.findall(r"/accounts/(\d+)/\"", r)}
    assert found == expected


def test_the_date_range_is_inclusive_local_days(finance_client, two_customers):
    # 21:00 UTC on the 20th is 23:00 in Stockholm: still the 20th there.
    listed = rows(finance_client.get(f"{PAGE}?created_from=2026-06-20&created_to=2026-06-20"))
    assert len(listed) == 1
    assert not rows(finance_client.get(f"{PAGE}?created_from=2026-06-21"))[0].count("Olle")


def test_sorting_by_date_oldest_first(finance_client, two_customers):
    listed = rows(finance_client.get(f"{PAGE}?sort=created_at"))
    assert "Grant" in listed[0] and "Karin" in listed[0]


@pytest.mark.parametrize(
    "query",
    [
        "created_from=not-a-date",
        "created_from=2026-06-10&created_to=2026-06-01",
        "activity=teleport",
        "type=points",
        "account_name=" + "x" * 500,
    ],
)
def test_bad_filters_get_a_message_and_no_rows(finance_client, two_customers, query):
    response = finance_client.get(f"{PAGE}?{query}")
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    assert "No credit activity matches these filters." in response.content.decode()


@pytest.mark.parametrize(
    "page", ["abc", "0", "-1", "999999", "1e9", "99999999999999999999", "9" * 40]
)
def test_odd_page_numbers_never_fail(finance_client, two_customers, page):
    assert finance_client.get(f"{PAGE}?page={page}").status_code == 200


def test_pages_follow_on_without_counting_the_ledger(finance_client, account):
    for _ in range(30):
        services.credit_grant(actor=None, account=account, amount="1", **SEK)
    first = finance_client.get(PAGE)
    assert len(rows(first)) == 25
    second = finance_client.get(f"{PAGE}?page=2")
    assert len(rows(second)) == 5


def test_the_page_costs_the_same_queries_for_few_or_many_entries(
    finance_client, account, subscription, django_assert_num_queries
):
    def add(n):
        for i in range(n):
            services.apply_credits(
                account=account,
                subscription=subscription,
                amount="1",
                transaction_id=f"T{i}",
                **SEK,
            )

    services.credit_grant(actor=None, account=account, amount="1000", **SEK)
    finance_client.get(PAGE)  # session and permission caches warm
    # session, user, the session's verified second factor, two permission lookups, the roles in
    # the header, the count of requests waiting for approval (in the navigation), the page of
    # entries, their totals
    with django_assert_num_queries(9) as few:
        finance_client.get(f"{PAGE}?subscription_id=ORD-700001")
    add(30)
    with django_assert_num_queries(len(few.captured_queries)):
        finance_client.get(f"{PAGE}?subscription_id=ORD-700001")


def test_the_download_link_keeps_the_filters(finance_client, two_customers):
    html = finance_client.get(f"{PAGE}?account_name=karin&page=2").content.decode()
    assert f'href="{reverse("credits:export")}?account_name=karin"' in html


def test_the_download_link_is_only_for_those_who_may_export(client, make_user, two_customers):
    user = make_user(roles.FINANCE)
    user.groups.first().permissions.remove(
        *user.groups.first().permissions.filter(codename="export_credit_activity")
    )
    client.force_login(user)
    assert "Download CSV" not in client.get(PAGE).content.decode()


# --- A transaction's page -------------------------------------------------------------------


def test_a_transaction_page_lists_its_entries_in_every_wallet(
    finance_client, account, subscription
):
    services.credit_grant(
        actor=None, account=account, subscription=subscription, amount="10", **SEK
    )
    services.credit_grant(actor=None, account=account, amount="100", **SEK)
    services.apply_credits(
        account=account, subscription=subscription, amount="30", transaction_id="BILL-9", **SEK
    )
    response = finance_client.get(reverse("credits:transaction", args=["BILL-9"]))
    assert response.status_code == 200
    listed = rows(response)
    assert len(listed) == 2
    assert all("Consumption" in r for r in listed)


def test_an_unknown_transaction_is_not_found(finance_client, account):
    assert finance_client.get(reverse("credits:transaction", args=["NOPE"])).status_code == 404


def test_a_transaction_id_with_a_nul_character_is_not_found(finance_client, account):
    assert finance_client.get("/credits/transactions/T%001/").status_code == 404


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


# --- Sort direction, the rows in view, date presets -------------------------------------------


def test_the_sorted_date_column_says_its_direction(finance_client, two_customers):
    html = finance_client.get(PAGE).content.decode()
    assert 'aria-sort="descending"' in html and "(newest first)" in html
    html = finance_client.get(f"{PAGE}?sort=created_at").content.decode()
    assert 'aria-sort="ascending"' in html and "(oldest first)" in html


def test_the_pager_shows_the_rows_in_view(finance_client, account):
    for _ in range(30):
        services.credit_grant(actor=None, account=account, amount="1", **SEK)
    assert "Rows 1–25" in finance_client.get(PAGE).content.decode()
    assert "Rows 26–30" in finance_client.get(f"{PAGE}?page=2").content.decode()


def test_date_presets_fill_the_range_and_keep_the_other_filters(finance_client, two_customers):
    from django.utils import timezone

    today = timezone.localdate()
    response = finance_client.get(f"{PAGE}?account_name=karin")
    presets = {p["label"]: p["query"] for p in response.context["date_presets"]}
    assert list(presets) == ["Today", "Last 7 days", "Last 30 days", "This month", "Last month"]
    assert presets["Today"] == (
        f"account_name=karin&created_from={today.isoformat()}&created_to={today.isoformat()}"
    )
    first = today.replace(day=1)
    assert f"created_from={first.isoformat()}" in presets["This month"]
