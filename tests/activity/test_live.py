"""Live Recent Activity: an open newest page asks how many events were recorded after its
newest one (with its filters), loads them, and says who else has the account open. Bad input
gets a 400 with a message, never a 500; each poll costs a fixed number of queries."""

import base64
import datetime as dt
import re
import time

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from activity.selectors import NEW_EVENTS_CAP, NEW_EVENTS_LOAD
from activity.services import comment_add
from activity.views import BAD_AFTER
from config import roles
from staff.middleware import IDLE_ENDED
from tests.activity.conftest import local
from tests.activity.page_helpers import url
from tests.conftest import messages_of

pytestmark = pytest.mark.django_db

# A poll's query budget, however many events: session, user, the second factor, the user's
# and the groups' permissions, the account, and the count (or the new events) from the index.
POLL_QUERY_BUDGET = 6


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def live_after(client, account, **filters) -> str:
    """The cursor an open newest page polls after (as its live bar carries it)."""
    response = client.get(url(account, **filters))
    return response.context["live_after"]


def poll(client, account, after, **params):
    query = {"after": after, **params}
    return client.get(reverse("activity:new", args=[account.customer_number]), query)


def test_newest_page_is_live_and_an_older_page_is_not(service_client, account, add_event):
    for i in range(30):
        add_event(at=local(2026, 6, 1) + dt.timedelta(minutes=i))
    newest = service_client.get(url(account))
    assert newest.context["live_after"]
    assert 'class="live-news"' in newest.content.decode()
    older = re.search(r'<a rel="next" href="\?([^"]*)"', newest.content.decode()).group(1)
    page = service_client.get(url(account) + "?" + older.replace("&amp;", "&"))
    assert page.context["live_after"] is None
    assert 'class="live-news"' not in page.content.decode()


def test_nothing_new_counts_zero(service_client, account, add_event):
    add_event(at=local(2026, 6, 1))
    answer = poll(service_client, account, live_after(service_client, account)).json()
    assert answer["count"] == 0
    assert answer["label"] == ""


def test_an_event_recorded_after_the_page_opened_is_counted(
    service_client, account, add_event, agent
):
    add_event(at=local(2026, 6, 1))
    after = live_after(service_client, account)
    comment_add(actor=agent, account=account, text="Called back.")
    answer = poll(service_client, account, after).json()
    assert (answer["count"], answer["label"]) == (1, "1 new event")


def test_the_page_filters_apply_to_what_is_new(service_client, account, add_event, agent):
    add_event("comment_added", at=local(2026, 6, 1))
    after = live_after(service_client, account, type="comment_added")
    add_event("email_sent", at=local(2026, 6, 3))  # System, not a comment
    comment_add(actor=agent, account=account, text="Called back.")  # today
    assert poll(service_client, account, after, type="comment_added").json()["count"] == 1
    assert poll(service_client, account, after, actor="system").json()["count"] == 1
    assert poll(service_client, account, after, date_to="2026-06-05").json()["count"] == 1
    assert poll(service_client, account, after, date_to="2026-06-01").json()["count"] == 0


def test_the_count_stops_at_its_cap(service_client, account, add_event):
    after = live_after(service_client, account)
    for i in range(NEW_EVENTS_CAP + 3):
        add_event(at=local(2026, 6, 1) + dt.timedelta(minutes=i))
    answer = poll(service_client, account, after).json()
    assert answer["count"] == NEW_EVENTS_CAP + 1
    assert answer["label"] == f"{NEW_EVENTS_CAP}+ new events"


def test_loading_returns_the_new_events_and_where_to_ask_next(
    service_client, account, add_event, agent
):
    add_event(at=local(2026, 6, 1))
    after = live_after(service_client, account)
    event = comment_add(actor=agent, account=account, text="Called back.")
    answer = poll(service_client, account, after, load="1").json()
    assert answer["loaded"] == 1 and answer["more"] is False
    assert f'id="event-{event.pk}"' in answer["html"]
    assert "Called back." in answer["html"]
    assert poll(service_client, account, answer["after"]).json()["count"] == 0


def test_loading_many_takes_the_oldest_first_and_says_more_follow(
    service_client, account, add_event
):
    after = live_after(service_client, account)
    added = [
        add_event(at=local(2026, 6, 1) + dt.timedelta(minutes=i))
        for i in range(NEW_EVENTS_LOAD + 2)
    ]
    answer = poll(service_client, account, after, load="1").json()
    assert answer["loaded"] == NEW_EVENTS_LOAD and answer["more"] is True
    assert f'id="event-{added[NEW_EVENTS_LOAD - 1].pk}"' in answer["html"]
    assert f'id="event-{added[NEW_EVENTS_LOAD].pk}"' not in answer["html"]
    assert poll(service_client, account, answer["after"]).json()["count"] == 2


# --- Bad input ----------------------------------------------------------------------------------


def cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "after",
    [
        "nonsense",
        "%%%",
        cursor("x|2026-06-01T00:00:00+00:00|1"),
        cursor("n|not a time|1"),
        cursor("n|2026-06-01T00:00:00+00:00|not-a-uuid"),
        cursor("o|2026-06-01T00:00:00+00:00|00000000-0000-0000-0000-000000000000"),
        "A" * 5000,
    ],
)
def test_a_bad_cursor_is_refused_with_a_message(service_client, account, after):
    for load in ("", "1"):
        response = poll(service_client, account, after, load=load)
        assert response.status_code == 400
        assert response.json() == {"error": BAD_AFTER}


def test_without_a_cursor_nothing_is_counted(service_client, account, add_event):
    add_event(at=local(2026, 6, 1))
    response = service_client.get(reverse("activity:new", args=[account.customer_number]))
    assert response.status_code == 200
    assert response.json() == {"count": 0, "label": "", "viewers": []}


@pytest.mark.parametrize(
    ("filters", "named"),
    [
        ({"date_from": "2026-13-01"}, "From"),
        ({"date_to": "yesterday"}, "To"),
        ({"type": "no_such_type"}, "Activity types"),
        ({"actor": "robot"}, "Actor"),
        ({"category": "nothing"}, "Category"),
    ],
)
def test_bad_filters_are_refused_with_a_message_naming_them(
    service_client, account, add_event, filters, named
):
    add_event(at=local(2026, 6, 1))
    after = live_after(service_client, account)
    response = poll(service_client, account, after, **filters)
    assert response.status_code == 400
    assert response.json()["error"].startswith(f"{named}: ")


def test_an_unknown_account_is_not_found(service_client):
    response = service_client.get(reverse("activity:new", args=["999999"]), {"after": "x"})
    assert response.status_code == 404


# --- Query budget -------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [3, 150])
@pytest.mark.parametrize("load", ["", "1"])
def test_a_poll_costs_a_fixed_number_of_queries(
    service_client, account, add_event, django_assert_max_num_queries, count, load
):
    after = live_after(service_client, account, type=["email_sent", "comment_added"])
    for i in range(count):
        add_event(at=local(2026, 6, 1) + dt.timedelta(minutes=i))
    with django_assert_max_num_queries(POLL_QUERY_BUDGET):
        response = poll(
            service_client, account, after, load=load, type=["email_sent", "comment_added"]
        )
    assert response.status_code == 200


# --- Presence -----------------------------------------------------------------------------------


def test_the_account_page_names_the_others_viewing_it(client, make_user, account):
    first = make_user(roles.CUSTOMER_SERVICE, first_name="Sara", last_name="Lind")
    second = make_user(roles.SALES_AGENT, first_name="Omar", last_name="Haddad")
    page = reverse("accounts:detail", args=[account.customer_number])
    client.force_login(first)
    assert client.get(page).context["viewers"] == []
    client.force_login(second)
    response = client.get(page)
    assert response.context["viewers"] == ["Sara Lind"]
    assert "Also viewing: Sara Lind" in response.content.decode()


def test_a_poll_is_a_heartbeat_and_answers_the_others(client, make_user, account):
    first = make_user(roles.CUSTOMER_SERVICE, first_name="Sara", last_name="Lind")
    second = make_user(roles.CUSTOMER_SERVICE, first_name="Omar", last_name="Haddad")
    presence = reverse("accounts:presence", args=[account.customer_number])
    client.force_login(first)
    assert client.get(presence).json() == {"viewers": []}
    client.force_login(second)
    assert client.get(presence).json() == {"viewers": ["Sara Lind"]}
    # Recent Activity's poll is a heartbeat of the account too.
    client.force_login(first)
    after = live_after(client, account)
    assert poll(client, account, after).json()["viewers"] == ["Omar Haddad"]


def test_a_viewer_whose_heartbeat_is_older_than_the_presence_time_has_gone(
    client, make_user, account, settings
):
    settings.PRESENCE_SECONDS = 0.5
    client.force_login(make_user(roles.CUSTOMER_SERVICE, first_name="Sara", last_name="Lind"))
    presence = reverse("accounts:presence", args=[account.customer_number])
    client.get(presence)
    client.force_login(make_user(roles.CUSTOMER_SERVICE, username="omar"))
    assert client.get(presence).json() == {"viewers": ["Sara Lind"]}
    time.sleep(0.6)
    assert client.get(presence).json() == {"viewers": []}


def test_presence_of_an_unknown_account_is_not_found(service_client):
    response = service_client.get(reverse("accounts:presence", args=["999999"]))
    assert response.status_code == 404


# --- The idle timeout ---------------------------------------------------------------------------


def test_polling_does_not_keep_an_idle_session_alive(service_client, account):
    presence = reverse("accounts:presence", args=[account.customer_number])
    # From now: the client's sign-in started the session's clocks at the real time.
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        after = live_after(service_client, account)  # the agent opens the page, then leaves
        for _ in range(29):
            clock.shift(dt.timedelta(minutes=1))
            assert poll(service_client, account, after).status_code == 200
            assert service_client.get(presence).status_code == 200
        clock.shift(dt.timedelta(minutes=1, seconds=1))
        response = service_client.get(url(account), follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("login"))
    assert IDLE_ENDED.format(30) in messages_of(response)


def test_the_user_s_own_requests_still_keep_the_session(service_client, account):
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        for _ in range(3):
            clock.shift(dt.timedelta(minutes=20))
            assert service_client.get(url(account)).status_code == 200
