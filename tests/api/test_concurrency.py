"""Concurrent first calls of the API with one idempotency key or one event ID, on PostgreSQL:
exactly one of them writes (201); every other one replays what it wrote (200)."""

import uuid

import pytest
from django.db import connection
from rest_framework.test import APIClient

from activity.models import ActivityEvent
from credits.models import CreditEntry, CreditOperation
from tests.factories import AccountFactory
from tests.threads import run_together

pytestmark = pytest.mark.django_db(transaction=True)

CALLERS = 8


def clients(key: str, count: int = CALLERS) -> list[APIClient]:
    made = []
    for _ in range(count):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        made.append(client)
    return made


def post_all(callers: list[APIClient], url: str, body: object) -> list[int]:
    statuses: list[int] = []

    def worker(client: APIClient):
        return lambda: statuses.append(client.post(url, body, format="json").status_code)

    run_together([worker(client) for client in callers])
    return statuses


def test_concurrent_first_grants_with_one_key_write_once(integration_and_key):
    assert connection.vendor == "postgresql"
    account = AccountFactory()
    grant = {
        "operation": "grant",
        "idempotency_key": "promo-1",
        "account": account.customer_number,
        "amount": "50.00",
        "credit_type": "currency",
        "currency": "SEK",
    }

    statuses = post_all(clients(integration_and_key[1]), "/api/v1/credits/", grant)

    assert sorted(statuses) == [200] * (CALLERS - 1) + [201]
    assert CreditEntry.objects.count() == 1
    assert CreditOperation.objects.count() == 1


def test_concurrent_first_apply_credits_with_one_key_write_once(integration_and_key):
    account = AccountFactory()
    body = {
        "idempotency_key": "bill-1",
        "account": account.customer_number,
        "amount": "99.00",
        "credit_type": "currency",
        "currency": "SEK",
        "transaction_id": "BILL-1",
    }

    statuses = post_all(clients(integration_and_key[1]), "/api/v1/charges/apply-credits/", body)

    assert sorted(statuses) == [200] * (CALLERS - 1) + [201]
    assert CreditOperation.objects.count() == 1


def test_concurrent_posts_of_one_identical_event_store_it_once_and_replay(integration_and_key):
    # The audit's replay: 20 simultaneous posts of one event; every identical one is a 200.
    account = AccountFactory()
    event = {
        "id": str(uuid.uuid4()),
        "account": account.customer_number,
        "type": "billing_date_changed",
        "occurred_at": "2026-06-01T12:00:00+02:00",
        "attributes": {"from": 3, "to": 15},
    }

    statuses = post_all(clients(integration_and_key[1], 20), "/api/v1/events/", event)

    assert sorted(statuses) == [200] * 19 + [201]
    assert ActivityEvent.objects.count() == 1
