"""Recent Activity's window: the month counts that give the page's total also say from which
month on a page's rows lie (`TimelineTotal.since`), and the page reads those months first
(on PostgreSQL their partitions alone); a page is the same with the window as without."""

import datetime as dt

import pytest
from django.db import connection

from activity.models import ActivityEvent
from activity.selectors import events_for_account, keyset_page, page_end, timeline_total
from core import partitions

pytestmark = pytest.mark.django_db

ROWS = 26  # a page and one


def utc(year, month, day=10, hour=12) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


@pytest.fixture
def history(account, add_event):
    """Ten events in each month from 2026-03 to 2026-08 (e-mails, and comments in May)."""
    for month in range(3, 9):
        for day in range(1, 11):
            kind = "comment_added" if month == 5 else "email_sent"
            add_event(kind, utc(2026, month, day))
    return account


def test_the_window_starts_at_the_month_that_completes_a_page(history):
    total = timeline_total(history, window=(None, ROWS))
    # 10 + 10 + 10 events from August backwards: the page's 26 lie from June on.
    assert (total.count, total.since) == (60, utc(2026, 6, 1, 0))


def test_the_window_leaves_out_the_month_of_the_cursor(history):
    cursor_page = keyset_page(events_for_account(history), None)
    end = page_end(cursor_page.older_cursor, None)
    assert end is not None and end.month == 6
    # June's events after the cursor are not on the page: May, April and March are counted.
    assert timeline_total(history, window=(end, ROWS)).since == utc(2026, 3, 1, 0)


def test_the_window_counts_only_the_matching_types(history):
    total = timeline_total(history, types=["email_sent"], window=(None, ROWS))
    assert (total.count, total.since) == (50, utc(2026, 6, 1, 0))
    total = timeline_total(history, types=["comment_added"], window=(None, ROWS))
    assert (total.count, total.since) == (10, None)  # fewer than a page: no window


def test_every_page_is_the_same_with_the_window_as_without(history):
    events = events_for_account(history)
    with_window, without = [], []
    cursor = None
    while True:
        total = timeline_total(history, window=(page_end(cursor, None), ROWS))
        page = keyset_page(events, cursor, since=total.since)
        assert page.events == keyset_page(events, cursor).events
        with_window += page.events
        if not page.older_cursor:
            break
        cursor = page.older_cursor
    without = list(events.order_by("-occurred_at", "-id"))
    assert with_window == without


def test_a_window_too_narrow_is_read_again_without_it(history):
    events = events_for_account(history)
    too_late = utc(2026, 8, 5)
    page = keyset_page(events, None, since=too_late)
    assert page.events == keyset_page(events, None).events
    assert len(page.events) == 25


def test_the_windowed_page_reads_only_its_months(history):
    for month in range(3, 9):
        partitions.ensure(
            partitions.Partitioned("activity.ActivityEvent", "occurred_at"),
            [dt.date(2026, month, 1)],
        )
    since = timeline_total(history, window=(None, ROWS)).since
    query = events_for_account(history).order_by("-occurred_at", "-id")
    windowed = query.filter(occurred_at__gte=since)[:ROWS]
    with connection.cursor() as cursor:
        sql, params = windowed.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row for (row,) in cursor.fetchall())
    table = ActivityEvent._meta.db_table
    assert f"{table}_p2026_06" in plan and f"{table}_p2026_08" in plan
    assert f"{table}_p2026_05" not in plan and f"{table}_p2026_03" not in plan


def test_the_recent_activity_page_uses_the_window(history, client, service_user):
    client.force_login(service_user)
    response = client.get(f"/accounts/{history.customer_number}/activity/")
    assert response.status_code == 200
    assert response.context["total"].since == utc(2026, 6, 1, 0)
    assert [e.occurred_at for e in response.context["page"].events][:1] == [utc(2026, 8, 10)]
