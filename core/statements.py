"""SQL of writes that go together: a row of counters added to (made when missing), and several
writes of one transaction sent as the parts of one statement (where `core.citus.writes_combine`
says the database plans it): the ledger's entry with its totals and timeline event, an event
with its month count."""

from collections.abc import Sequence
from typing import Any

from django.db import connection


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
