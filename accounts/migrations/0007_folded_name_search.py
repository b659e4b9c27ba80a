"""Names found whatever their accents: `backoffice_fold(text)` (unaccent, then upper case) and
a pg_trgm GIN index on `backoffice_fold(name)` that serves `name__fcontains` (core.lookups),
in place of the index on UPPER(name) that served `name__icontains`. PostgreSQL only, as the
other trigram indexes (0006): SQLite matches names by case alone.

unaccent is called with its dictionary named, which makes the function safe to mark immutable
(an index may only use immutable functions)."""

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations

FOLD = """
CREATE OR REPLACE FUNCTION backoffice_fold(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT upper(public.unaccent('public.unaccent'::regdictionary, value)) $$
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FOLD)
    schema_editor.execute('DROP INDEX IF EXISTS "account_name_trgm_idx"')
    schema_editor.execute(
        'CREATE INDEX "account_name_fold_trgm_idx" ON "accounts_account" '
        'USING gin (backoffice_fold("name") gin_trgm_ops)'
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute('DROP INDEX IF EXISTS "account_name_fold_trgm_idx"')
    schema_editor.execute(
        'CREATE INDEX "account_name_trgm_idx" ON "accounts_account" '
        'USING gin (UPPER("name") gin_trgm_ops)'
    )
    schema_editor.execute("DROP FUNCTION IF EXISTS backoffice_fold(text)")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_search_indexes"),
    ]

    operations = [
        UnaccentExtension(),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
