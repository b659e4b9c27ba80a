"""The Recent Activity page: order, day groups, filters, keyset pages, messages, query budget, and
the comment form."""

import base64
import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activity.models import ActivityEvent
from activity.registry import MAX_TEXT_LENGTH
from activity.selectors import PAGE_SIZE
from config import roles
from tests.activity.conftest import local
from tests.conftest import messages_of
from tests.factories import AccountFactory, ActivityEventFactory

pytestmark = pytest.mark.django_db

# The page's query budget, whatever the number of events: session, user, the second factor (the
# user's authenticator app), the role names of the layout, the user's and the groups'
# permissions, the account, and one page of events.
PAGE_QUERY_BUDGET = 8


def url(account, **params) -> str:
    query = QueryDict(mutable=True)
    for key, value in params.items():
        query.setlist(key, value if isinstance(value, list) else [value])
    base = reverse("activity:recent", args=[account.customer_number])
    return f"{base}?{query.urlencode()}" if query else base


def shown(response) -> list:
    return [event.pk for event in response.context["page"].events]


def pager_link(response, rel: str) -> str | None:
    """The query string of the page's Newer (rel=prev) or Older (rel=next) link."""
    match = re.search(rf'<a rel="{rel}" href="\?([^"]*)"', response.content.decode())
    return html.unescape(match.group(1)) if match else None


def follow(client, account, query: str):
    base = reverse("activity:recent", args=[account.customer_number])
    return client.get(f"{base}?{query}")


def cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


# --- What the page shows ----------------------------------------------------------------------


def test_events_are_shown_newest_first(service_client, account, add_event):
    middle = add_event(at=local(2026, 6, 2))
    newest = add_event(at=local(2026, 6, 3))
    oldest = add_event(at=local(2026, 6, 1))
    assert shown(service_client.get(url(account))) == [newest.pk, middle.pk, oldest.pk]


def test_only_the_accounts_own_events_are_shown(service_client, account, add_event):
    own = add_event()
    add_event(on=AccountFactory())
    assert shown(service_client.get(url(account))) == [own.pk]


def test_events_are_grouped_by_local_day(service_client, account, add_event):
    # 23:30 UTC on 1 June is 01:30 on 2 June in Stockholm (summer time, UTC+2).
    late = add_event(at=dt.datetime(2026, 6, 1, 23, 30, tzinfo=dt.UTC))
    evening = add_event(at=dt.datetime(2026, 6, 1, 21, 0, tzinfo=dt.UTC))
    response = service_client.get(url(account))
    days = [(day, [e.pk for e in events]) for day, events in response.context["page"].days]
    assert days == [(dt.date(2026, 6, 2), [late.pk]), (dt.date(2026, 6, 1), [evening.pk])]
    # Day headings sit under the page's h1, so they are h2 (h3 in the account page's panel).
    headings = re.findall(r'<h2 class="day-head">([^<]+)</h2>', response.content.decode())
    assert headings == ["Tuesday 2 June 2026", "Monday 1 June 2026"]


def test_item_shows_title_category_actor_local_time_and_labelled_attributes(
    service_client, account, add_event
):
    add_event("email_sent", at=local(2026, 6, 1, 14, 5))
    content = service_client.get(url(account)).content.decode()
    item = re.search(r'<li class="event" data-type="email_sent"[^>]*>.*?</li>', content, re.S)[0]
    assert '<span class="event-title">Email sent</span>' in item
    assert '<span class="badge cat-communication">Communication</span>' in item
    assert '>14:05</time> · <span class="actor">System</span>' in item
    assert "<dt>Subject</dt>" in item and "<dd>Your receipt</dd>" in item
    assert "<dt>To</dt>" in item and "<dd>customer@example.com</dd>" in item


def test_agent_event_shows_the_agents_name_and_username(service_client, account, agent):
    from activity.services import comment_add

    comment_add(actor=agent, account=account, text="Called the customer.")
    content = service_client.get(url(account)).content.decode()
    assert f'<span class="actor">Sara Lind <span class="username">({agent.username})' in content


def test_page_links_to_legacy_mode(service_client, account):
    content = service_client.get(url(account)).content.decode()
    assert ">View in Legacy mode</a>" in content


def test_unknown_account_is_not_found(service_client):
    response = service_client.get(reverse("activity:recent", args=["no-such-customer"]))
    assert response.status_code == 404


def test_account_page_shows_the_ten_newest_events(service_client, account, add_event):
    for i in range(12):
        add_event(at=local(2026, 6, 1, 8, i))
    response = service_client.get(reverse("accounts:detail", args=[account.customer_number]))
    content = response.content.decode()
    assert content.count('<li class="event"') == 10
    assert ">08:11</time>" in content
    assert ">08:01</time>" not in content
    assert "Filter and see all activity" in content


# --- Filters, each alone ------------------------------------------------------------------------


def test_date_from_keeps_events_on_and_after_that_day(service_client, account, add_event):
    add_event(at=local(2026, 5, 31))
    kept = add_event(at=local(2026, 6, 1))
    assert shown(service_client.get(url(account, date_from="2026-06-01"))) == [kept.pk]


def test_date_to_keeps_events_on_and_before_that_day(service_client, account, add_event):
    kept = add_event(at=local(2026, 6, 1))
    add_event(at=local(2026, 6, 2))
    assert shown(service_client.get(url(account, date_to="2026-06-01"))) == [kept.pk]


def test_one_type_keeps_only_that_type(service_client, account, add_event):
    comment = add_event("comment_added")
    add_event("email_sent")
    assert shown(service_client.get(url(account, type="comment_added"))) == [comment.pk]


def test_several_types_keep_each_of_them(service_client, account, add_event):
    comment = add_event("comment_added", at=local(2026, 6, 1))
    exited = add_event("credit_control_cycle_exited", at=local(2026, 6, 2))
    add_event("email_sent", at=local(2026, 6, 3))
    response = service_client.get(
        url(account, type=["comment_added", "credit_control_cycle_exited"])
    )
    assert shown(response) == [exited.pk, comment.pk]


def test_checked_types_stay_checked(service_client, account):
    content = service_client.get(url(account, type=["comment_added"])).content.decode()
    assert 'value="comment_added" checked' in content
    assert 'value="email_sent" checked' not in content


def test_category_keeps_the_types_of_that_category(service_client, account, add_event):
    entered = add_event("credit_control_cycle_entered", at=local(2026, 6, 1))
    billed = add_event("subscription_billing_success", at=local(2026, 6, 2))
    add_event("email_sent", at=local(2026, 6, 3))
    assert shown(service_client.get(url(account, category="billing"))) == [billed.pk, entered.pk]


def test_actor_agent_keeps_agents_events(service_client, account, add_event):
    comment = add_event("comment_added", agent=True)
    add_event("email_sent")
    assert shown(service_client.get(url(account, actor="agent"))) == [comment.pk]


def test_actor_system_keeps_system_events(service_client, account, add_event):
    add_event("comment_added", agent=True)
    email = add_event("email_sent")
    assert shown(service_client.get(url(account, actor="system"))) == [email.pk]


# --- Filters combined -------------------------------------------------------------------------


def test_types_dates_and_actor_combine(service_client, account, add_event):
    kept = add_event("comment_added", at=local(2026, 6, 2), agent=True)
    add_event("comment_added", at=local(2026, 6, 2))  # a System comment
    add_event("comment_added", at=local(2026, 6, 5), agent=True)  # after the range
    add_event("email_sent", at=local(2026, 6, 2), agent=True)  # another type
    response = service_client.get(
        url(
            account,
            type=["comment_added", "credit_control_cycle_exited"],
            date_from="2026-06-01",
            date_to="2026-06-03",
            actor="agent",
        )
    )
    assert shown(response) == [kept.pk]


def test_category_and_types_combine_as_both(service_client, account, add_event):
    entered = add_event("credit_control_cycle_entered")
    add_event("subscription_billing_success")
    add_event("email_sent")
    response = service_client.get(
        url(account, category="billing", type=["credit_control_cycle_entered", "email_sent"])
    )
    assert shown(response) == [entered.pk]


def test_no_match_says_so(service_client, account, add_event):
    add_event("email_sent")
    content = service_client.get(url(account, type="comment_added")).content.decode()
    assert "No activity matches." in content


# --- The date range is inclusive in the site's time zone ---------------------------------------


def test_event_late_on_the_last_day_is_included(service_client, account, add_event):
    late = add_event(at=local(2026, 3, 10, 23, 30))  # 22:30 UTC
    assert shown(service_client.get(url(account, date_to="2026-03-10"))) == [late.pk]


def test_event_just_after_midnight_after_the_last_day_is_excluded(
    service_client, account, add_event
):
    add_event(at=local(2026, 3, 11, 0, 10))  # 23:10 UTC on the 10th
    assert shown(service_client.get(url(account, date_to="2026-03-10"))) == []


def test_event_just_after_midnight_on_the_first_day_is_included(service_client, account, add_event):
    early = add_event(at=local(2026, 3, 10, 0, 10))  # 23:10 UTC on the 9th
    assert shown(service_client.get(url(account, date_from="2026-03-10"))) == [early.pk]


def test_event_late_on_the_day_before_the_first_day_is_excluded(service_client, account, add_event):
    add_event(at=local(2026, 3, 9, 23, 30))
    assert shown(service_client.get(url(account, date_from="2026-03-10"))) == []


def test_one_day_range_holds_that_whole_local_day_in_summer_time(
    service_client, account, add_event
):
    add_event(at=local(2026, 7, 9, 23, 59))
    first = add_event(at=local(2026, 7, 10, 0, 0))
    last = add_event(at=local(2026, 7, 10, 23, 59))
    add_event(at=local(2026, 7, 11, 0, 0))
    response = service_client.get(url(account, date_from="2026-07-10", date_to="2026-07-10"))
    assert shown(response) == [last.pk, first.pk]


def test_one_day_range_holds_all_25_hours_of_the_autumn_clock_change(
    service_client, account, add_event
):
    # On 25 October 2026 Stockholm's clocks go back: the local day runs 22:00 to 23:00 UTC.
    add_event(at=dt.datetime(2026, 10, 24, 21, 59, tzinfo=dt.UTC))
    first = add_event(at=dt.datetime(2026, 10, 24, 22, 0, tzinfo=dt.UTC))
    last = add_event(at=dt.datetime(2026, 10, 25, 22, 59, tzinfo=dt.UTC))
    add_event(at=dt.datetime(2026, 10, 25, 23, 0, tzinfo=dt.UTC))
    response = service_client.get(url(account, date_from="2026-10-25", date_to="2026-10-25"))
    assert shown(response) == [last.pk, first.pk]


def test_last_possible_date_as_the_end_keeps_everything(service_client, account, add_event):
    event = add_event(at=local(2026, 6, 1))
    response = service_client.get(url(account, date_to="9999-12-31"))
    assert response.status_code == 200
    assert shown(response) == [event.pk]


def test_first_possible_date_as_the_start_keeps_everything(service_client, account, add_event):
    event = add_event(at=local(2026, 6, 1))
    response = service_client.get(url(account, date_from="0001-01-01"))
    assert response.status_code == 200
    assert shown(response) == [event.pk]


# --- Bad input gets a message, never a 500 ------------------------------------------------------


@pytest.mark.parametrize("value", ["2026-13-01", "yesterday", "2026-02-30", "99999-01-01"])
def test_malformed_date_gets_a_message(service_client, account, add_event, value):
    add_event()
    response = service_client.get(url(account, date_from=value))
    assert response.status_code == 200
    assert "From: Enter a valid date." in response.content.decode()


def test_start_after_end_gets_a_message(service_client, account, add_event):
    add_event(at=local(2026, 6, 2))
    response = service_client.get(url(account, date_from="2026-06-05", date_to="2026-06-01"))
    assert response.status_code == 200
    assert "To: The end date is before the start date." in response.content.decode()
    assert shown(response) == []


def test_unknown_type_gets_a_message(service_client, account):
    response = service_client.get(url(account, type="parcel_delivered"))
    assert response.status_code == 200
    assert "Activity types: Select a valid choice." in html.unescape(response.content.decode())


def test_unknown_actor_kind_gets_a_message(service_client, account):
    response = service_client.get(url(account, actor="robot"))
    assert response.status_code == 200
    assert "Actor: Select a valid choice." in html.unescape(response.content.decode())


MALFORMED_CURSORS = {
    "not base64": "%%%not-a-cursor",
    "garbage": "abc",
    "non-ascii": "é",
    "too few parts": cursor("o|2026-06-01T12:00:00+00:00"),
    "bad direction": cursor("x|2026-06-01T12:00:00+00:00|6a3b4e1c-3f7e-4c55-9a53-7f1e2f1d9a10"),
    "naive time": cursor("o|2026-06-01T12:00:00|6a3b4e1c-3f7e-4c55-9a53-7f1e2f1d9a10"),
    "bad time": cursor("o|2026-06-41T12:00:00+00:00|6a3b4e1c-3f7e-4c55-9a53-7f1e2f1d9a10"),
    "bad uuid": cursor("o|2026-06-01T12:00:00+00:00|not-a-uuid"),
    "not utf-8": base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(),
}


@pytest.mark.parametrize("value", MALFORMED_CURSORS.values(), ids=MALFORMED_CURSORS.keys())
def test_malformed_cursor_gets_a_message_and_the_newest_page(
    service_client, account, add_event, value
):
    newest = add_event(at=local(2026, 6, 2))
    response = service_client.get(url(account, cursor=value))
    assert response.status_code == 200
    assert messages_of(response) == ["This page link is not valid; showing the newest activity."]
    assert shown(response)[0] == newest.pk


@pytest.mark.parametrize(
    "raw",
    [
        "o|0001-01-01T00:00:00+05:00|00000000-0000-0000-0000-000000000000",
        "n|9999-12-31T23:59:59-05:00|ffffffff-ffff-ffff-ffff-ffffffffffff",
        # Python takes offsets up to ±23:59, PostgreSQL only to ±15:59.
        "o|2026-06-01T12:00:00+23:59|00000000-0000-0000-0000-000000000000",
        "n|2026-06-01T12:00:00-20:00|00000000-0000-0000-0000-000000000000",
    ],
)
def test_cursor_at_the_ends_of_time_is_answered(service_client, account, add_event, raw):
    add_event()
    assert service_client.get(url(account, cursor=cursor(raw))).status_code == 200


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


# --- Comments ------------------------------------------------------------------------------------


def comment_url(account) -> str:
    return reverse("activity:comment", args=[account.customer_number])


def test_comment_is_added_by_the_signed_in_agent(service_client, service_user, account):
    response = service_client.post(comment_url(account), {"comment": "Called about the invoice."})
    assert response.status_code == 302
    event = ActivityEvent.objects.get(account=account)
    assert (event.type, event.data, event.actor) == (
        "comment_added",
        {"comment": "Called about the invoice."},
        service_user,
    )


def test_comment_returns_to_the_page_it_was_written_on(service_client, account):
    back = url(account, type="comment_added")
    response = service_client.post(comment_url(account), {"comment": "A note.", "next": back})
    assert response.url == back


def test_comment_never_returns_to_another_site(service_client, account):
    response = service_client.post(
        comment_url(account), {"comment": "A note.", "next": "https://evil.example/"}
    )
    assert response.url == account.get_absolute_url()


def test_comment_success_is_announced(service_client, account):
    response = service_client.post(comment_url(account), {"comment": "A note."}, follow=True)
    assert messages_of(response) == ["Comment added."]


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_comment_is_refused_with_a_message(service_client, account, text):
    response = service_client.post(comment_url(account), {"comment": text}, follow=True)
    assert messages_of(response) == ["Comment not saved: This field is required."]
    assert not ActivityEvent.objects.exists()


def test_overlong_comment_is_refused_with_a_message(service_client, account):
    response = service_client.post(
        comment_url(account), {"comment": "x" * (MAX_TEXT_LENGTH + 1)}, follow=True
    )
    assert response.status_code == 200
    assert messages_of(response) == [
        f"Comment not saved: Ensure this value has at most {MAX_TEXT_LENGTH} characters "
        f"(it has {MAX_TEXT_LENGTH + 1})."
    ]
    assert not ActivityEvent.objects.exists()


def test_comment_form_is_offered_to_those_who_may_comment(service_client, account):
    content = service_client.get(url(account)).content.decode()
    assert f'action="{comment_url(account)}"' in content


def test_comment_form_is_not_offered_to_finance(client, make_user, account):
    client.force_login(make_user(roles.FINANCE))
    content = client.get(url(account)).content.decode()
    assert f'action="{comment_url(account)}"' not in content


# --- Working with the timeline: IDs, links, order, chips, jumps, the CSV -----------------------


def test_each_event_shows_its_unique_id_with_a_copy_button(service_client, account, add_event):
    event = add_event("email_sent")
    content = service_client.get(url(account)).content.decode()
    assert f'<code id="id-{event.pk}">{event.pk}</code>' in content
    assert f'data-copy="id-{event.pk}"' in content


def test_order_ids_link_to_the_subscription_and_transactions_to_their_page(
    client, make_user, account
):
    from credits.services import credit_grant, manual_charge
    from tests.factories import SubscriptionFactory

    SubscriptionFactory(account=account, order_id="ORD-1")
    finance = make_user("Finance")
    credit_grant(actor=None, account=account, amount="5", credit_type="currency", currency="SEK")
    charge = manual_charge(
        actor=finance, account=account, amount="20", currency="SEK", note="Lost card"
    )
    ActivityEventFactory(
        account=account,
        type="subscription_billing_success",
        data={"product": "Digital Plus", "order_id": "ORD-1"},
    )
    client.force_login(finance)
    content = client.get(url(account)).content.decode()
    assert f'<a href="{account.get_absolute_url()}#subscription-ORD-1">ORD-1</a>' in content
    transaction = charge.event.data["transaction_id"]
    assert f'<a href="/credits/transactions/{transaction}/">{transaction}</a>' in content


def test_events_of_the_same_time_keep_one_order_across_pages_and_loads(
    service_client, account, add_event
):
    same = local(2026, 6, 1)
    events = [add_event("email_sent", at=same) for _ in range(PAGE_SIZE + 7)]
    first = service_client.get(url(account))
    second = follow(service_client, account, pager_link(first, "next"))
    ordered = shown(first) + shown(second)
    assert sorted(ordered) == sorted(e.pk for e in events)  # each once
    assert shown(service_client.get(url(account))) == shown(first)  # the same order again
    assert ordered == sorted(ordered, reverse=True)


def test_active_filters_show_as_chips_that_remove_themselves(service_client, account, add_event):
    add_event("email_sent")
    response = service_client.get(
        url(account, type=["email_sent", "comment_added"], date_from="2026-01-01")
    )
    chips = response.context["chips"]
    assert [c["label"] for c in chips] == ["From 2026-01-01", "Email sent", "Comment Added"]
    assert chips[1]["remove"] == "type=comment_added&date_from=2026-01-01"
    assert "1 event on this page matches these filters." in response.content.decode()


def test_jump_to_a_date_shows_the_page_that_starts_there(service_client, account, add_event):
    for day in range(1, 11):
        add_event("email_sent", at=local(2026, 6, day))
    response = service_client.get(url(account, jump="2026-06-04"), follow=True)
    days = [day for day, _events in response.context["page"].days]
    assert days[0] == dt.date(2026, 6, 4)
    assert response.redirect_chain[0][0].startswith(url(account) + "?cursor=")


def test_a_bad_jump_date_says_so(service_client, account):
    response = service_client.get(url(account, jump="soon"), follow=True)
    assert messages_of(response) == ["“soon” is not a date: give the day to jump to as YYYY-MM-DD."]


def test_oldest_shows_the_first_events_and_no_older_link(service_client, account, add_event):
    events = [
        add_event("email_sent", at=local(2026, 6, 1, hour=1) + dt.timedelta(minutes=i))
        for i in range(PAGE_SIZE + 3)
    ]
    from activity.selectors import OLDEST_CURSOR

    response = service_client.get(url(account, cursor=OLDEST_CURSOR))
    assert shown(response)[-1] == events[0].pk
    assert len(shown(response)) == PAGE_SIZE
    assert response.context["page"].older_cursor is None
    assert response.context["page"].newer_cursor is not None
