"""The Credit Activity page and a transaction's page."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from config import roles
from credits import services
from credits.models import CreditType
from tests.credits.conftest import SEK
from tests.factories import AccountFactory, ProductFactory, SubscriptionFactory

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
        ("account_name=KÄRIN", {"700001"}),
        ("account_id=700002", {"700002"}),
        ("account_email=OLLE@example.com", {"700002"}),
        ("account_email=olle@", {"700002"}),
        # A whole address is matched whole (through the e-mail's index), not inside others.
        ("account_email=lle@example.com", set()),
        ("account_email=EXAMPLE", {"700001", "700002"}),
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
                transaction_id=f"T{n}-{i}",
                **SEK,
            )

    services.credit_grant(actor=None, account=account, amount="1000", **SEK)
    add(1)
    finance_client.get(PAGE)  # session and permission caches warm
    # session, user, the session's verified second factor, the permissions with the roles in the
    # header (one query: core.authentication), the count of requests waiting for approval (in
    # the navigation), the saved views menu (the user's and their roles'), the page of entries,
    # the lots they took from (prefetched), their totals
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
