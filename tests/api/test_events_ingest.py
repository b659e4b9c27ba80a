"""POST /api/v1/events/: one event or a batch, idempotent by ID, all or nothing."""

import datetime as dt
import json
import uuid

import pytest
from django.conf import settings

from activity.ingest import MAX_BATCH
from activity.models import ActivityEvent
from activity.registry import UNKNOWN_MONEY_CURRENCY
from core.api import PayloadTooLarge
from core.errors import (
    BATCH_TOO_LARGE,
    BODY_SHAPE,
    EMPTY_BATCH,
    NAIVE_TIME,
    NO_ACCOUNT,
    NO_SUBSCRIPTION,
    NOT_AN_OBJECT,
    REPEATED_ID,
    TOO_DEEP,
    UNKNOWN_FIELD,
)
from core.errors import EVENT_CONFLICT as CONFLICT
from tests.api.conftest import INTEGRATION_NAME
from tests.factories import AccountFactory, ActivityEventFactory, SubscriptionFactory

URL = "/api/v1/events/"


def billing_day(account, /, **overrides):
    event = {
        "account": account.customer_number,
        "type": "billing_date_changed",
        "occurred_at": "2026-06-01T12:00:00+02:00",
        "attributes": {"from": 3, "to": 15},
    }
    return {**event, **overrides}


def test_one_event_is_stored_as_a_system_event_of_the_integration(api, account):
    response = api.post(URL, billing_day(account))

    assert response.status_code == 201
    event = ActivityEvent.objects.get()
    assert response.json()["id"] == str(event.id)
    assert event.account == account
    assert event.type == "billing_date_changed"
    assert event.occurred_at == dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC)
    assert event.data == {"from": 3, "to": 15}
    assert event.origin == ActivityEvent.Origin.API
    assert event.actor_kind == ActivityEvent.ActorKind.SYSTEM
    assert event.actor_name == INTEGRATION_NAME
    assert event.actor is None


def test_the_response_is_the_stored_event(api, account):
    subscription = SubscriptionFactory(account=account, order_id="ORD-1")
    event_id = uuid.uuid4()
    body = {
        "id": str(event_id),
        "account": account.customer_number,
        "type": "subscription_billing_success",
        "occurred_at": "2026-06-01T12:00:00+00:00",
        "subscription": subscription.order_id,
        "attributes": {"product": "Premium", "order_id": "ORD-1"},
    }

    data = api.post(URL, body).json()

    assert data["id"] == str(event_id)
    assert data["account"] == account.customer_number
    assert data["subscription"] == "ORD-1"
    assert data["title"] == "Subscription Billing Success"
    assert data["category"] == "billing"
    assert data["actor"] == INTEGRATION_NAME
    assert data["actor_kind"] == "system"
    assert data["origin"] == "api"
    assert data["attributes"] == {"product": "Premium", "order_id": "ORD-1"}
    assert dt.datetime.fromisoformat(data["occurred_at"]) == dt.datetime(
        2026, 6, 1, 12, tzinfo=dt.UTC
    )


def test_a_batch_is_stored_with_one_account_query_one_insert_and_one_count(
    api, account, django_assert_max_num_queries
):
    other = AccountFactory()
    batch = [billing_day(account), billing_day(other), billing_day(account)]

    # The request's transaction (a savepoint here, in the test's transaction) around: the token,
    # the integration still enabled (core.api.hold_caller), the accounts, and the batch's
    # savepoint + insert + its month counts (one upsert, for Recent Activity's total) + release
    with django_assert_max_num_queries(9):
        response = api.post(URL, batch)

    assert response.status_code == 201
    assert [e["account"] for e in response.json()] == [
        account.customer_number,
        other.customer_number,
        account.customer_number,
    ]
    assert ActivityEvent.objects.count() == 3


def test_a_full_batch_of_1000_is_accepted(api, account):
    batch = [billing_day(account, attributes={"from": 1, "to": 1 + i % 28}) for i in range(1000)]

    response = api.post(URL, batch)

    assert response.status_code == 201
    assert len(response.json()) == 1000
    assert ActivityEvent.objects.count() == 1000


def test_a_batch_over_the_limit_is_refused_and_stores_nothing(api, account):
    response = api.post(URL, [billing_day(account)] * (MAX_BATCH + 1))

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [BATCH_TOO_LARGE.format(max=MAX_BATCH, count=MAX_BATCH + 1)]
    }
    assert not ActivityEvent.objects.exists()


def test_an_empty_batch_is_refused(api):
    response = api.post(URL, [])
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [EMPTY_BATCH]}


@pytest.mark.parametrize("body", ["3", '"text"', "null", "true"])
def test_a_body_that_is_neither_object_nor_list_is_refused(api, body):
    response = api.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [BODY_SHAPE]}


@pytest.mark.parametrize("body", ['{"account": ', "[1, 2", "{'single': 'quotes'}", "NaN"])
def test_malformed_json_is_a_400(api, body):
    response = api.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")


def test_json_nested_beyond_the_recursion_limit_is_a_400(api):
    response = api.post(URL, "[" * 100_000 + "]" * 100_000, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": TOO_DEEP}


def test_a_body_that_is_not_json_is_refused(api, account):
    response = api.post(URL, {"account": account.customer_number}, format="multipart")
    assert response.status_code == 415


# --- Idempotency -----------------------------------------------------------------------------


def test_resending_the_same_id_and_content_returns_the_stored_event(api, account):
    body = billing_day(account, id=str(uuid.uuid4()))
    first = api.post(URL, body)

    again = api.post(URL, body)

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert ActivityEvent.objects.count() == 1


def test_the_same_instant_in_another_offset_is_the_same_content(api, account):
    event_id = str(uuid.uuid4())
    api.post(URL, billing_day(account, id=event_id, occurred_at="2026-06-01T12:00:00+02:00"))

    again = api.post(URL, billing_day(account, id=event_id, occurred_at="2026-06-01T10:00:00Z"))

    assert again.status_code == 200


def test_the_same_id_with_other_content_is_a_conflict(api, account):
    event_id = str(uuid.uuid4())
    api.post(URL, billing_day(account, id=event_id))

    response = api.post(URL, billing_day(account, id=event_id, attributes={"from": 3, "to": 16}))

    assert response.status_code == 409
    assert response.json() == {"id": [CONFLICT]}
    assert ActivityEvent.objects.get().data == {"from": 3, "to": 15}


def test_an_id_already_used_by_an_agent_event_is_a_conflict(api, account):
    stored = ActivityEventFactory(account=account)

    response = api.post(URL, billing_day(account, id=str(stored.id)))

    assert response.status_code == 409


def test_a_batch_with_one_conflict_stores_nothing(api, account):
    event_id = str(uuid.uuid4())
    api.post(URL, billing_day(account, id=event_id))
    batch = [
        billing_day(account),
        billing_day(account, id=event_id, occurred_at="2026-06-02T12:00:00+02:00"),
    ]

    response = api.post(URL, batch)

    assert response.status_code == 409
    assert response.json() == {"1": {"id": [CONFLICT]}}
    assert ActivityEvent.objects.count() == 1


def test_a_batch_mixing_stored_and_new_events_stores_only_the_new(api, account):
    known = billing_day(account, id=str(uuid.uuid4()))
    api.post(URL, known)
    new = billing_day(account, id=str(uuid.uuid4()), occurred_at="2026-06-03T08:00:00+02:00")

    response = api.post(URL, [known, new])

    assert response.status_code == 201
    assert [e["id"] for e in response.json()] == [known["id"], new["id"]]
    assert ActivityEvent.objects.count() == 2


def test_a_batch_of_only_stored_events_is_a_200(api, account):
    batch = [billing_day(account, id=str(uuid.uuid4())) for _ in range(3)]
    api.post(URL, batch)

    response = api.post(URL, batch)

    assert response.status_code == 200
    assert ActivityEvent.objects.count() == 3


def test_one_id_twice_in_a_batch_is_refused(api, account):
    event_id = str(uuid.uuid4())

    response = api.post(URL, [billing_day(account, id=event_id), billing_day(account, id=event_id)])

    assert response.status_code == 400
    assert response.json() == {"1": {"id": [REPEATED_ID.format(0)]}}
    assert not ActivityEvent.objects.exists()


# --- Validation: every error names its item and field, and nothing is stored -----------------


def test_one_bad_item_stores_nothing_of_the_batch(api, account):
    batch = [
        billing_day(account),
        billing_day(account, attributes={"from": 3}),
        billing_day(account),
    ]

    response = api.post(URL, batch)

    assert response.status_code == 400
    assert response.json() == {"1": {"attributes.to": ["Bill day to is required."]}}
    assert not ActivityEvent.objects.exists()


def test_every_bad_item_is_reported_by_its_index(api, account):
    batch = [
        billing_day(account, account="000000"),
        billing_day(account),
        "not an object",
        billing_day(account, type="no_such_type"),
    ]

    errors = api.post(URL, batch).json()

    assert errors == {
        "0": {"account": [NO_ACCOUNT.format("000000")]},
        "2": {"non_field_errors": [NOT_AN_OBJECT]},
        "3": {"type": ["Unknown activity type “no_such_type”."]},
    }


def test_a_single_bad_object_gets_its_field_errors_without_an_index(api, account):
    response = api.post(URL, billing_day(account, attributes={"from": "three", "to": 5}))

    assert response.status_code == 400
    assert response.json() == {"attributes.from": ["Bill day from must be a whole number."]}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"account": None}, "account", "This field may not be null."),
        ({"type": None}, "type", "This field may not be null."),
        ({"occurred_at": None}, "occurred_at", "This field may not be null."),
        ({"occurred_at": "2026-06-01T12:00:00"}, "occurred_at", NAIVE_TIME),
        ({"occurred_at": "yesterday"}, "occurred_at", None),
        ({"id": "not-a-uuid"}, "id", "Must be a valid UUID."),
        ({"account": "9" * 21}, "account", "Ensure this field has no more than 20 characters."),
        ({"subscription": "ORD-NONE"}, "subscription", NO_SUBSCRIPTION.format("ORD-NONE")),
        ({"attributes": ["from", 3]}, "attributes", None),
        ({"actor": "Somebody"}, "actor", UNKNOWN_FIELD),
        ({"data": {}}, "data", UNKNOWN_FIELD),
    ],
)
def test_each_field_error_is_reported_on_its_field(api, account, change, field, message):
    response = api.post(URL, [billing_day(account, **change)])

    assert response.status_code == 400
    errors = response.json()["0"]
    assert field in errors
    if message:
        assert errors[field] == [message]
    assert not ActivityEvent.objects.exists()


@pytest.mark.parametrize("missing", ["account", "type", "occurred_at"])
def test_a_missing_required_field_is_reported(api, account, missing):
    body = billing_day(account)
    del body[missing]

    response = api.post(URL, body)

    assert response.json() == {missing: ["This field is required."]}


@pytest.mark.parametrize(
    ("attributes", "errors"),
    [
        ({"from": 3, "to": 5, "colour": "red"}, {"attributes.colour": None}),
        ({"from": True, "to": 5}, {"attributes.from": ["Bill day from must be a whole number."]}),
        ({}, {"attributes.from": None, "attributes.to": None}),
    ],
)
def test_attributes_are_checked_against_the_registry(api, account, attributes, errors):
    response = api.post(URL, billing_day(account, attributes=attributes))

    assert response.status_code == 400
    body = response.json()
    assert set(body) == set(errors)
    for field, expected in errors.items():
        if expected:
            assert body[field] == expected


def test_money_and_date_attributes_are_checked_by_kind(api, account):
    event = {
        "account": account.customer_number,
        "type": "additional_payment_made",
        "occurred_at": "2026-06-01T12:00:00+02:00",
        "attributes": {"payment_method": "Visa", "amount": {"amount": 12.5, "currency": "sek"}},
    }

    response = api.post(URL, event)

    assert response.json() == {"attributes.amount": [f"Amount {UNKNOWN_MONEY_CURRENCY}."]}


def test_a_subscription_of_another_account_is_refused(api, account):
    SubscriptionFactory(order_id="ORD-OTHER")

    response = api.post(
        URL,
        {
            "account": account.customer_number,
            "type": "entitlements_refreshed",
            "occurred_at": "2026-06-01T12:00:00+02:00",
            "subscription": "ORD-OTHER",
            "attributes": {"product": "Premium", "order_id": "ORD-OTHER"},
        },
    )

    assert response.json() == {"subscription": ["The subscription belongs to another account."]}


def test_a_time_beyond_the_calendar_is_refused_not_a_crash(api, account):
    response = api.post(URL, billing_day(account, occurred_at="0001-01-01T00:00:00+14:00"))

    assert response.status_code == 400
    assert "occurred_at" in response.json()


def test_over_long_text_is_refused(api, account):
    event = {
        "account": account.customer_number,
        "type": "email_sent",
        "occurred_at": "2026-06-01T12:00:00+02:00",
        "attributes": {"subject": "x" * 1001, "to": "kund@example.se"},
    }

    response = api.post(URL, event)

    assert response.json() == {"attributes.subject": ["Subject must be at most 1000 characters."]}


@pytest.mark.parametrize(
    "body",
    [
        '{"subject": "a\\u0000b", "to": "kund@example.se"}',  # JSON's escape of NUL
        '{"subject": "a\\ud800b", "to": "kund@example.se"}',  # an unpaired surrogate
    ],
)
def test_text_the_database_cannot_keep_is_refused_not_a_crash(api, account, body):
    event = (
        f'{{"account": "{account.customer_number}", "type": "email_sent", '
        f'"occurred_at": "2026-06-01T12:00:00+02:00", "attributes": {body}}}'
    )

    response = api.post(URL, event, content_type="application/json")

    assert response.status_code == 400
    assert list(response.json()) == ["attributes.subject"]
    assert not ActivityEvent.objects.exists()


def test_a_body_over_the_size_limit_is_a_413(api):
    body = json.dumps(["x" * 1024] * 11 * 1024)
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    response = api.post(URL, body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {"detail": PayloadTooLarge.default_detail}


def test_an_id_names_one_event_of_its_account(api, account):
    """A replay is looked up by account and ID: the same ID sent for another account, at
    another time, is that account's own event."""
    event_id = str(uuid.uuid4())
    other = AccountFactory()
    api.post(URL, billing_day(account, id=event_id))

    response = api.post(
        URL, billing_day(other, id=event_id, occurred_at="2026-06-02T12:00:00+02:00")
    )

    assert response.status_code == 201
    assert ActivityEvent.objects.filter(id=event_id).count() == 2
    assert api.post(URL, billing_day(account, id=event_id)).status_code == 200


@pytest.mark.single_node("on a cluster the account is part of every event's key")
@pytest.mark.django_db
def test_an_id_stored_on_another_account_at_the_same_time_is_a_conflict(api, account):
    event_id = str(uuid.uuid4())
    api.post(URL, billing_day(account, id=event_id))

    response = api.post(URL, billing_day(AccountFactory(), id=event_id))

    assert response.status_code == 409
    assert response.json() == {"id": [CONFLICT]}
    assert ActivityEvent.objects.get().account == account
