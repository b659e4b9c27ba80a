"""Recent Activity's total: how many events the filters match, from the month counts, so that
it never counts the account's whole history, and always what counting the matching events would
give. The events are made once for the module; the total on the page is in
test_recent_activity_total_pages."""

import datetime as dt

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.models import Account
from activity.filters import ActivityFilter
from activity.selectors import TimelineTotal, events_for_account, timeline_total
from tests.activity.conftest import STOCKHOLM, local, make_event
from tests.factories import AccountFactory
from tests.shared_rows import rows_for_the_module

pytestmark = pytest.mark.django_db

TYPES = (
    "email_sent",
    "comment_added",
    "subscription_billing_success",
    "credit_control_cycle_exited",
)
FIRST_DAY, LAST_DAY = dt.date(2026, 1, 24), dt.date(2026, 4, 6)


def make_months() -> Account:
    """Four events a day from 24 January to 6 April 2026 (the change to summer time on 29 March
    among them), at hours that put some on another UTC day or month than their local one, and
    one event exactly at the start of each UTC month; and another account's events, which no
    total may count."""
    account = AccountFactory(customer_number="700001")
    day = FIRST_DAY
    n = 0
    while day <= LAST_DAY:
        for hour, minute in ((0, 30), (9, 0), (13, 15), (23, 45)):
            type_code = TYPES[n % len(TYPES)]
            make_event(
                account,
                type_code,
                dt.datetime.combine(day, dt.time(hour, minute), tzinfo=STOCKHOLM),
                agent=type_code == "comment_added",
            )
            n += 1
        day += dt.timedelta(days=1)
    for month in (2, 3, 4):
        make_event(account, "email_sent", dt.datetime(2026, month, 1, tzinfo=dt.UTC))
    other = AccountFactory(customer_number="700002")
    for i in range(10):
        make_event(other, "email_sent", local(2026, 2, 10 + i))
    return account


@pytest.fixture(scope="module")
def months(django_db_setup, django_db_blocker):
    """The account of make_months(), its events made once for the module (tests.shared_rows)."""
    with rows_for_the_module(django_db_blocker, make_months) as account:
        yield account


def counted(account, **filters) -> int:
    """What counting the matching events gives (the page's own filter)."""
    query = QueryDict(mutable=True)
    for key, value in filters.items():
        query.setlist(key, value if isinstance(value, list) else [value])
    filterset = ActivityFilter(query, queryset=events_for_account(account))
    assert filterset.is_valid(), filterset.errors
    return filterset.qs.count()


def total(account, **filters) -> TimelineTotal:
    query = QueryDict(mutable=True)
    for key, value in filters.items():
        query.setlist(key, value if isinstance(value, list) else [value])
    filterset = ActivityFilter(query, queryset=events_for_account(account))
    assert filterset.is_valid(), filterset.errors
    data = filterset.form.cleaned_data
    return timeline_total(
        account,
        types=filterset.chosen_types(),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        actor=data.get("actor") or None,
    )


RANGES = [
    {},
    {"date_from": "2026-02-01"},
    {"date_to": "2026-02-28"},
    {"date_from": "2026-02-01", "date_to": "2026-02-28"},  # most of a UTC month, less an hour
    {"date_from": "2026-02-10", "date_to": "2026-02-12"},  # a few days inside one month
    {"date_from": "2026-01-28", "date_to": "2026-03-03"},  # two edges and a whole month
    {"date_from": "2026-02-20", "date_to": "2026-03-10"},  # two edges, no whole month
    {"date_from": "2026-03-01", "date_to": "2026-03-01"},  # the day a UTC month starts
    {"date_from": "2026-03-02", "date_to": "2026-03-31"},  # summer time from the 29th
    {"date_from": "2026-04-06", "date_to": "2026-04-06"},
    {"date_to": "2026-01-24"},
    {"date_from": "1900-01-01", "date_to": "2999-12-31"},
    {"date_from": "2027-01-01"},
]
KINDS = [
    {},
    {"type": "email_sent"},
    {"type": ["email_sent", "comment_added"]},
    {"category": "billing"},
    {"category": "billing", "type": ["subscription_billing_success", "email_sent"]},
    {"category": "billing", "type": "comment_added"},  # both: nothing
    {"actor": "agent"},
    {"actor": "system", "type": ["email_sent", "comment_added"]},
    {"actor": "agent", "category": "billing"},  # nothing
]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: "&".join(f"{a}={b}" for a, b in k.items()))
@pytest.mark.parametrize("days", RANGES, ids=lambda r: "&".join(f"{a}={b}" for a, b in r.items()))
def test_the_total_is_what_counting_the_matching_events_gives(months, days, kind):
    expected = counted(months, **days, **kind)
    assert total(months, **days, **kind) == TimelineTotal(expected)


@settings(max_examples=60, deadline=None)
@given(
    start=st.none() | st.dates(FIRST_DAY - dt.timedelta(days=3), LAST_DAY + dt.timedelta(days=3)),
    length=st.integers(0, 80),
    open_end=st.booleans(),
    types=st.lists(st.sampled_from(TYPES), unique=True, max_size=3),
    actor=st.sampled_from(["", "agent", "system"]),
)
def test_any_range_of_days_types_and_actor_totals_as_counted(
    months, start, length, open_end, types, actor
):
    filters: dict = {"type": types} if types else {}
    if actor:
        filters["actor"] = actor
    if start is not None:
        filters["date_from"] = start.isoformat()
    if not open_end:
        end = (start or FIRST_DAY) + dt.timedelta(days=length)
        filters["date_to"] = end.isoformat()
    assert total(months, **filters).count == counted(months, **filters)


@pytest.mark.parametrize("actor", ["agent", "system"])
def test_an_actor_filter_counts_the_matching_events(months, actor):
    filters = {"actor": actor, "date_from": "2026-02-01", "date_to": "2026-02-14"}
    assert total(months, **filters) == TimelineTotal(counted(months, **filters))


def test_the_total_reads_the_month_counts_not_the_accounts_history(months):
    expected = [counted(months), counted(months, type="email_sent"), counted(months, actor="agent")]
    with CaptureQueriesContext(connection) as queries:
        found = [
            total(months).count,
            total(months, type="email_sent").count,
            total(months, actor="agent").count,
        ]
    assert found == expected
    assert len(queries) == 3
    for query in queries.captured_queries:
        assert '"activity_eventmonthcount"' in query["sql"]
        assert '"activity_activityevent"' not in query["sql"]


def test_a_range_reads_the_events_of_its_edge_months_only(months):
    with CaptureQueriesContext(connection) as queries:
        total(months, date_from="2026-01-28", date_to="2026-03-03")
    (query,) = queries.captured_queries
    # January's last days and March's first: two counts of events, each bounded by its month.
    assert query["sql"].count('FROM "activity_activityevent"') == 2
    assert query["sql"].count('FROM "activity_eventmonthcount"') == 1


def test_the_total_says_event_or_events():
    assert [str(TimelineTotal(n)) for n in (0, 1, 2, 200_000)] == [
        "0 events",
        "1 event",
        "2 events",
        "200,000 events",
    ]
