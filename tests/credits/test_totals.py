"""The totals above Credit Activity: per credit type and currency, the count, the sum of the
positive amounts, of the negative ones and the net, of exactly the filtered entries."""

import re
from collections import defaultdict
from decimal import Decimal

import pytest
from django.urls import reverse

from credits import services
from credits.filters import CreditActivityFilter
from credits.models import CreditEntry, CreditType
from credits.selectors import credit_activity, credit_totals, wallet_totals
from tests.credits.conftest import SEK
from tests.credits.test_views import at
from tests.factories import AccountFactory, CreditEntryFactory, CreditWalletFactory

pytestmark = pytest.mark.django_db

PAGE = reverse("credits:activity")
# Session, user, second factor, permissions, roles, the approvals count, the saved views menu,
# the page, the lots its entries moved (one prefetch for the page, the "Lots" column), the
# totals; and, unfiltered, once in NEWEST_WINDOW_SECONDS a process, the window's start
# (credits.selectors.newest_entries_since: each test reads it afresh).
PAGE_QUERY_BUDGET = 10


def brute_force(entries) -> dict[tuple[str, str], tuple[int, Decimal, Decimal, Decimal]]:
    sums = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    for entry in entries:
        total = sums[(entry.credit_type, entry.currency)]
        total[0] += 1
        if entry.amount > 0:
            total[1] += entry.amount
        elif entry.amount < 0:
            total[2] += entry.amount
    return {
        key: (n, added, subtracted, added + subtracted)
        for key, (n, added, subtracted) in sums.items()
    }


def as_dict(totals):
    return {(t.credit_type, t.currency): (t.count, t.added, t.subtracted, t.net) for t in totals}


@pytest.fixture
def ledger(account, subscription):
    services.credit_grant(actor=None, account=account, amount="100", created_at=at(1), **SEK)
    services.apply_credits(
        account=account, subscription=subscription, amount="40.50", transaction_id="B-1",
        created_at=at(10), **SEK,
    )  # fmt: skip
    services.credit_grant(
        actor=None, account=account, amount=7, credit_type=CreditType.TOKEN, created_at=at(11)
    )
    services.credit_revoke(
        actor=None, account=account, amount=2, credit_type=CreditType.TOKEN, created_at=at(12)
    )
    services.gift_card_redeem(
        actor=None, account=account, gift_card="GC •••• 0001", amount="25", currency="EUR",
        created_at=at(13),
    )  # fmt: skip
    services.gift_card_status_inquiry(
        actor=None, account=account, gift_card="GC •••• 0001", status="active", currency="EUR",
        created_at=at(14),
    )  # fmt: skip
    other = AccountFactory(name="Olle Berg", email="olle@example.com")
    services.credit_grant(actor=None, account=other, amount="99.90", created_at=at(20), **SEK)
    return account, other


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"account_email": "olle@example.com"},
        {"account_name": "karin"},
        {"type": "token"},
        {"activity": "grant"},
        {"created_from": "2026-06-10", "created_to": "2026-06-13"},
    ],
)
def test_totals_equal_a_python_sum_over_the_filtered_entries(ledger, query):
    filtered = CreditActivityFilter(query, queryset=credit_activity()).qs
    expected = brute_force(CreditEntry.objects.filter(pk__in=[e.pk for e in filtered]))
    assert as_dict(credit_totals(filtered)) == expected


WHOLE_WALLET_QUERIES = [
    {},
    {"account_email": "olle@example.com"},
    {"account_name": "karin"},
    {"account_id": "700001"},
    {"type": "token"},
    {"type": "currency", "account_name": "olle"},
]


@pytest.mark.parametrize("query", WHOLE_WALLET_QUERIES)
def test_totals_of_whole_wallets_come_from_the_wallets_and_equal_the_entries(ledger, query):
    filterset = CreditActivityFilter(query, queryset=credit_activity())
    assert filterset.is_valid()
    wallets = filterset.whole_wallets()
    assert wallets is not None
    assert as_dict(wallet_totals(wallets)) == as_dict(credit_totals(filterset.qs))


@pytest.mark.parametrize(
    "query",
    [
        {"activity": "grant"},
        {"created_from": "2026-06-10"},
        {"subscription_id": "ORD-700001"},
        {"account_name": "karin", "created_to": "2026-06-13"},
    ],
)
def test_filters_on_the_entries_themselves_are_totalled_over_the_entries(ledger, query):
    filterset = CreditActivityFilter(query, queryset=credit_activity())
    assert filterset.is_valid()
    assert filterset.whole_wallets() is None


def test_the_unfiltered_page_totals_from_the_unit_totals(
    finance_client, ledger, django_assert_max_num_queries
):
    with django_assert_max_num_queries(PAGE_QUERY_BUDGET) as queries:
        html = finance_client.get(PAGE).content.decode()
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert 'SUM("credits_creditunittotal"."added")' in sql
    assert "credits_creditwallet" not in sql
    assert "199.90" in html.split('class="totals"', 1)[1].split("</section>", 1)[0]


def test_the_unfiltered_totals_of_the_hand_made_ledger(ledger):
    totals = as_dict(credit_totals(credit_activity()))
    assert totals == {
        ("token", ""): (2, Decimal(7), Decimal(-2), Decimal(5)),
        ("currency", "EUR"): (2, Decimal(25), Decimal(0), Decimal(25)),
        ("currency", "SEK"): (3, Decimal("199.90"), Decimal("-40.50"), Decimal("159.40")),
    }
    # Tokens first, then currencies by code.
    assert list(totals) == [("token", ""), ("currency", "EUR"), ("currency", "SEK")]


def test_the_page_shows_the_totals_of_its_filters_money_as_the_page_writes_it(
    finance_client, ledger
):
    html = finance_client.get(f"{PAGE}?account_name=karin").content.decode()
    section = html.split('class="totals"', 1)[1].split("</section>", 1)[0]
    rows = [
        re.sub(r"<[^>]+>|\s+", " ", r).split() for r in re.findall(r"<tr>.*?</tr>", section, re.S)
    ]
    assert ["Token", "Tokens", "2", "7", "-2", "5"] in rows  # tokens as whole numbers
    assert ["Currency", "SEK", "(Swedish", "Krona)", "2", "100.00", "-40.50", "59.50"] in rows
    assert "Olle" not in section and "199.90" not in section


def test_bad_filters_show_no_totals(finance_client, ledger):
    html = finance_client.get(f"{PAGE}?created_from=not-a-date").content.decode()
    assert "No entries match these filters." in html


def test_the_wallet_filter_narrows_the_list_the_totals_and_the_csv(finance_client, ledger):
    account, _other = ledger
    wallet = account.credit_wallets.get(credit_type="token")
    html = finance_client.get(f"{PAGE}?wallet={wallet.pk}").content.decode()
    section = html.split('class="totals"', 1)[1].split("</section>", 1)[0]
    assert "Tokens" in section and "SEK" not in section
    response = finance_client.get(f"{reverse('credits:export')}?wallet={wallet.pk}")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 1 + 2


@pytest.mark.parametrize("value", ["x", "1.5", "0", "99999999999999999999999", "-3"])
def test_a_bad_wallet_is_a_form_error_not_a_500(finance_client, ledger, value):
    response = finance_client.get(f"{PAGE}?wallet={value}")
    assert response.status_code == 200
    assert "Wallet:" in response.content.decode()


@pytest.mark.parametrize("entries", [3, 40])
def test_the_page_costs_the_same_queries_whatever_it_totals(
    finance_client, django_assert_max_num_queries, entries
):
    wallet = CreditWalletFactory()
    for _ in range(entries):
        CreditEntryFactory(wallet=wallet, amount=Decimal("5"))
    tokens = CreditWalletFactory(credit_type=CreditType.TOKEN, currency="")
    CreditEntryFactory(wallet=tokens, amount=Decimal("3"))
    with django_assert_max_num_queries(PAGE_QUERY_BUDGET):
        assert finance_client.get(PAGE).status_code == 200
