"""The folded text of an event (`activity_event_text(data, message)`) kept in a stored generated
column, `search_text`, and the account's search index on that column instead of on the
expression: a search reads each candidate's text instead of folding its attributes again (the
index's recheck and the newest window's filter cost about 4 µs a row for the fold, a few dozen
nanoseconds for the stored text). PostgreSQL computes the column on every insert and update (an
erasure's redaction included); the column is not one of the model's fields, since SQLite has no
such function (activity.selectors.search_events). On the partitioned table the column and the
index are made on every month."""

from django.db import migrations

TABLE = '"activity_activityevent"'


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f'ALTER TABLE {TABLE} ADD COLUMN "search_text" text'
        ' GENERATED ALWAYS AS (public.activity_event_text("data", "message")) STORED'
    )
    schema_editor.execute(
        f'CREATE INDEX "event_search_text_trgm_idx" ON {TABLE}'
        ' USING gin ("account_id", "search_text" gin_trgm_ops)'
    )
    schema_editor.execute('DROP INDEX IF EXISTS "event_search_trgm_idx"')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f'CREATE INDEX "event_search_trgm_idx" ON {TABLE}'
        ' USING gin ("account_id", activity_event_text("data", "message") gin_trgm_ops)'
    )
    schema_editor.execute('DROP INDEX IF EXISTS "event_search_text_trgm_idx"')
    schema_editor.execute(f'ALTER TABLE {TABLE} DROP COLUMN "search_text"')


class Migration(migrations.Migration):
    dependencies = [("activity", "0008_timeline_search")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
