"""The events' index of `account_id` alone goes: event_account_time_idx begins with the
account, so it serves every look-up by account (and the accounts' PROTECT check), and the
index of its own only cost every insert. The foreign key stays as it is (Django's AlterField
would drop and re-add it, checking every row again)."""

import django.db.models.deletion
from django.db import migrations, models

INDEX = "activity_activityevent_account_id_d221a469"
CREATE = f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "activity_activityevent" ("account_id")'


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_country_checked_by_code"),
        ("activity", "0009_event_search_text"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="activityevent",
                    name="account",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="activity_events",
                        to="accounts.account",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(f'DROP INDEX IF EXISTS "{INDEX}"', CREATE),
            ],
        ),
    ]
