"""Credit Activity's first page, unfiltered and newest first, read from the newest days that
hold the largest page (so that a ledger partitioned by month plans and reads those months
alone): the same rows as without the window, whatever the window holds; every other page,
order and filter read as before."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.paging import MAX_PER_PAGE, WindowedLazyPaginator
from credits.models import CreditEntry
from credits.selectors import credit_activity, newest_entries_since
from credits.tables import CreditEntryTable
from tests.factories import CreditEntryFactory, CreditWalletFactory
from tests.shared_rows import rows_for_the_module

PAGE = reverse("credits:activity")
WINDOWED = '"credits_creditentry"."created_at" >='


def _make_ledger() -> None:
    wallet = CreditWalletFactory()
    january = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
    for i in range(40):
        CreditEntryFactory(wallet=wallet, created_at=january + dt.timedelta(days=2 * i))
    june = dt.datetime(2026, 6, 20, tzinfo=dt.UTC)
    for i in range(MAX_PER_PAGE + 20):
        CreditEntryFactory(wallet=wallet, created_at=june + dt.timedelta(hours=i))


@pytest.fixture(scope="module")
def built_ledger(django_db_setup, django_db_blocker):
    """40 entries from January to March, then the largest page and 20 more, an hour apart,
    from 20 June: made once for the module (tests.shared_rows; 160 entries written through
    the services take seconds)."""
    with rows_for_the_module(django_db_blocker, _make_ledger):
        yield


@pytest.fixture
def ledger(built_ledger, db):
    return CreditEntry.objects.order_by("-created_at", "-id")


def newest(entries, count):
    return [entry.pk for entry in entries[:count]]


def page_queries(queries) -> list[str]:
    """The queries that read a page of entries."""
    return [
        q["sql"]
        for q in queries
        if q["sql"].startswith("SELECT")
        and 'FROM "credits_creditentry"' in q["sql"]
        and "LIMIT" in q["sql"]
    ]


def shown(response) -> list[int]:
    return [row.record.pk for row in response.context["table"].page.object_list]


def test_the_window_starts_at_the_newest_local_day_that_holds_the_largest_page_and_one(ledger):
    since = newest_entries_since()

    assert since is not None
    assert (since.hour, since.minute) == (0, 0)  # a day's start, in the site's time zone
    assert ledger.filter(created_at__gte=since).count() > MAX_PER_PAGE
    assert ledger.filter(created_at__gte=since + dt.timedelta(days=1)).count() <= MAX_PER_PAGE


@pytest.mark.parametrize("size", [25, MAX_PER_PAGE])
def test_the_unfiltered_first_page_is_read_from_the_window_and_is_the_same(
    finance_client, ledger, size
):
    with CaptureQueriesContext(connection) as queries:
        response = finance_client.get(PAGE, {"per_page": size})

    assert response.status_code == 200
    assert shown(response) == newest(ledger, size)
    [page] = page_queries(queries)
    assert WINDOWED in page
    assert response.context["table"].paginator.num_pages == 2  # there is a next page


def test_a_window_that_holds_less_than_a_page_gives_the_page_read_without_it(ledger):
    # A start later than all but ten entries (as a window kept from a fuller ledger would be).
    since = ledger[9].created_at
    table = CreditEntryTable(credit_activity())

    with CaptureQueriesContext(connection) as queries:
        table.paginate(
            paginator_class=WindowedLazyPaginator.bounded("created_at", since), per_page=25, page=1
        )
        rows = [row.record.pk for row in table.page.object_list]

    assert rows == newest(ledger, 25)
    assert table.paginator.num_pages == 2
    windowed, whole = page_queries(queries)
    assert WINDOWED in windowed and WINDOWED not in whole


@pytest.mark.parametrize(
    "query",
    [
        {"page": "2"},
        {"sort": "created_at"},  # oldest first
        {"activity": "grant"},
        {"type": "currency"},
    ],
)
def test_other_pages_orders_and_filters_are_read_as_before(finance_client, ledger, query):
    with CaptureQueriesContext(connection) as queries:
        response = finance_client.get(PAGE, query)

    assert response.status_code == 200
    assert shown(response)
    assert not any(WINDOWED in sql for sql in page_queries(queries))
    if query == {"page": "2"}:
        assert shown(response) == newest(ledger, 50)[25:]
    if query == {"sort": "created_at"}:
        assert shown(response) == list(
            CreditEntry.objects.order_by("created_at", "id").values_list("pk", flat=True)[:25]
        )


def test_newest_first_by_choice_is_windowed_too(finance_client, ledger):
    with CaptureQueriesContext(connection) as queries:
        response = finance_client.get(PAGE, {"sort": "-created_at"})

    assert shown(response) == newest(ledger, 25)
    assert any(WINDOWED in sql for sql in page_queries(queries))
