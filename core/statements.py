"""SQL of writes that go together: a row of counters added to (made when missing), and several
writes of one transaction sent as the parts of one statement (where `core.citus.writes_combine`
says the database plans it): the ledger's entry with its totals and timeline event, an event
with its month count; many new rows of one model streamed by COPY; and the locking reads of a
write compiled once (`Prepared`)."""

import datetime as dt
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models


def adding(table: str, key: Sequence[str], sums: Sequence[str]) -> str:
    """The end of an INSERT into `table` whose row named by `key` may exist already: then
    `sums` are added to its columns instead."""
    quoted = connection.ops.quote_name(table)
    added = ", ".join(f"{column} = {quoted}.{column} + EXCLUDED.{column}" for column in sums)
    return f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {added}"


def together(
    parts: Sequence[tuple[str, str, Sequence[Any]]], *, answer: str | None = None
) -> tuple[str, list[Any]]:
    """Writes given as (name, SQL, parameters), as one WITH statement and its parameters. The
    statement answers with the rows of the part named `answer` (its RETURNING), or with one row
    of 1. A later part may read an earlier one by its name (the order in which PostgreSQL runs
    unrelated parts is not set)."""
    names = ", ".join(f"{name} AS ({sql})" for name, sql, _params in parts)
    params = [value for _name, _sql, values in parts for value in values]
    return f"WITH {names} SELECT {f'* FROM {answer}' if answer else '1'}", params


# The values PostgreSQL takes as Django would send them: Django's preparation of a field's value
# returns these unchanged there, so `copy_in` skips it for them (and prepares everything else).
_AS_IS = frozenset({str, int, bool, uuid.UUID, type(None)})


def copy_in(objs: Sequence[models.Model], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Insert new model instances of one model whose primary keys are set (UUIDs made in
    Python), as `bulk_create` would: on PostgreSQL by COPY, one stream of rows instead of an
    INSERT whose thousands of parameters are bound into its text; elsewhere by `bulk_create`.
    A database error (a key already stored) is raised as Django's (IntegrityError), and the
    instances are then marked as saved."""
    if not objs:
        return
    model = type(objs[0])
    if any(obj.pk is None for obj in objs):
        raise ValueError("copy_in writes instances whose primary key is set.")
    connection = connections[using]
    if connection.vendor != "postgresql":
        model._default_manager.using(using).bulk_create(objs)
        return
    meta = model._meta
    fields = [f for f in meta.local_concrete_fields if not f.generated]
    # Fields that fill themselves in as they are saved (auto_now): Django's pre_save, as
    # bulk_create calls it; every other field's pre_save is its attribute.
    filled = [
        f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(meta.db_table)
    sql = f"COPY {table} ({columns}) FROM STDIN"
    start = time.monotonic()
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(sql) as copy,
    ):
        for obj in objs:
            for field in filled:
                field.pre_save(obj, add=True)
            row = []
            for field in fields:
                value = getattr(obj, field.attname)
                if type(value) not in _AS_IS and not _aware(value):
                    value = field.get_db_prep_save(value, connection)
                row.append(value)
            copy.write_row(row)
    if connection.queries_logged:
        # Counted as Django counts its own queries (DEBUG, query budgets in tests).
        elapsed = time.monotonic() - start
        connection.queries_log.append(
            {"sql": f"{sql} ({len(objs)} rows)", "time": f"{elapsed:.3f}"}
        )
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using


def _aware(value: object) -> bool:
    return type(value) is dt.datetime and value.utcoffset() is not None


class Prepared:
    """A query whose SQL Django compiles once per database, on its first use, and which then
    runs with other values in the places of its sentinels: for the locking reads of the
    ledger's writes, whose shape never changes and whose compiling by the ORM cost more than
    running them. `build(**sentinels)` makes the queryset; each sentinel must become exactly
    one of the compiled query's parameters, and a call gives every one of them its value."""

    def __init__(self, build: Callable[..., models.QuerySet], **sentinels: object):
        self.build = build
        self.sentinels = sentinels
        self._compiled: dict[tuple[str, str], tuple[type[models.Model], str, list, dict]] = {}

    def __call__(self, *, using: str = DEFAULT_DB_ALIAS, **values: object) -> list[Any]:
        key = (using, connections[using].vendor)
        if key not in self._compiled:
            queryset = self.build(**self.sentinels)
            sql, params = queryset.query.get_compiler(using).as_sql()
            places = {
                name: [n for n, param in enumerate(params) if param == sentinel]
                for name, sentinel in self.sentinels.items()
            }
            if any(len(found) != 1 for found in places.values()):
                raise ValueError(f"Each sentinel must be one parameter: {places}")
            self._compiled[key] = (queryset.model, sql, list(params), places)
        model, sql, params, places = self._compiled[key]
        filled = list(params)
        for name, (place,) in places.items():
            filled[place] = values[name]
        return list(model._default_manager.db_manager(using).raw(sql, filled))
