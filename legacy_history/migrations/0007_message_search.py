"""Legacy mode's search: a GIN index on the account and the folded message (btree_gin,
pg_trgm; `backoffice_fold` from accounts 0007) that serves one account's
`message__fcontains` (core.lookups). PostgreSQL only, as the other search indexes."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # Kept when going back: the other app's search index may use it too.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    schema_editor.execute(
        'CREATE INDEX "legacy_entry_message_trgm_idx" ON "legacy_history_legacyentry" '
        'USING gin ("account_id", backoffice_fold("message") gin_trgm_ops)'
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute('DROP INDEX IF EXISTS "legacy_entry_message_trgm_idx"')


class Migration(migrations.Migration):
    dependencies = [
        ("legacy_history", "0006_migrated_event_without_constraint"),
        ("accounts", "0007_folded_name_search"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
