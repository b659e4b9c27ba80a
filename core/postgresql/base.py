"""Django's PostgreSQL backend, with one change: `flush` (which the test suite runs between
transactional tests) may empty the tables whose triggers refuse TRUNCATE (core.triggers).
Everything else — the application, psql, a `TRUNCATE ... CASCADE` — still meets the triggers."""

from typing import Any

import pgtrigger
from django.db.backends.postgresql import base, operations


def _truncate_triggers() -> list[str]:
    """The identifiers pgtrigger's ignore list takes for every no_truncate trigger."""
    names = []
    for model, trigger in pgtrigger.registered():
        if trigger.name == "no_truncate":
            pgid = trigger.get_pgid(model)
            names += [pgid, f"{model._meta.db_table}:{pgid}"]
    return names


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style: Any, tables: Any, **kwargs: Any) -> list[str]:
        statements = super().sql_flush(style, tables, **kwargs)
        ignored = ",".join(_truncate_triggers())
        if statements and ignored:
            # Local to the flush's transaction: the triggers let these TRUNCATEs through.
            statements.insert(0, f"SELECT set_config('pgtrigger.ignore', '{{{ignored}}}', true)")
        return statements


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
