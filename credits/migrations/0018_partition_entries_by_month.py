"""The ledger's entries partitioned by UTC month of `created_at` on PostgreSQL
(core.partitions); SQLite keeps the plain table. The rows are copied into the new parent's
partitions in the migration's transaction. Going back makes it a plain table again."""

from django.db import migrations

from core.partitions import partition_table, unpartition_table


def partition(apps, schema_editor):
    partition_table(schema_editor, "credits.CreditEntry", "created_at")


def unpartition(apps, schema_editor):
    unpartition_table(schema_editor, "credits.CreditEntry", "created_at")


class Migration(migrations.Migration):
    # The last foreign key that pointed at the entries went in 0017.
    dependencies = [("credits", "0017_wallet_months")]

    operations = [migrations.RunPython(partition, unpartition, elidable=False)]
