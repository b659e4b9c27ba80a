"""The month counts Recent Activity's totals are summed from: kept by every writer of the
timeline in the insert's transaction (one event: in its statement on PostgreSQL; a batch: one
upsert), checked and rebuilt by `verify_timeline`, filled for older events by the migration
that added them."""

import datetime as dt
import importlib
import io
import uuid
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from activity.models import ActivityEvent, EventMonthCount
from activity.services import activity_record, activity_record_bulk
from activity.verification import count_problems, counts_rebuild, recomputed, stored
from core.actors import Actor
from credits import services as credit_services
from tests.activity.conftest import SAMPLE_DATA, local
from tests.factories import AccountFactory
from tests.threads import run_together

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("activity.migrations.0006_event_month_counts")


def month_rows(account) -> dict[tuple[str, str], int]:
    """The account's month counts, {(type, YYYY-MM): count}, whoever acted."""
    rows: dict[tuple[str, str], int] = {}
    for row in EventMonthCount.objects.filter(account=account):
        key = (row.type, f"{row.month:%Y-%m}")
        rows[key] = rows.get(key, 0) + row.count
    return rows


def test_agents_and_the_systems_events_are_counted_apart(account, agent):
    activity_record(account=account, type="comment_added", actor=agent, data={"comment": "Hi"})
    activity_record(
        account=account,
        type="subscription_billing_success",
        data={"product": "Premium", "order_id": "ORD-1"},
    )
    assert sorted(EventMonthCount.objects.values_list("type", "actor_kind", "count")) == [
        ("comment_added", "agent", 1),
        ("subscription_billing_success", "system", 1),
    ]


def test_a_recorded_event_counts_into_its_utc_month(account):
    # 00:30 on 1 July in Stockholm is still June in UTC.
    activity_record(
        account=account, type="credit_control_cycle_exited", occurred_at=local(2026, 7, 1, 0, 30)
    )
    activity_record(
        account=account, type="credit_control_cycle_exited", occurred_at=local(2026, 7, 1, 2, 30)
    )
    activity_record(
        account=account, type="credit_control_cycle_exited", occurred_at=local(2026, 7, 2)
    )
    assert month_rows(account) == {
        ("credit_control_cycle_exited", "2026-06"): 1,
        ("credit_control_cycle_exited", "2026-07"): 2,
    }


@pytest.mark.single_node("a Citus coordinator writes the event and its count in two statements")
def test_a_recorded_event_and_its_count_are_one_statement(account):
    with CaptureQueriesContext(connection) as queries:
        activity_record(account=account, type="credit_control_cycle_exited")
    (statement,) = [q["sql"] for q in queries.captured_queries]
    assert statement.startswith('WITH event AS (INSERT INTO "activity_activityevent"')
    assert 'INSERT INTO "activity_eventmonthcount"' in statement
    assert count_problems() == []


def test_a_batch_adds_its_counts_in_one_upsert(account):
    other = AccountFactory(customer_number="700002")
    events = [
        {
            "account": on,
            "type": type_code,
            "data": SAMPLE_DATA[type_code],
            "occurred_at": local(2026, month, 3) + dt.timedelta(minutes=i),
        }
        for i in range(100)
        for on in (account, other)
        for type_code, month in (("email_sent", 5), ("comment_added", 6))
    ]
    with CaptureQueriesContext(connection) as queries:
        activity_record_bulk(events=events)
    upserts = [q for q in queries.captured_queries if '"activity_eventmonthcount"' in q["sql"]]
    assert len(upserts) == 1
    assert (
        month_rows(account)
        == month_rows(other)
        == {
            ("email_sent", "2026-05"): 100,
            ("comment_added", "2026-06"): 100,
        }
    )
    assert count_problems() == []


def test_a_refused_batch_counts_nothing(account):
    good = {"account": account, "type": "credit_control_cycle_exited"}
    with pytest.raises(ValidationError):
        activity_record_bulk(events=[good, {**good, "type": "no_such_type"}])
    assert not EventMonthCount.objects.exists()


def test_events_through_the_api_are_counted(api, account):
    body = [
        {
            "account": account.customer_number,
            "type": "email_sent",
            "occurred_at": f"2026-0{month}-15T10:00:00+02:00",
            "attributes": SAMPLE_DATA["email_sent"],
        }
        for month in (4, 4, 5)
    ]
    assert api.post("/api/v1/events/", body, format="json").status_code == 201
    assert (
        api.post("/api/v1/events/", body[0] | {"id": str(uuid.uuid4())}, format="json").status_code
        == 201
    )
    assert month_rows(account) == {("email_sent", "2026-04"): 3, ("email_sent", "2026-05"): 1}


def test_ledger_movements_are_counted(account):
    credit_services.credit_grant(
        actor=Actor.integration("Web shop"),
        account=account,
        amount="50",
        credit_type="currency",
        currency="SEK",
    )
    credit_services.apply_credits(
        account=account, amount="20", credit_type="currency", currency="SEK", transaction_id="T1"
    )
    assert {key[0] for key in month_rows(account)} == {"credit_granted", "credit_consumed"}
    assert count_problems() == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_of_one_account_count_every_event(account):
    """Two batches counting into the same rows at the same moment: both commit (the rows are
    locked in one order), and every event is counted once."""

    def batch(minute: int):
        def work():
            with transaction.atomic():
                activity_record_bulk(
                    events=[
                        {
                            "account": account,
                            "type": type_code,
                            "data": SAMPLE_DATA[type_code],
                            "occurred_at": local(2026, month, 2, 8, minute),
                        }
                        for month in (3, 4, 5)
                        for type_code in ("comment_added", "email_sent")
                    ]
                )

        return work

    run_together([batch(minute) for minute in range(4)])
    assert sum(month_rows(account).values()) == ActivityEvent.objects.count() == 24
    assert count_problems() == []


# --- Checked, rebuilt, filled -------------------------------------------------------------------


def test_verify_timeline_passes_when_the_counts_agree(account, add_event):
    add_event(at=local(2026, 6, 1))
    out = io.StringIO()
    call_command("verify_timeline", stdout=out)
    assert "Timeline verified: 1 month counts agree with the events." in out.getvalue()


def test_verify_timeline_names_each_count_that_disagrees_and_fails(account, add_event):
    add_event(at=local(2026, 6, 1))
    EventMonthCount.objects.filter(account=account).update(count=3)
    # An event stored past the services (as a bulk load would): not counted.
    ActivityEvent.objects.bulk_create(
        [
            ActivityEvent(
                account=account,
                type="comment_added",
                occurred_at=local(2026, 5, 2),
                actor_kind="system",
                origin="system",
            )
        ]
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match="2 timeline month counts disagree"):
        call_command("verify_timeline", stdout=out)
    assert out.getvalue().splitlines() == [
        f"Month count of account {account.pk}, comment_added by system, 2026-05: kept 0, "
        "the events count 1",
        f"Month count of account {account.pk}, email_sent by system, 2026-06: kept 3, "
        "the events count 1",
    ]


def test_verify_timeline_rebuilds_the_counts_from_the_events(account, add_event):
    add_event(at=local(2026, 6, 1))
    EventMonthCount.objects.all().delete()
    out = io.StringIO()
    call_command("verify_timeline", "--rebuild", stdout=out)
    assert "rebuilt from the events: 1 rows" in out.getvalue()
    expected = {(account.pk, "email_sent", "system", dt.date(2026, 6, 1)): 1}
    assert stored() == recomputed() == expected


def test_the_migration_counts_the_events_stored_before_it(account):
    ActivityEvent.objects.bulk_create(
        [
            ActivityEvent(
                account=account,
                type="comment_added",
                occurred_at=dt.datetime(2025, month, 28, 23, 30, tzinfo=dt.UTC),
                actor_kind="system",
                origin="system",
            )
            for month in (1, 1, 2, 12)
        ]
    )
    MIGRATION.count_existing_events(apps, SimpleNamespace(connection=connection))
    assert month_rows(account) == {
        ("comment_added", "2025-01"): 2,
        ("comment_added", "2025-02"): 1,
        ("comment_added", "2025-12"): 1,
    }
    assert count_problems() == []


def test_purge_retention_leaves_every_event_and_count(account, add_event):
    for day in (1, 2):
        add_event(at=local(2024, 6, day))
    call_command("purge_retention", stdout=io.StringIO())
    assert ActivityEvent.objects.count() == 2
    assert count_problems() == []


def test_a_rebuild_keeps_nothing_but_the_events_counts(account, add_event):
    add_event(at=local(2026, 6, 1))
    EventMonthCount.objects.create(
        account=account, type="email_sent", actor_kind="system", month=dt.date(2020, 1, 1), count=9
    )
    assert counts_rebuild() == 1
    assert count_problems() == []
