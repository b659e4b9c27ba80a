"""Django's PostgreSQL backend, with one change: `flush` (which the test suite runs between
transactional tests) may empty the tables whose triggers refuse TRUNCATE (core.triggers).
Everything else — the application, psql, a `TRUNCATE ... CASCADE` — still meets the triggers."""

from typing import Any

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


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style: Any, tables: Any, **kwargs: Any) -> list[str]:
        statements = super().sql_flush(style, tables, **kwargs)
        names = _truncate_triggers()
        if not statements or not names:
            return statements
        ignored = ",".join(names)
        if not getattr(self.connection, "citus", False):
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
    # Whether the database is a Citus coordinator (found when the connection opens).
    citus = False

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
