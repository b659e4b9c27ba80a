"""The schema on a Citus cluster: after every `migrate` against a coordinator, the per-account
tables are distributed by account and co-located, the tables they join to are copied to every
node (reference tables), and the rest stay on the coordinator. On plain PostgreSQL and SQLite
nothing happens.

What Citus asks of a distributed table, done here before it is distributed:
- its primary key includes the account: (account_id, id) instead of (id); every unique key
  already does (the models declare them so);
- a foreign key to another distributed table includes the account on both sides, so that both
  rows are on the same node: (account_id, wallet_id) -> wallet (account_id, id);
- no foreign key between it and a table on the coordinator alone (Citus cannot check one across
  nodes): those are dropped, and the services keep them (they write both rows together).

Which tables are which is the project's configuration (settings CITUS_DISTRIBUTED and
CITUS_REFERENCE, in dependency order). Distributing is idempotent: a table already distributed
is left alone, so the step runs after every `migrate`.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper

ACCOUNT = "account_id"

# pgtrigger's check of its ignore list (pgtrigger.ignore()), made to know a shard's trigger by
# the name of the table's: Citus names a shard's copy of a trigger after it, with the shard's
# ID added ("pgtrigger_append_only_1a262_102078"). Installed on every node.
SHOULD_IGNORE = """
CREATE OR REPLACE FUNCTION public._pgtrigger_should_ignore(trigger_name NAME)
RETURNS BOOLEAN AS $fn$
DECLARE
    _pgtrigger_ignore TEXT[];
BEGIN
    BEGIN
        SELECT INTO _pgtrigger_ignore CURRENT_SETTING('pgtrigger.ignore');
    EXCEPTION WHEN OTHERS THEN
    END;
    IF _pgtrigger_ignore IS NULL THEN
        RETURN FALSE;
    END IF;
    RETURN trigger_name = ANY(_pgtrigger_ignore)
        OR regexp_replace(trigger_name, '_[0-9]+$', '') = ANY(_pgtrigger_ignore);
END;
$fn$ LANGUAGE plpgsql
"""


@dataclass(frozen=True)
class ForeignKey:
    name: str
    table: str
    columns: tuple[str, ...]
    target: str
    target_columns: tuple[str, ...]


def is_coordinator(connection: BaseDatabaseWrapper) -> bool:
    """Whether `connection` is to a database with the Citus extension (a coordinator)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
        return cursor.fetchone() is not None


def active(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the database `using` is a Citus coordinator, as its backend found when it
    connected (core.postgresql asks `is_coordinator` once per connection): what a query adds
    only there (e.g. the account of a join between distributed tables, which Citus needs and
    an index-only plan on one PostgreSQL would not want)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    connection.ensure_connection()
    return bool(getattr(connection, "citus", False))


def writes_combine(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether writes to several tables may be the parts of one WITH statement (one round trip;
    `core.statements.together`): on PostgreSQL, but not on a Citus coordinator, which does not
    plan a WITH that writes to a distributed and a local table, nor on SQLite."""
    return connections[using].vendor == "postgresql" and not active(using)


def _table(label: str) -> str:
    return apps.get_model(label)._meta.db_table


def _citus_tables(cursor) -> dict[str, str]:
    """table -> 'distributed', 'reference' or 'local' (a coordinator's table Citus tracks,
    as it does every table with a foreign key to a reference table)."""
    cursor.execute("SELECT table_name::text, citus_table_type FROM citus_tables")
    return dict(cursor.fetchall())


def _foreign_keys(cursor, tables: Iterable[str]) -> list[ForeignKey]:
    """The foreign keys from or to any of `tables`."""
    cursor.execute(
        """
        SELECT c.conname, c.conrelid::regclass::text, c.confrelid::regclass::text,
               ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
                     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n
                     ORDER BY k.i),
               ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
                     JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n
                     ORDER BY k.i)
        FROM pg_constraint c
        WHERE c.contype = 'f'
          AND (c.conrelid::regclass::text = ANY(%s) OR c.confrelid::regclass::text = ANY(%s))
        """,
        [list(tables), list(tables)],
    )
    return [
        ForeignKey(name, table, tuple(columns), target, tuple(target_columns))
        for name, table, target, columns, target_columns in cursor.fetchall()
    ]


def _primary_key(cursor, table: str) -> tuple[str, list[str]]:
    cursor.execute(
        """
        SELECT c.conname, ARRAY(SELECT a.attname FROM unnest(c.conkey) k(n)
                                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n)
        FROM pg_constraint c WHERE c.contype = 'p' AND c.conrelid = %s::regclass
        """,
        [table],
    )
    name, columns = cursor.fetchone()
    return name, list(columns)


def distribute(connection: BaseDatabaseWrapper, *, distributed: list[str], reference: list[str]):
    """Make the coordinator's schema the cluster's (see the module's text); the tables it
    changed, as (table, what it became).

    The per-account tables are distributed first, while every table is still the
    coordinator's own: their foreign keys are dropped, their primary keys widened, and then
    each is distributed. Then the reference tables are made (Citus then tracks the
    coordinator's tables that point at them). Last, the foreign keys come back: to a reference
    table as they were, to another distributed table through the account."""
    done: list[tuple[str, str]] = []
    distributed_tables = [_table(label) for label in distributed]
    reference_tables = [_table(label) for label in reference]
    with connection.cursor() as cursor:
        held = _citus_tables(cursor)
        todo = [table for table in distributed_tables if held.get(table) != "distributed"]
        restored: list[ForeignKey] = []
        for key in _foreign_keys(cursor, todo):
            cursor.execute(f'ALTER TABLE "{key.table}" DROP CONSTRAINT "{key.name}"')
            if key.table not in distributed_tables:
                continue  # from the coordinator's own table to a distributed one: gone
            if key.target in reference_tables:
                restored.append(key)
            elif key.target in distributed_tables:
                restored.append(_through_account(key))
            # else: to the coordinator's own table, which the workers cannot see: gone
        for table in todo:
            name, columns = _primary_key(cursor, table)
            if ACCOUNT not in columns:
                # One subcommand at a time: Citus refuses several in one ALTER TABLE.
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
                cursor.execute(
                    f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}"'
                    f" PRIMARY KEY ({ACCOUNT}, {', '.join(columns)})"
                )
        anchor = distributed_tables[0]
        for table in todo:
            colocate = "default" if table == anchor else anchor
            cursor.execute(
                "SELECT create_distributed_table(%s, %s, colocate_with => %s)",
                [table, ACCOUNT, colocate],
            )
            done.append((table, "distributed"))
        for table in reference_tables:
            if held.get(table) != "reference":
                cursor.execute("SELECT create_reference_table(%s)", [table])
                done.append((table, "reference"))
        cursor.execute(SHOULD_IGNORE)
        cursor.execute("SELECT run_command_on_workers(%s)", [SHOULD_IGNORE])
        for key in restored:
            cursor.execute(
                f'ALTER TABLE "{key.table}" ADD CONSTRAINT "{key.name}"'
                f" FOREIGN KEY ({', '.join(key.columns)})"
                f' REFERENCES "{key.target}" ({", ".join(key.target_columns)})'
                " DEFERRABLE INITIALLY DEFERRED"
            )
    return done


def _through_account(key: ForeignKey) -> ForeignKey:
    """A key between two distributed tables, through the account: both rows on one node."""
    if ACCOUNT in key.columns:
        return key
    return ForeignKey(
        key.name, key.table, (ACCOUNT, *key.columns), key.target, (ACCOUNT, *key.target_columns)
    )
