"""The timeline's events partitioned by UTC month (core.partitions): each month's rows in a
partition of their own, a default partition for a month without one, `maintain_partitions`
moving those rows out, date filters that read only their months, retention that drops whole
months, and a migration that turns a plain table with rows into a partitioned one and back."""

import datetime as dt
import re

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.utils import InternalError, ProgrammingError
from django.utils import timezone

from activity.filters import ActivityFilter
from activity.models import ActivityEvent, EventMonthCount
from activity.selectors import events_for_account, search_events
from activity.services import activity_record
from core import partitions

pytestmark = pytest.mark.django_db

TABLE = ActivityEvent._meta.db_table
SPEC = partitions.Partitioned("activity.ActivityEvent", "occurred_at")


def partition_of(event: ActivityEvent) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {TABLE} WHERE id = %s", [event.pk])
        name = cursor.fetchone()[0]
    # On a Citus coordinator, the shard's table: the partition's name and the shard's number.
    return re.sub(r"_[0-9]{5,}$", "", name)


def record(account, at: dt.datetime, text: str = "Called.") -> ActivityEvent:
    return activity_record(
        account=account, type="comment_added", occurred_at=at, data={"comment": text}
    )


def utc(year, month, day=15) -> dt.datetime:
    return dt.datetime(year, month, day, 12, tzinfo=dt.UTC)


def test_the_timeline_has_a_partition_for_this_month_and_the_months_ahead(settings):
    assert partitions.is_partitioned(connection, TABLE)
    this_month = partitions.month_of(timezone.now())
    ahead = partitions.months_between(this_month, this_month + dt.timedelta(days=31 * 3))
    assert set(ahead[: settings.PARTITION_MONTHS_AHEAD + 1]) <= set(
        partitions.months(connection, SPEC)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype = 'p'",
            [TABLE],
        )
        assert "occurred_at" in cursor.fetchone()[0]


def test_an_event_of_this_month_is_stored_in_its_partition(account):
    event = record(account, timezone.now())
    assert partition_of(event) == SPEC.name(partitions.month_of(event.occurred_at))


def test_a_month_without_a_partition_waits_in_the_default_one_until_maintenance(account):
    old = record(account, utc(2019, 3), "An old call.")
    kept = record(account, utc(2019, 3, 31), "Another.")
    assert partition_of(old) == SPEC.default

    call_command("maintain_partitions", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert partition_of(old) == partition_of(kept) == SPEC.name(dt.date(2019, 3, 1))
    stored = ActivityEvent.objects.get(pk=old.pk)
    assert (stored.data, stored.occurred_at) == ({"comment": "An old call."}, old.occurred_at)
    assert list(events_for_account(account).values_list("pk", flat=True)) == [kept.pk, old.pk]
    # The stored folded text moved with the rows and is computed for new ones.
    assert set(search_events(events_for_account(account), "old call")) == {old}
    # The moved rows' new partition refuses rewrites as every other does.
    with pytest.raises((ProgrammingError, InternalError)), transaction.atomic():
        ActivityEvent.objects.filter(pk=old.pk).update(type="email_sent")
    # Run again: nothing left to move, nothing made.
    assert partitions.maintain() == []


def test_a_date_filter_reads_only_the_months_it_covers(account):
    for month in (1, 2, 3, 4):
        record(account, utc(2020, month))
    partitions.ensure(SPEC, [dt.date(2020, m, 1) for m in (1, 2, 3, 4)])
    events = ActivityFilter(
        {"date_from": "2020-02-10", "date_to": "2020-02-20"},
        queryset=events_for_account(account),
    ).qs
    with connection.cursor() as cursor:
        sql, params = events.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row for (row,) in cursor.fetchall())
    assert SPEC.name(dt.date(2020, 2, 1)) in plan
    for other in (1, 3, 4):
        assert SPEC.name(dt.date(2020, other, 1)) not in plan
    assert SPEC.default not in plan
    assert [e.occurred_at for e in events] == [utc(2020, 2)]


# Committed first, as in use: a worker of a Citus cluster drops no table that this transaction
# wrote to with its foreign keys' checks still deferred.
@pytest.mark.django_db(transaction=True)
def test_retention_drops_whole_months_and_their_counts(account, settings, capsys):
    settings.TIMELINE_RETENTION_MONTHS = 12
    now = timezone.now()
    recent = record(account, now)
    old = record(account, now - dt.timedelta(days=500))
    older = record(account, utc(2015, 6))  # in the default partition
    call_command("maintain_partitions")
    record(account, utc(2015, 7))  # caught by the default partition again
    old_month = partitions.month_of(old.occurred_at)

    call_command("purge_retention")

    assert "dropped" in capsys.readouterr().out
    assert list(ActivityEvent.objects.values_list("pk", flat=True)) == [recent.pk]
    assert old_month not in partitions.months(connection, SPEC)
    assert not EventMonthCount.objects.filter(month__lt=partitions.month_of(now)).exists()
    assert not ActivityEvent.objects.filter(pk=older.pk).exists()
    call_command("verify_timeline")  # the counts that remain agree with the events


def test_retention_keeps_every_month_by_default(account, capsys):
    old = record(account, utc(2016, 1))
    call_command("maintain_partitions")
    call_command("purge_retention")
    assert ActivityEvent.objects.filter(pk=old.pk).exists()
    assert "dropped" not in capsys.readouterr().out


@pytest.mark.single_node("a distributed table is not migrated back to a plain one")
@pytest.mark.django_db(transaction=True)
def test_the_migration_partitions_a_table_that_holds_rows_and_back(account):
    events = [record(account, utc(2025, 10)), record(account, timezone.now())]
    executor = MigrationExecutor(connection)
    executor.migrate([("activity", "0006_event_month_counts")])
    try:
        assert not partitions.is_partitioned(connection, TABLE)
        assert set(ActivityEvent.objects.values_list("pk", flat=True)) == {e.pk for e in events}
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    assert partitions.is_partitioned(connection, TABLE)
    assert partition_of(events[0]) == SPEC.name(dt.date(2025, 10, 1))
    assert set(ActivityEvent.objects.values_list("pk", flat=True)) == {e.pk for e in events}
    # The search's stored text is computed for the rows moved back and for new ones.
    later = record(account, timezone.now(), "Asked for a refund.")
    assert set(search_events(events_for_account(account), "called")) == set(events)
    assert set(search_events(events_for_account(account), "REFUND")) == {later}
    with pytest.raises((ProgrammingError, InternalError)), transaction.atomic():
        ActivityEvent.objects.filter(pk=events[0].pk).delete()
