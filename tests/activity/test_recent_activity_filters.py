"""The Recent Activity page's filters, alone and combined, the inclusive date range in the
site's time zone, and bad input, which gets a message and never a 500."""

import base64
import datetime as dt
import html

import pytest

from core.dates import DAY_OUT_OF_RANGE, FIRST_DAY, LAST_DAY
from tests.activity.conftest import local
from tests.activity.page_helpers import shown, url
from tests.conftest import messages_of

pytestmark = pytest.mark.django_db


def cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


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


def test_last_day_of_the_range_as_the_end_keeps_everything(service_client, account, add_event):
    event = add_event(at=local(2026, 6, 1))
    response = service_client.get(url(account, date_to=LAST_DAY.isoformat()))
    assert response.status_code == 200
    assert shown(response) == [event.pk]


def test_first_day_of_the_range_as_the_start_keeps_everything(service_client, account, add_event):
    event = add_event(at=local(2026, 6, 1))
    response = service_client.get(url(account, date_from=FIRST_DAY.isoformat()))
    assert response.status_code == 200
    assert shown(response) == [event.pk]


@pytest.mark.parametrize("query", [{"date_from": "0001-01-01"}, {"date_to": "9999-12-31"}])
def test_a_day_beyond_the_range_is_explained_not_a_500(service_client, account, query):
    response = service_client.get(url(account, **query))
    assert response.status_code == 200
    assert DAY_OUT_OF_RANGE in response.content.decode()


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
