"""The Recent Activity page's keyset pages, which walk every event once, and its query
budget, the same for few or many events."""

import datetime as dt

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activity.selectors import PAGE_SIZE
from tests.activity.conftest import local
from tests.activity.page_helpers import follow, pager_link, shown, url
from tests.factories import ActivityEventFactory

pytestmark = pytest.mark.django_db


# The page's query budget, whatever the number of events: session, user, the second factor (the
# user's authenticator app), the role names of the layout, the user's and the groups'
# permissions, the account, one page of events, and how many events the filters match (one
# query from the month counts, added with the total; it was 6 before), the saved views menu
# (the user's own and their roles' views: one query), and the one insert of the account's
# access log (it was 7 before both).
PAGE_QUERY_BUDGET = 9


# --- Keyset pages -------------------------------------------------------------------------------


def test_first_page_has_no_newer_link(service_client, account, add_event):
    for i in range(PAGE_SIZE + 1):
        add_event(at=local(2026, 6, 1) + dt.timedelta(minutes=i))
    response = service_client.get(url(account))
    assert len(shown(response)) == PAGE_SIZE
    assert pager_link(response, "prev") is None
    assert pager_link(response, "next") is not None


def test_single_page_has_no_pager_links(service_client, account, add_event):
    for i in range(PAGE_SIZE):
        add_event(at=local(2026, 6, 1) + dt.timedelta(minutes=i))
    response = service_client.get(url(account))
    assert pager_link(response, "prev") is None
    assert pager_link(response, "next") is None


def test_pager_links_keep_the_filters(service_client, account, add_event):
    for i in range(PAGE_SIZE + 1):
        add_event("comment_added", at=local(2026, 6, 1) + dt.timedelta(minutes=i), agent=True)
    filters = {
        "type": ["comment_added", "email_sent"],
        "date_from": "2026-05-01",
        "date_to": "2026-06-30",
        "actor": "agent",
    }
    older = QueryDict(pager_link(service_client.get(url(account, **filters)), "next"))
    assert older.getlist("type") == ["comment_added", "email_sent"]
    assert (older["date_from"], older["date_to"], older["actor"]) == (
        "2026-05-01",
        "2026-06-30",
        "agent",
    )
    assert len(older.getlist("cursor")) == 1


@pytest.fixture
def tied_timeline(account):
    """60 events, 40 of them at the very same moment, across both page boundaries (25, 50)."""
    start = local(2026, 6, 1, 9)
    tied_at = local(2026, 6, 1, 12)
    events = [
        *ActivityEventFactory.create_batch(
            10, account=account, occurred_at=tied_at + dt.timedelta(hours=1)
        ),
        *ActivityEventFactory.create_batch(40, account=account, occurred_at=tied_at),
        *[
            ActivityEventFactory(account=account, occurred_at=start + dt.timedelta(minutes=i))
            for i in range(10)
        ],
    ]
    return sorted(events, key=lambda e: (e.occurred_at, e.pk), reverse=True)


def test_older_pages_walk_every_event_once_across_equal_times(
    service_client, account, tied_timeline
):
    response = service_client.get(url(account))
    seen = shown(response)
    while query := pager_link(response, "next"):
        response = follow(service_client, account, query)
        seen += shown(response)
    assert seen == [e.pk for e in tied_timeline]


def test_newer_after_older_returns_the_same_page(service_client, account, tied_timeline):
    first = service_client.get(url(account))
    second = follow(service_client, account, pager_link(first, "next"))
    third = follow(service_client, account, pager_link(second, "next"))

    back_to_second = follow(service_client, account, pager_link(third, "prev"))
    back_to_first = follow(service_client, account, pager_link(back_to_second, "prev"))

    assert shown(back_to_second) == shown(second)
    assert shown(back_to_first) == shown(first)
    assert pager_link(back_to_first, "prev") is None


def test_last_page_has_no_older_link(service_client, account, tied_timeline):
    response = service_client.get(url(account))
    for _ in range(2):
        response = follow(service_client, account, pager_link(response, "next"))
    assert shown(response) == [e.pk for e in tied_timeline[2 * PAGE_SIZE :]]
    assert pager_link(response, "next") is None
    assert pager_link(response, "prev") is not None


def test_filtered_pages_walk_only_matching_events(service_client, account, add_event):
    comments = [
        add_event("comment_added", at=local(2026, 6, 1) + dt.timedelta(minutes=2 * i))
        for i in range(PAGE_SIZE + 5)
    ]
    for i in range(PAGE_SIZE):
        add_event("email_sent", at=local(2026, 6, 1) + dt.timedelta(minutes=2 * i + 1))
    first = service_client.get(url(account, type="comment_added"))
    second = follow(service_client, account, pager_link(first, "next"))
    assert shown(first) + shown(second) == [c.pk for c in reversed(comments)]


# --- Query budget -------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [5, 200])
def test_page_costs_a_fixed_number_of_queries(
    service_client, account, django_assert_max_num_queries, count
):
    ActivityEventFactory.create_batch(count, account=account)
    with django_assert_max_num_queries(PAGE_QUERY_BUDGET):
        response = service_client.get(url(account))
    assert len(shown(response)) == min(count, PAGE_SIZE)


@pytest.mark.parametrize("count", [30, 200])
def test_filtered_older_page_costs_a_fixed_number_of_queries(
    service_client, account, django_assert_max_num_queries, count
):
    ActivityEventFactory.create_batch(count, account=account)  # System e-mails from June 2026
    filters = {
        "type": ["email_sent", "comment_added"],
        "date_from": "2026-01-01",
        "actor": "system",
    }
    older = pager_link(service_client.get(url(account, **filters)), "next")
    with django_assert_max_num_queries(PAGE_QUERY_BUDGET):
        response = follow(service_client, account, older)
    assert len(shown(response)) == min(count - PAGE_SIZE, PAGE_SIZE)


def test_account_pages_activity_panel_costs_the_same_queries_for_5_or_200_events(
    service_client, account
):
    # Other panels share the account page, so the panel is pinned by comparison, not a budget.
    detail = reverse("accounts:detail", args=[account.customer_number])

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = service_client.get(detail)
        assert response.status_code == 200
        return len(queries)

    ActivityEventFactory.create_batch(5, account=account)
    with_five = count_queries()
    ActivityEventFactory.create_batch(195, account=account)
    assert count_queries() == with_five


def test_type_filter_reads_the_page_without_distinct(service_client, account, add_event):
    # No join can repeat an event, and DISTINCT would make PostgreSQL sort every matching row
    # (data included) before taking a page, instead of reading one page from the index.
    add_event("comment_added")
    with CaptureQueriesContext(connection) as queries:
        service_client.get(url(account, type=["comment_added", "email_sent"]))
    event_queries = [q["sql"] for q in queries if '"activity_activityevent"' in q["sql"]]
    assert event_queries
    assert not any("DISTINCT" in sql for sql in event_queries)
