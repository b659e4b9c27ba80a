"""The timeline's events partitioned by UTC month of `occurred_at` on PostgreSQL
(core.partitions); SQLite keeps the plain table. The rows are copied into the new parent's
partitions in the migration's transaction. Going back makes it a plain table again."""

from django.db import migrations

from core.partitions import partition_table, unpartition_table


def partition(apps, schema_editor):
    partition_table(schema_editor, "activity.ActivityEvent", "occurred_at")


def unpartition(apps, schema_editor):
    unpartition_table(schema_editor, "activity.ActivityEvent", "occurred_at")


class Migration(migrations.Migration):
    dependencies = [
        ("activity", "0006_event_month_counts"),
        # The last foreign key that pointed at the events, gone.
        ("legacy_history", "0006_migrated_event_without_constraint"),
    ]

    operations = [migrations.RunPython(partition, unpartition, elidable=False)]
