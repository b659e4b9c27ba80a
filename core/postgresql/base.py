"""Django's PostgreSQL backend, with two changes to `flush` (which the test suite runs after
every transactional test): it may empty the tables whose triggers refuse TRUNCATE
(core.triggers) — everything else (the application, psql, a `TRUNCATE ... CASCADE`) still meets
the triggers — and on one PostgreSQL it truncates only the tables that hold rows, with those
whose foreign keys point at them (core/management/commands/flush.py says why)."""

from collections.abc import Iterable
from typing import Any, cast

import pgtrigger
from django.db.backends.postgresql import base, operations

from core.citus import is_coordinator


def _truncate_triggers() -> list[str]:
    """The identifiers pgtrigger's ignore list takes for every no_truncate trigger."""
    names = []
    for model, trigger in pgtrigger.registered():
        if trigger.name == "no_truncate":
            pgid = trigger.get_pgid(model)
            names += [pgid, f"{model._meta.db_table}:{pgid}"]
    return names


# What pgtrigger.ignore() puts before each statement (pgtrigger.runtime), and what it becomes
# on Citus: a SET LOCAL, which Citus passes on to the workers (citus.propagate_set_commands),
# where the shards' own triggers check it. A set_config() stays on the coordinator.
PGTRIGGER_IGNORE = "SELECT set_config('pgtrigger.ignore', %s, true); "


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class CitusCursor(base.Cursor):  # type: ignore[name-defined]
    """The cursor on a Citus coordinator: pgtrigger's set_config() becomes a SET LOCAL."""

    def execute(self, query: Any, params: Any = None, *args: Any, **kwargs: Any) -> Any:
        if isinstance(query, str) and query.startswith(PGTRIGGER_IGNORE) and params:
            # Two statements: Citus runs a string of several in one go on the coordinator.
            super().execute(f"SET LOCAL pgtrigger.ignore = {_literal(params[0])}")
            query, params = query[len(PGTRIGGER_IGNORE) :], list(params[1:]) or None
        return super().execute(query, params, *args, **kwargs)


def post_migrate_tables() -> list[str]:
    """The tables that every `migrate` (and a flush) ends by filling: content types,
    permissions and the role groups with their permissions (config.roles)."""
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    models: list[Any] = [ContentType, Permission, Group, Group.permissions.through]
    return [model._meta.db_table for model in models]


def _referencing(tables: set[str], among: Iterable[str], cursor: Any) -> set[str]:
    """`tables` and every one of `among` whose foreign keys point at them, directly or not
    (TRUNCATE refuses a table that another, not truncated with it, references)."""
    among = set(among)
    cursor.execute(
        "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint"
        " WHERE contype = 'f'"
    )
    pointing: dict[str, set[str]] = {}
    for table, target in cursor.fetchall():
        if table in among and target in among:
            pointing.setdefault(target, set()).add(table)
    found, todo = set(tables), list(tables)
    while todo:
        for table in pointing.get(todo.pop(), ()):
            if table not in found:
                found.add(table)
                todo.append(table)
    return found


class DatabaseOperations(operations.DatabaseOperations):
    @property
    def wrapper(self) -> "DatabaseWrapper":
        return cast(DatabaseWrapper, self.connection)

    def post_migrate_state(self) -> str:
        """A digest of every row of the tables post_migrate fills."""
        parts = " || ".join(
            f"(SELECT coalesce(string_agg(t::text, ',' ORDER BY t::text), '')"
            f" FROM {self.quote_name(table)} t)"
            for table in post_migrate_tables()
        )
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT md5({parts})")
            return cursor.fetchone()[0]

    def _tables_to_empty(self, tables: list[str]) -> list[str]:
        """Those of `tables` that hold a row, and those whose foreign keys point at them; the
        tables post_migrate fills stay when the flush command keeps them (`flush_keeps`) and
        nothing that empties points at them (else `flush_kept` turns false)."""
        quote = self.quote_name
        with self.connection.cursor() as cursor:
            cursor.execute(
                " UNION ALL ".join(
                    f"SELECT %s WHERE EXISTS (SELECT FROM {quote(table)})" for table in tables
                ),
                tables,
            )
            holding = {table for (table,) in cursor.fetchall()}
            kept = set(post_migrate_tables()) if self.wrapper.flush_keeps else set()
            emptied = _referencing(holding - kept, tables, cursor)
        if emptied & kept:
            emptied |= kept & set(tables)
            self.wrapper.flush_kept = False
        return [table for table in tables if table in emptied]

    def sql_flush(self, style: Any, tables: Any, **kwargs: Any) -> list[str]:
        citus = self.wrapper.citus
        if tables and not citus and not kwargs.get("reset_sequences"):
            tables = self._tables_to_empty(list(tables))
        else:
            # Every table (RESTART IDENTITY resets the sequences of those a test emptied itself).
            self.wrapper.flush_kept = False
        statements = super().sql_flush(style, tables, **kwargs)
        names = _truncate_triggers()
        if not statements or not names:
            return statements
        ignored = ",".join(names)
        if not citus:
            # Local to the flush's transaction: the triggers let these TRUNCATEs through.
            return [f"SELECT set_config('pgtrigger.ignore', '{{{ignored}}}', true)", *statements]
        # On Citus the shards' triggers check the setting on their workers, which receive a
        # SET LOCAL; the shards are emptied one after another (in parallel, a shard and one
        # whose foreign key points at it wait for each other).
        return [
            "SET LOCAL citus.multi_shard_modify_mode = 'sequential'",
            f"SET LOCAL pgtrigger.ignore = '{{{ignored}}}'",
            *statements,
        ]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
    ops: DatabaseOperations
    # Whether the database is a Citus coordinator (found when the connection opens).
    citus = False
    # Set by the flush command (core/management/commands/flush.py) for one flush.
    flush_keeps = False
    flush_kept = False
    # What post_migrate left after the last flush (post_migrate_state), or None.
    flushed_state: str | None = None

    def init_connection_state(self) -> None:
        super().init_connection_state()
        self.citus = is_coordinator(self)
        if self.citus:
            with self.cursor() as cursor:
                cursor.execute("SET citus.propagate_set_commands = 'local'")
                # A transaction that writes to several shards does so over one connection per
                # worker: it may then write to a reference table too (an erasure writes the
                # account's events and its subscriptions; parallel writes would forbid that).
                cursor.execute("SET citus.multi_shard_modify_mode = 'sequential'")
            self.connection.cursor_factory = CitusCursor
