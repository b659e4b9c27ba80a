"""The day totals: every entry counted into its local day, unit, activity and product as it is
written, read by Credit Activity's totals under the entries' own filters, moved with a
subscription that changes product, and checked by verify_ledger."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from credits import services
from credits.filters import CreditActivityFilter
from credits.models import CreditDayTotal, CreditUnitTotal
from credits.selectors import credit_activity, credit_totals, newest_entries_since
from credits.services import day_totals
from tests.credits.conftest import SEK
from tests.credits.ledger_checks import assert_day_totals_agree
from tests.credits.test_totals import PAGE_QUERY_BUDGET, as_dict
from tests.credits.test_totals import ledger as ledger  # noqa: F401  (the fixture)
from tests.credits.test_views import at
from tests.factories import (
    CreditEntryFactory,
    CreditWalletFactory,
    ProductFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db

PAGE = reverse("credits:activity")

DAY_QUERIES = [
    {"activity": "grant"},
    {"activity": "consumption"},
    {"created_from": "2026-06-10"},
    {"created_to": "2026-06-12"},
    {"created_from": "2026-06-10", "created_to": "2026-06-13"},
    {"created_from": "2026-01-01", "created_to": "2026-12-31", "activity": "grant"},
    {"type": "currency", "created_from": "2026-06-11"},
    {"subscription_name": "prem"},
    {"subscription_name": "PREMIUM", "activity": "consumption"},
    {"subscription_name": "nothing like it"},
]


def test_every_entry_the_services_write_is_counted_into_its_day(ledger):  # noqa: F811
    assert CreditDayTotal.objects.exists()
    assert_day_totals_agree()


@pytest.mark.parametrize("query", DAY_QUERIES)
def test_totals_under_the_entries_own_filters_come_from_the_days_and_equal_the_entries(
    ledger,  # noqa: F811
    query,
):
    filterset = CreditActivityFilter(query, queryset=credit_activity())
    assert filterset.is_valid()
    assert filterset.whole_wallets() is None
    assert filterset.summed_rows() is not None
    assert as_dict(filterset.totals()) == as_dict(credit_totals(filterset.qs))


@pytest.mark.parametrize(
    ("query", "table"),
    [
        ({}, CreditUnitTotal),
        ({"activity": "consumption"}, CreditUnitTotal),
        ({"type": "token"}, CreditUnitTotal),
        ({"subscription_name": "prem", "activity": "grant"}, CreditUnitTotal),
        ({"created_from": "2026-06-10", "activity": "grant"}, CreditDayTotal),
    ],
)
def test_without_dates_the_totals_come_from_the_unit_totals(ledger, query, table):  # noqa: F811
    filterset = CreditActivityFilter(query, queryset=credit_activity())
    assert filterset.is_valid()
    rows = filterset.summed_rows()
    assert rows is not None and rows.model is table
    assert as_dict(filterset.totals()) == as_dict(credit_totals(filterset.qs))


def test_a_viewer_in_another_time_zone_gets_unit_totals_without_dates(ledger):  # noqa: F811
    with timezone.override("America/New_York"):
        filterset = CreditActivityFilter({"activity": "grant"}, queryset=credit_activity())
        assert filterset.is_valid()
        assert filterset.summed_rows().model is CreditUnitTotal
        assert as_dict(filterset.totals()) == as_dict(credit_totals(filterset.qs))


@pytest.mark.parametrize(
    "query",
    [
        {"account_name": "karin", "created_to": "2026-06-13"},
        {"subscription_id": "ORD-700001"},
        {"account_email": "olle@example.com", "activity": "grant"},
    ],
)
def test_filters_the_days_do_not_know_are_totalled_over_the_entries(ledger, query):  # noqa: F811
    filterset = CreditActivityFilter(query, queryset=credit_activity())
    assert filterset.is_valid()
    assert filterset.whole_wallets() is None and filterset.summed_rows() is None
    assert as_dict(filterset.totals()) == as_dict(credit_totals(filterset.qs))


def test_a_day_is_the_sites_local_day(account):
    # 22:30 UTC on 9 June is 00:30 on 10 June in Stockholm.
    late = at(9, hour=22) + dt.timedelta(minutes=30)
    services.credit_grant(actor=None, account=account, amount="5", created_at=late, **SEK)
    assert list(CreditDayTotal.objects.values_list("day", flat=True)) == [dt.date(2026, 6, 10)]
    for query, count in (({"created_from": "2026-06-10"}, 1), ({"created_to": "2026-06-09"}, 0)):
        totals = CreditActivityFilter(query, queryset=credit_activity()).totals()
        assert sum(t.count for t in totals) == count


def test_a_viewer_in_another_time_zone_is_totalled_over_the_entries(ledger):  # noqa: F811
    query = {"created_from": "2026-06-10", "created_to": "2026-06-13"}
    with timezone.override("America/New_York"):
        filterset = CreditActivityFilter(query, queryset=credit_activity())
        assert filterset.is_valid()
        assert filterset.summed_rows() is None
        assert as_dict(filterset.totals()) == as_dict(credit_totals(filterset.qs))


def test_the_page_under_a_date_filter_reads_the_days_within_its_budget(
    finance_client,
    ledger,  # noqa: F811
    django_assert_max_num_queries,
):
    query = "created_from=2026-06-01&created_to=2026-06-30&activity=grant"
    with django_assert_max_num_queries(PAGE_QUERY_BUDGET) as queries:
        html = finance_client.get(f"{PAGE}?{query}").content.decode()
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "credits_creditdaytotal" in sql
    section = html.split('class="totals"', 1)[1].split("</section>", 1)[0]
    assert "199.90" in section  # both SEK grants: Karin's 100 and Olle's 99.90


def test_a_subscription_that_changes_product_takes_its_totals_along(account, subscription, agent):
    services.credit_grant(actor=None, account=account, amount="100", **SEK)
    for n in range(3):
        services.apply_credits(
            account=account, subscription=subscription, amount="10", transaction_id=f"B-{n}",
            **SEK,
        )  # fmt: skip
    sport = ProductFactory(
        code="sport-sek", name="Sport", price=Decimal("99.00"), currency="SEK", is_active=True
    )
    account_services.subscription_change_product(
        actor=agent, subscription=subscription, product=sport, reason="Asked for sport"
    )
    assert_day_totals_agree()
    for name, count in (("sport", 3), ("premium", 0)):
        totals = CreditActivityFilter(
            {"subscription_name": name}, queryset=credit_activity()
        ).totals()
        assert sum(t.count for t in totals) == count, name
    # Entries written after the change are the new product's too.
    services.apply_credits(
        account=account, subscription=subscription, amount="5", transaction_id="B-9", **SEK
    )
    assert_day_totals_agree()


def test_another_subscription_of_the_product_keeps_its_totals(account, subscription, agent):
    other = SubscriptionFactory(account=account, product=subscription.product, order_id="ORD-2")
    services.credit_grant(actor=None, account=account, amount="100", **SEK)
    for sub in (subscription, other):
        services.apply_credits(
            account=account, subscription=sub, amount="10", transaction_id=f"B-{sub.pk}", **SEK
        )
    sport = ProductFactory(code="sport-sek", name="Sport", currency="SEK", is_active=True)
    account_services.subscription_change_product(
        actor=agent, subscription=subscription, product=sport, reason="Asked for sport"
    )
    assert_day_totals_agree()
    premium = CreditActivityFilter({"subscription_name": "premium"}, queryset=credit_activity())
    assert [t.count for t in premium.totals()] == [1]


def test_rebuild_gives_what_the_services_kept(ledger):  # noqa: F811
    kept = day_totals.stored()
    CreditDayTotal.objects.all().delete()
    assert day_totals.rebuild() == len(kept)
    assert day_totals.stored() == kept


def test_verify_ledger_reports_a_day_total_that_disagrees(ledger, capsys):  # noqa: F811
    row = CreditDayTotal.objects.filter(activity="grant", currency="SEK").first()
    CreditDayTotal.objects.filter(pk=row.pk).update(count=row.count + 1)
    with pytest.raises(CommandError, match="1 day totals disagree with their entries"):
        call_command("verify_ledger")
    out = capsys.readouterr().out
    assert f"Day total {row.day} SEK grant product 0 slot {row.slot}: kept {row.count + 1}" in out


def test_verify_ledger_reports_a_unit_total_that_disagrees(ledger, capsys):  # noqa: F811
    row = CreditUnitTotal.objects.filter(activity="consumption", currency="SEK").first()
    CreditUnitTotal.objects.filter(pk=row.pk).update(subtracted=row.subtracted - 1)
    with pytest.raises(CommandError, match="1 day totals disagree with their entries"):
        call_command("verify_ledger")
    out = capsys.readouterr().out
    assert f"All days SEK consumption product {row.product_id} slot {row.slot}: kept" in out


def test_rebuild_writes_the_unit_totals_too(ledger):  # noqa: F811
    units = {k: v for k, v in day_totals.stored().items() if k[0] is None}
    assert units
    CreditUnitTotal.objects.all().delete()
    day_totals.rebuild()
    assert {k: v for k, v in day_totals.stored().items() if k[0] is None} == units


def test_verify_ledger_rebuilds_the_totals_when_asked(ledger, capsys):  # noqa: F811
    CreditUnitTotal.objects.all().delete()
    with pytest.raises(CommandError, match="day totals disagree"):
        call_command("verify_ledger")
    call_command("verify_ledger", "--rebuild-totals")
    out = capsys.readouterr().out
    assert "Rebuilt the day and unit totals from the entries" in out
    assert "the day totals and month-end balances agree" in out
    assert_day_totals_agree()


def test_a_quiet_ledger_gives_credit_activity_no_window():
    # Credit Activity's first page is windowed from the day totals only when they count more
    # than the largest page (tests/credits/test_activity_window.py).
    wallet = CreditWalletFactory()
    CreditEntryFactory.create_batch(5, wallet=wallet)
    assert newest_entries_since() is None
