"""The day's grants of one person (or integration), for the daily grant limit: partial indexes
over the grants only, built without blocking the ledger's writers on PostgreSQL (hence
`atomic = False`, as in 0008)."""

from django.db import migrations, models

from core.migration_operations import AddIndexConcurrentlyOnPostgreSQL


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("credits", "0010_wallet_running_totals"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="creditentry",
            index=models.Index(
                condition=models.Q(("activity", "grant"), ("actor__isnull", False)),
                fields=["actor", "recorded_at"],
                name="credit_entry_grant_actor_idx",
            ),
        ),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="creditentry",
            index=models.Index(
                condition=models.Q(("activity", "grant"), ("actor__isnull", True)),
                fields=["actor_name", "recorded_at"],
                name="credit_entry_grant_system_idx",
            ),
        ),
    ]
