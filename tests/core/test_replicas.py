"""Read replicas, against a real streaming replica (`make replica`, DATABASE_REPLICA_URL).

The test database is created on the primary and reaches the replica by replication (the
settings make the alias a test mirror of the primary's database). The tests commit (they are
transactional) and wait for the replica to replay up to the primary's position before reading.
Which database served a request is read from each connection's captured queries.
"""

import logging
import time

import pytest
from django.conf import settings
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from activity.services import comment_add
from config import roles
from core.replicas import PRIMARY, REPLICA
from credits import services
from integrations.services import integration_create
from tests.credits.conftest import SEK
from tests.factories import AccountFactory, LegacyEntryFactory, SubscriptionFactory

pytestmark = [
    pytest.mark.replica,
    pytest.mark.django_db(transaction=True, databases=[PRIMARY, REPLICA]),
    pytest.mark.skipif(
        REPLICA not in settings.DATABASES,
        reason="no replica: run `make replica` and set DATABASE_REPLICA_URL",
    ),
]

NUMBER = "700001"


def wait_for_replay(timeout: float = 15) -> None:
    """Until the replica has replayed everything the primary has written so far.

    The insert position, not the write position: the test databases commit asynchronously, so
    a commit's record may not have been written out yet when the test asks."""
    with connections[PRIMARY].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()")
        (position,) = cursor.fetchone()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [position])
            if cursor.fetchone()[0]:
                return
        time.sleep(0.02)
    pytest.fail(f"The replica did not replay up to {position} in {timeout} s.")


class Served:
    """The queries each database ran while the block ran."""

    def __enter__(self):
        self.contexts = {
            alias: CaptureQueriesContext(connections[alias]) for alias in (PRIMARY, REPLICA)
        }
        for context in self.contexts.values():
            context.__enter__()
        return self

    def __exit__(self, *exc):
        for context in self.contexts.values():
            context.__exit__(*exc)

    def on(self, alias: str, table: str) -> bool:
        """Whether `alias` read from `table`."""
        return any(table in query["sql"] for query in self.contexts[alias].captured_queries)


@pytest.fixture
def karin(db):
    account = AccountFactory(customer_number=NUMBER, name="Karin Nilsson")
    subscription = SubscriptionFactory(account=account, order_id="ORD-1")
    services.credit_grant(actor=None, account=account, amount="100", **SEK)
    services.apply_credits(
        account=account, subscription=subscription, amount="40", transaction_id="BILL-1", **SEK
    )
    comment_add(actor=None, account=account, text="Called the customer.")
    LegacyEntryFactory(account=account, source_id="AH-1", event_name="Password changed")
    return account


@pytest.fixture
def finance(client, make_user, karin):
    client.force_login(make_user(roles.FINANCE, first_name="Maja", last_name="Ek"))
    wait_for_replay()
    return client


@pytest.fixture
def agent_client(client, make_user, karin):
    client.force_login(make_user(roles.CUSTOMER_SERVICE, first_name="Sara", last_name="Lind"))
    wait_for_replay()
    return client


def test_the_replica_is_a_standby_of_the_test_database():
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), current_database(), inet_server_port()")
        in_recovery, name, port = cursor.fetchone()
    assert in_recovery
    assert name == connections[PRIMARY].settings_dict["NAME"]
    assert port == int(connections[REPLICA].settings_dict["PORT"])


@pytest.mark.parametrize(
    ("address", "table"),
    [
        (reverse("credits:activity"), "credits_creditentry"),
        (reverse("credits:activity") + "?account_name=nilss", "credits_creditentry"),
        (reverse("activity:recent", args=[NUMBER]), "activity_activityevent"),
        (reverse("legacy_history:legacy", args=[NUMBER]), "legacy_history_legacyentry"),
    ],
)
def test_heavy_pages_read_from_the_replica(finance, address, table):
    with Served() as served:
        response = finance.get(address)
    assert response.status_code == 200
    assert served.on(REPLICA, table)
    assert not served.on(PRIMARY, table)


def test_the_replica_serves_what_the_primary_committed(finance):
    with Served() as served:
        html = finance.get(reverse("credits:activity")).content.decode()
    assert served.on(REPLICA, "credits_creditentry")
    assert "BILL-1" in html and "Karin Nilsson" in html


def test_the_csv_download_reads_from_the_replica_and_records_on_the_primary(finance):
    with Served() as served:
        response = finance.get(reverse("credits:export"))
        body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "BILL-1" in body
    # The file is copied out of the replica (its time zone set there, in its transaction);
    # the record of the download is written on the primary.
    assert served.on(REPLICA, 'SET LOCAL "TimeZone"')
    assert served.on(PRIMARY, "credits_creditexport")
    assert not served.on(PRIMARY, 'SET LOCAL "TimeZone"')


def test_other_pages_read_from_the_primary(agent_client):
    with Served() as served:
        response = agent_client.get(reverse("accounts:detail", args=[NUMBER]))
    assert response.status_code == 200
    assert served.on(PRIMARY, "accounts_account")
    assert not served.contexts[REPLICA].captured_queries


def test_after_a_write_the_user_reads_from_the_primary(agent_client, settings):
    settings.REPLICA_STICKY_SECONDS = 2
    address = reverse("activity:recent", args=[NUMBER])
    comment = reverse("activity:comment", args=[NUMBER])
    with Served() as served:
        response = agent_client.post(comment, {"comment": "Promised a call back."}, follow=False)
    assert response.status_code == 302
    assert served.on(PRIMARY, "activity_activityevent")  # the write
    assert not served.contexts[REPLICA].captured_queries

    with Served() as served:
        html = agent_client.get(address).content.decode()
    assert "Promised a call back." in html  # read-your-writes, whatever the replica's lag
    assert served.on(PRIMARY, "activity_activityevent")
    assert not served.on(REPLICA, "activity_activityevent")

    time.sleep(settings.REPLICA_STICKY_SECONDS + 0.2)
    wait_for_replay()
    with Served() as served:
        html = agent_client.get(address).content.decode()
    assert "Promised a call back." in html
    assert served.on(REPLICA, "activity_activityevent")


def test_one_users_write_does_not_pin_another_user(client, make_user, karin):
    writer = make_user(roles.CUSTOMER_SERVICE)
    reader = make_user(roles.CUSTOMER_SERVICE)
    client.force_login(writer)
    client.post(reverse("activity:comment", args=[NUMBER]), {"comment": "Noted."})
    client.force_login(reader)
    wait_for_replay()
    with Served() as served:
        client.get(reverse("activity:recent", args=[NUMBER]))
    assert served.on(REPLICA, "activity_activityevent")


def test_an_integration_reads_its_own_events_from_the_primary(karin):
    _integration, key = integration_create(name="Billing engine")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    wait_for_replay()
    events = reverse("api:account-events", args=[NUMBER])
    credit_entries = reverse("api:account-credit-entries", args=[NUMBER])
    with Served() as served:
        assert api.get(events).status_code == 200
        assert api.get(credit_entries).status_code == 200
    assert served.on(REPLICA, "activity_activityevent")
    assert served.on(REPLICA, "credits_creditentry")

    event = {
        "account": NUMBER,
        "type": "email_sent",
        "occurred_at": "2026-11-01T08:00:00+00:00",
        "attributes": {"subject": "Receipt", "to": "karin@example.com"},
    }
    assert api.post(reverse("api:events"), event, format="json").status_code == 201
    with Served() as served:
        listed = api.get(events).json()["results"]
    assert any(item["attributes"].get("subject") == "Receipt" for item in listed)
    assert served.on(PRIMARY, "activity_activityevent")
    assert not served.on(REPLICA, "activity_activityevent")


def test_a_replica_that_does_not_answer_falls_back_to_the_primary(finance, caplog):
    replica = connections[REPLICA]
    kept = dict(replica.settings_dict)
    replica.close()
    replica.settings_dict["PORT"] = "1"  # nothing listens there
    try:
        with (
            caplog.at_level(logging.WARNING, logger="core.replicas"),
            CaptureQueriesContext(connections[PRIMARY]) as primary,
        ):
            response = finance.get(reverse("credits:activity"))
    finally:
        replica.close()
        replica.settings_dict.clear()
        replica.settings_dict.update(kept)
    assert response.status_code == 200
    assert "BILL-1" in response.content.decode()
    assert any("credits_creditentry" in query["sql"] for query in primary.captured_queries)
    assert "Read replica does not answer" in caplog.text
