"""Monthly partitions of the tables that grow with time (settings TIME_PARTITIONS: the model
and the column whose UTC month picks a row's partition), on PostgreSQL and on Citus alike;
SQLite keeps plain tables.

Each table is a parent partitioned by range of its column, with one partition per UTC month
(`<table>_p2026_12`) and a default partition (`<table>_default`) that takes a row of a month
without one, so that no insert ever fails for want of a partition. `maintain` (after every
`migrate`, and daily with `manage.py maintain_partitions`) makes the months ahead and moves the
rows the default partition caught into partitions of their own months; `drop_before` drops
whole months (retention: a partition is dropped, its rows are not deleted one by one).

A query with a range of the column (Recent Activity's date filters) reads only the months it
covers; one without reads every partition's index, newest rows first.

The primary key of a partitioned table includes the column (`id, occurred_at`): the column is
part of every unique key. The rows' triggers (append-only) are cloned onto every partition; a
statement's (no TRUNCATE) stays on the parent. On a Citus coordinator the parent is distributed
by account (core.citus) and each new partition with it.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import pgtrigger
from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.dispatch import Signal
from django.utils import timezone

# Sent after `drop_before` dropped months of a model's table: sender the model, `months` the
# first days of the dropped months, `using` the database. What keeps counts by month (the
# timeline's month counts) removes those months' rows.
months_dropped = Signal()


@dataclass(frozen=True)
class Partitioned:
    label: str
    column: str

    @property
    def model(self):
        return apps.get_model(self.label)

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def default(self) -> str:
        return f"{self.table}_default"

    def name(self, month: dt.date) -> str:
        return f"{self.table}_p{month:%Y_%m}"


def configured() -> list[Partitioned]:
    return [Partitioned(label, column) for label, column in settings.TIME_PARTITIONS.items()]


def month_of(instant: dt.datetime | dt.date) -> dt.date:
    """The first day of the UTC month of `instant`."""
    if isinstance(instant, dt.datetime):
        instant = instant.astimezone(dt.UTC).date()
    return instant.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every month from `first`'s to `last`'s, both included."""
    months, month, last = [], month_of(first), month_of(last)
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


def _bound(month: dt.date) -> str:
    return f"'{month:%Y-%m-%d} 00:00:00+00'"


def supported(connection: BaseDatabaseWrapper) -> bool:
    return connection.vendor == "postgresql"


def is_partitioned(connection: BaseDatabaseWrapper, table: str) -> bool:
    if not supported(connection):
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [table]
        )
        return cursor.fetchone() is not None


def months(connection: BaseDatabaseWrapper, spec: Partitioned) -> list[dt.date]:
    """The months that have a partition of their own, oldest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = %s::regclass
            """,
            [spec.table],
        )
        names = [name for (name,) in cursor.fetchall()]
    prefix = f"{spec.table}_p"
    found = []
    for name in names:
        if name.startswith(prefix):
            year, month = name[len(prefix) :].split("_")
            found.append(dt.date(int(year), int(month), 1))
    return sorted(found)


# --- Making a plain table partitioned (a migration) --------------------------------------------


def partition_table(schema_editor, label: str, column: str) -> None:
    """Turn the plain table of `label` into one partitioned by month of `column` (RunPython in a
    migration; nothing on SQLite): a new parent with the same columns, defaults, checks, keys,
    indexes and triggers, every unique key widened by `column`; a partition for each month
    that holds rows and the months ahead, and the default partition; the rows copied over.
    Foreign keys that point at the table must be gone first (a partitioned table's row is
    found by its id and month)."""
    connection = schema_editor.connection
    if supported(connection) and not is_partitioned(connection, Partitioned(label, column).table):
        _rebuild(connection, Partitioned(label, column), partition=True)


def unpartition_table(schema_editor, label: str, column: str) -> None:
    """The reverse of `partition_table`: a plain table again, its unique keys without
    `column`, the rows copied over."""
    connection = schema_editor.connection
    if supported(connection) and is_partitioned(connection, Partitioned(label, column).table):
        _rebuild(connection, Partitioned(label, column), partition=False)


def _rebuild(connection: BaseDatabaseWrapper, spec: Partitioned, *, partition: bool) -> None:
    table, column = spec.table, spec.column
    old = f"{table}_rebuilt"
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT conname, contype, pg_get_constraintdef(oid),
                   ARRAY(SELECT a.attname FROM unnest(conkey) WITH ORDINALITY k(n, i)
                         JOIN pg_attribute a ON a.attrelid = conrelid AND a.attnum = k.n
                         ORDER BY k.i)
            FROM pg_constraint WHERE conrelid = %s::regclass AND contype IN ('p', 'f', 'u')
            """,
            [table],
        )
        keys = cursor.fetchall()
        cursor.execute(
            """
            SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
            WHERE i.indrelid = %s::regclass
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            """,
            [table],
        )
        # Read before the rename, they name the table as it will be again; a partitioned
        # table's say ON ONLY (its partitions' indexes are attached one by one).
        indexes = [d.replace(" ON ONLY ", " ON ") for (d,) in cursor.fetchall()]
        cursor.execute(
            "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = %s::regclass"
            " AND NOT tgisinternal",
            [table],
        )
        trigger_defs = [definition for (definition,) in cursor.fetchall()]
        cursor.execute(f'SELECT min("{column}"), max("{column}") FROM "{table}"')  # noqa: S608
        first, last = cursor.fetchone()

        cursor.execute(f'ALTER TABLE "{table}" RENAME TO "{old}"')
        by_range = f' PARTITION BY RANGE ("{column}")' if partition else ""
        cursor.execute(
            f'CREATE TABLE "{table}" (LIKE "{old}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS'
            f" INCLUDING IDENTITY INCLUDING STORAGE INCLUDING GENERATED){by_range}"
        )
        if partition:
            now = month_of(timezone.now())
            wanted = set(months_between(now, _ahead(now)))
            if first is not None:
                wanted |= set(months_between(first, last))
            for month in sorted(wanted):
                _create(cursor, spec, month)
            cursor.execute(f'CREATE TABLE "{spec.default}" PARTITION OF "{table}" DEFAULT')
        written = _written_columns(cursor, table)
        cursor.execute(f'INSERT INTO "{table}" ({written}) SELECT {written} FROM "{old}"')  # noqa: S608
        cursor.execute(
            "SELECT a.attname, pg_get_serial_sequence(%s, a.attname) FROM pg_attribute a"
            " WHERE a.attrelid = %s::regclass AND a.attidentity <> ''",
            [table, table],
        )
        for identity, sequence in cursor.fetchall():
            # The new table's identity starts where the old one's had come to.
            cursor.execute(
                f'SELECT setval(%s, coalesce((SELECT max("{identity}") FROM "{table}"), 0) + 1,'  # noqa: S608
                " false)",
                [sequence],
            )
        cursor.execute(f'DROP TABLE "{old}"')  # with its partitions, when it had them
        for name, kind, definition, columns in keys:
            if kind in ("p", "u"):
                # Every unique key of a partitioned table includes the partition column.
                kept = [c for c in columns if c != column]
                cols = ", ".join(f'"{c}"' for c in [*kept, *([column] if partition else [])])
                word = "PRIMARY KEY" if kind == "p" else "UNIQUE"
                cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {word} ({cols})')
            else:
                cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        for definition in indexes + trigger_defs:
            cursor.execute(definition)
        # The planner's statistics of the new table, before the first query plans with none.
        cursor.execute(f'ANALYZE "{table}"')


def _written_columns(cursor, table: str) -> str:
    """The columns of `table` that an INSERT writes, quoted and in order: all but the stored
    generated ones (such as the timeline's folded search text), which PostgreSQL computes."""
    cursor.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0"
        " AND NOT attisdropped AND attgenerated = '' ORDER BY attnum",
        [table],
    )
    return ", ".join(f'"{name}"' for (name,) in cursor.fetchall())


def _ahead(month: dt.date) -> dt.date:
    for _ in range(settings.PARTITION_MONTHS_AHEAD):
        month = next_month(month)
    return month


def _create(cursor, spec: Partitioned, month: dt.date) -> None:
    cursor.execute(
        f'CREATE TABLE IF NOT EXISTS "{spec.name(month)}" PARTITION OF "{spec.table}"'
        f" FOR VALUES FROM ({_bound(month)}) TO ({_bound(next_month(month))})"
    )


# --- Keeping them ------------------------------------------------------------------------------


def ensure(
    spec: Partitioned, wanted: Iterable[dt.date], using: str = DEFAULT_DB_ALIAS
) -> list[str]:
    """Give each month of `wanted` a partition of its own, in one transaction; the partitions
    made. Rows of those months that the default partition holds move into them: the default
    partition is detached meanwhile (for that moment, inserts of a month without a partition
    wait), once for all the months, since attaching it again reads all of it."""
    connection = connections[using]
    todo = sorted({month_of(m) for m in wanted} - set(months(connection, spec)))
    if not todo:
        return []
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute(f'SELECT 1 FROM "{spec.default}" LIMIT 1')  # noqa: S608
        if cursor.fetchone() is None:
            for month in todo:
                _create(cursor, spec, month)
        else:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # as drop_before's
            cursor.execute(f'ALTER TABLE "{spec.table}" DETACH PARTITION "{spec.default}"')
            for month in todo:
                _create(cursor, spec, month)
                start, end = _bound(month), _bound(next_month(month))
                where = f'WHERE "{spec.column}" >= {start} AND "{spec.column}" < {end}'
                written = _written_columns(cursor, spec.table)
                cursor.execute(
                    f'INSERT INTO "{spec.table}" ({written})'  # noqa: S608
                    f' SELECT {written} FROM "{spec.default}" {where}'
                )
                # The rows are kept, in their month's partition: past the append-only trigger.
                with pgtrigger.ignore(f"{spec.label}:append_only"):
                    cursor.execute(f'DELETE FROM "{spec.default}" {where}')  # noqa: S608
            cursor.execute(f'ALTER TABLE "{spec.table}" ATTACH PARTITION "{spec.default}" DEFAULT')
    return [spec.name(month) for month in todo]


def maintain(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Every partitioned table: partitions for this month and PARTITION_MONTHS_AHEAD months
    ahead, and for every month the default partition holds rows of (which move there). The
    partitions made; nothing on SQLite or before the tables are partitioned."""
    connection = connections[using]
    made: list[str] = []
    for spec in configured():
        if not is_partitioned(connection, spec.table):
            continue
        now = month_of(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT DISTINCT date_trunc('month', "{spec.column}" AT TIME ZONE 'UTC')::date
                FROM "{spec.default}" """  # noqa: S608
            )
            caught = [month for (month,) in cursor.fetchall()]
        made += ensure(spec, [*months_between(now, _ahead(now)), *caught], using)
    return made


def drop_before(spec: Partitioned, month: dt.date, using: str = DEFAULT_DB_ALIAS) -> list[dt.date]:
    """Drop the partitions of the months before `month` (and delete the default partition's
    rows of those months); the months dropped. Sends `months_dropped`."""
    connection = connections[using]
    if not is_partitioned(connection, spec.table):
        return []
    month = month_of(month)
    dropped = [m for m in months(connection, spec) if m < month]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        # A table with checks still deferred in this transaction cannot be dropped: run them.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            f"""SELECT DISTINCT date_trunc('month', "{spec.column}" AT TIME ZONE 'UTC')::date
            FROM "{spec.default}" WHERE "{spec.column}" < {_bound(month)}"""  # noqa: S608
        )
        caught = [m for (m,) in cursor.fetchall()]
        for old in dropped:
            cursor.execute(f'DROP TABLE "{spec.name(old)}"')
        if caught:
            with pgtrigger.ignore(f"{spec.label}:append_only"):
                cursor.execute(
                    f'DELETE FROM "{spec.default}"'  # noqa: S608
                    f' WHERE "{spec.column}" < {_bound(month)}'
                )
        gone = sorted(set(dropped) | set(caught))
        if gone:
            months_dropped.send(sender=spec.model, months=gone, using=using)
    return gone
