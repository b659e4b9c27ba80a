"""GET /api/v1/event-types/ and GET /api/v1/accounts/<customer_number>/events/."""

import base64
import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest

from activity.models import ActivityEvent
from activity.registry import EVENT_TYPES
from core.api import BAD_LIMIT
from core.errors import INVALID_CURSOR
from tests.factories import ActivityEventFactory, SubscriptionFactory, UserFactory


def events_url(account):
    return f"/api/v1/accounts/{account.customer_number}/events/"


def at(day, hour=12):
    return dt.datetime(2026, 6, day, hour, tzinfo=dt.UTC)


def test_event_types_list_the_whole_registry(api):
    data = api.get("/api/v1/event-types/").json()

    assert [t["code"] for t in data] == [t.code for t in EVENT_TYPES]
    billing_day = next(t for t in data if t["code"] == "billing_date_changed")
    assert billing_day == {
        "code": "billing_date_changed",
        "title": "Billing Date Changed",
        "category": "billing",
        "category_title": "Billing",
        "description": "The customer's billing day moved; the next billing moves to the new day.",
        "attributes": [
            {"key": "from", "label": "Bill day from", "kind": "integer", "required": True},
            {"key": "to", "label": "Bill day to", "kind": "integer", "required": True},
            {"key": "next_billing", "label": "Next billing on", "kind": "date", "required": False},
            {"key": "changes", "label": "Changes", "kind": "changes", "required": False},
        ],
        "integrations_may_record": True,
    }
    comment = next(t for t in data if t["code"] == "comment_added")
    assert comment["integrations_may_record"] is False


def test_an_accounts_events_come_newest_first(api, account, django_assert_max_num_queries):
    subscription = SubscriptionFactory(account=account, order_id="ORD-R1")
    older = ActivityEventFactory(account=account, occurred_at=at(1))
    newer = ActivityEventFactory(account=account, occurred_at=at(2), subscription=subscription)
    ActivityEventFactory(occurred_at=at(3))  # another account's

    with django_assert_max_num_queries(3):  # token, account, page
        data = api.get(events_url(account)).json()

    assert [e["id"] for e in data["results"]] == [str(newer.id), str(older.id)]
    assert data["results"][0]["subscription"] == "ORD-R1"
    assert data["results"][1]["subscription"] is None
    assert data["next"] is None and data["previous"] is None


def test_an_unknown_account_is_a_404(api, db):
    assert api.get("/api/v1/accounts/000000/events/").status_code == 404


def test_a_customer_number_with_a_nul_character_is_a_404(api, db):
    assert api.get("/api/v1/accounts/1%00/events/").status_code == 404


def test_the_cursor_walks_older_and_back(api, account):
    events = [ActivityEventFactory(account=account, occurred_at=at(1 + i)) for i in range(5)]
    newest_first = [str(e.id) for e in reversed(events)]

    first = api.get(events_url(account), {"limit": 2}).json()
    second = api.get(first["next"]).json()
    third = api.get(second["next"]).json()
    back = api.get(third["previous"]).json()

    assert [e["id"] for e in first["results"]] == newest_first[:2]
    assert [e["id"] for e in second["results"]] == newest_first[2:4]
    assert [e["id"] for e in third["results"]] == newest_first[4:]
    assert third["next"] is None
    assert [e["id"] for e in back["results"]] == newest_first[2:4]
    assert parse_qs(urlsplit(first["next"]).query)["limit"] == ["2"]


def test_events_at_the_same_moment_are_paged_without_loss(api, account):
    same = [ActivityEventFactory(account=account, occurred_at=at(5)) for _ in range(5)]

    seen, url = [], events_url(account) + "?limit=2"
    while url:
        page = api.get(url).json()
        seen += [e["id"] for e in page["results"]]
        url = page["next"]

    assert sorted(seen) == sorted(str(e.id) for e in same)


def test_a_cursor_with_an_offset_beyond_postgresqls_range_is_answered(api, account):
    ActivityEventFactory(account=account, occurred_at=at(1))
    raw = "o|2026-06-01T12:00:00+23:59|00000000-0000-0000-0000-000000000000"
    cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    assert api.get(events_url(account), {"cursor": cursor}).status_code == 200


@pytest.mark.parametrize("cursor", ["garbage", "bw==", "bnwyMDI2fHh4eA"])
def test_a_malformed_cursor_is_a_400(api, account, cursor):
    response = api.get(events_url(account), {"cursor": cursor})

    assert response.status_code == 400
    assert response.json() == {"cursor": [INVALID_CURSOR]}


@pytest.mark.parametrize("limit", ["0", "101", "ten", "-1"])
def test_a_bad_limit_is_a_400(api, account, limit):
    response = api.get(events_url(account), {"limit": limit})

    assert response.status_code == 400
    assert response.json() == {"limit": [BAD_LIMIT]}


def test_filter_by_local_date_range(api, account):
    ActivityEventFactory(account=account, occurred_at=at(1, 21))  # 23:00 on 1 June in Stockholm
    inside = ActivityEventFactory(account=account, occurred_at=at(1, 22))  # 00:00 on 2 June
    ActivityEventFactory(account=account, occurred_at=at(3, 22))  # 00:00 on 4 June

    data = api.get(events_url(account), {"date_from": "2026-06-02", "date_to": "2026-06-03"}).json()

    assert [e["id"] for e in data["results"]] == [str(inside.id)]


def test_filter_by_several_types(api, account):
    email = ActivityEventFactory(account=account, type="email_sent")
    created = ActivityEventFactory(account=account, type="new_customer_created", data={})
    ActivityEventFactory(account=account, type="credit_control_cycle_exited", data={})

    data = api.get(events_url(account) + "?type=email_sent&type=new_customer_created").json()

    assert {e["id"] for e in data["results"]} == {str(email.id), str(created.id)}


def test_filter_by_category(api, account):
    ActivityEventFactory(account=account, type="email_sent")
    exited = ActivityEventFactory(account=account, type="credit_control_cycle_exited", data={})

    data = api.get(events_url(account), {"category": "billing"}).json()

    assert [e["id"] for e in data["results"]] == [str(exited.id)]


def test_filter_by_actor_kind(api, account):
    agent = UserFactory()
    ActivityEventFactory(account=account)
    by_agent = ActivityEventFactory(
        account=account,
        actor=agent,
        actor_kind=ActivityEvent.ActorKind.AGENT,
        actor_name="Agent Smith",
        origin=ActivityEvent.Origin.AGENT,
    )

    data = api.get(events_url(account), {"actor": "agent"}).json()

    assert [e["id"] for e in data["results"]] == [str(by_agent.id)]
    assert data["results"][0]["actor"] == "Agent Smith"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"date_from": "2026-13-01"}, "date_from"),
        ({"date_to": "yesterday"}, "date_to"),
        ({"date_from": "2026-06-03", "date_to": "2026-06-01"}, "date_to"),
        ({"type": "no_such_type"}, "type"),
        ({"category": "nothing"}, "category"),
        ({"actor": "robot"}, "actor"),
    ],
)
def test_a_bad_filter_is_a_400_naming_the_field(api, account, query, field):
    response = api.get(events_url(account), query)

    assert response.status_code == 400
    assert field in response.json()


def test_events_posted_through_the_api_read_back_with_their_actor(api, account):
    api.post(
        "/api/v1/events/",
        {
            "account": account.customer_number,
            "type": "credit_control_cycle_exited",
            "occurred_at": "2026-06-01T12:00:00+02:00",
        },
    )

    [event] = api.get(events_url(account), {"actor": "system"}).json()["results"]

    assert event["actor"] == "Billing engine"
    assert event["origin"] == "api"
