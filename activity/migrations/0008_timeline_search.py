"""Search inside an account's timeline: `activity_event_text(data, message)`, the values of an
event's attributes and its message as one folded text (`backoffice_fold`: unaccented, upper
case), and a GIN index on the account and it (btree_gin, pg_trgm) that serves an account's
`LIKE '%...%'` (activity.selectors.search_events).
PostgreSQL only, as the account search's indexes (accounts 0006): SQLite searches the text of
the attributes without an index. The function names its schema: a logical replication worker
(a Citus shard move) evaluates the index with an empty search_path. On the partitioned table
the index is made on every month."""

from django.db import migrations

EVENT_TEXT = """
CREATE OR REPLACE FUNCTION activity_event_text(data jsonb, message text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT public.backoffice_fold(jsonb_path_query_array(data, '$.*')::text || ' ' || message) $$
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # Kept when going back: the other app's search index may use it too.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    schema_editor.execute(EVENT_TEXT)
    schema_editor.execute(
        'CREATE INDEX "event_search_trgm_idx" ON "activity_activityevent" '
        'USING gin ("account_id", activity_event_text("data", "message") gin_trgm_ops)'
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute('DROP INDEX IF EXISTS "event_search_trgm_idx"')
    schema_editor.execute("DROP FUNCTION IF EXISTS activity_event_text(jsonb, text)")


class Migration(migrations.Migration):
    dependencies = [
        ("activity", "0007_partition_events_by_month"),
        ("accounts", "0007_folded_name_search"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
