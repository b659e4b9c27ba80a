"""The indexes behind the credit liability roll-forward (credits.rollforward): a wallet's
balance as of an instant is the balance_after of its last entry before it, which the first
index finds by one backward step per wallet, without reading the table (balance_after and
amount are included in the index); the second sums a period's movements per unit and activity
from the index alone.

On PostgreSQL the index is built CONCURRENTLY, so that writers of the ledger are not blocked
while it builds (hence `atomic = False`: CREATE INDEX CONCURRENTLY cannot run in a
transaction). Other databases (the SQLite file of `make run`) build it the plain way, without
the included columns, which only PostgreSQL supports.
"""

from django.db import migrations, models

from core.migration_operations import AddIndexConcurrentlyOnPostgreSQL


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("credits", "0007_credit_approval"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="creditentry",
            index=models.Index(
                fields=["wallet", "created_at", "seq"],
                include=("balance_after", "amount"),
                name="credit_entry_wallet_asof_idx",
            ),
        ),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="creditentry",
            index=models.Index(
                fields=["created_at"],
                include=("credit_type", "currency", "activity", "amount"),
                name="credit_entry_period_idx",
            ),
        ),
    ]
