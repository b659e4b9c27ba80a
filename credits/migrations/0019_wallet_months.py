"""The wallets' month-end balances (credits.models.CreditWalletMonth), filled from the entries:
the balance after each wallet's last entry of each UTC month. And the approvals', lots' and
allocations' entry without a database constraint, so that the ledger can be partitioned
(`maintain_partitions --partition credits.CreditEntry`)."""

import django.db.models.deletion
from django.db import migrations, models


def fill(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO credits_creditwalletmonth (wallet_id, account_id, month, seq,
                                                       balance_after)
                SELECT DISTINCT ON (wallet_id, month) wallet_id, account_id, month, seq,
                       balance_after
                FROM (SELECT wallet_id, account_id, seq, balance_after,
                             date_trunc('month', created_at AT TIME ZONE 'UTC')::date AS month
                      FROM credits_creditentry) e
                ORDER BY wallet_id, month, seq DESC
                """
            )
        return
    import datetime as dt

    entry = apps.get_model("credits", "CreditEntry")
    month = apps.get_model("credits", "CreditWalletMonth")
    last = {}
    rows = entry.objects.order_by("wallet_id", "seq").values_list(
        "wallet_id", "account_id", "created_at", "seq", "balance_after"
    )
    for wallet_id, account_id, created_at, seq, balance in rows.iterator():
        first = created_at.astimezone(dt.UTC).date().replace(day=1)
        last[(wallet_id, first)] = (account_id, seq, balance)
    month.objects.bulk_create(
        [
            month(wallet_id=w, month=m, account_id=a, seq=s, balance_after=b)
            for (w, m), (a, s, b) in last.items()
        ],
        batch_size=5000,
    )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0008_access_log'),
        ('credits', '0018_credit_opening_lots'),
    ]

    operations = [
        migrations.AlterField(
            model_name='creditapproval',
            name='entry',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='credits.creditentry'),
        ),
        migrations.AlterField(
            model_name='creditlot',
            name='entry',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='credits.creditentry'),
        ),
        migrations.AlterField(
            model_name='creditallocation',
            name='entry',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='allocations', to='credits.creditentry'),
        ),
        migrations.CreateModel(
            name='CreditWalletMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField(help_text='The first day of the UTC month')),
                ('seq', models.PositiveIntegerField(verbose_name="number of the month's last entry in its wallet")),
                ('balance_after', models.DecimalField(decimal_places=4, max_digits=18, verbose_name='balance')),
                ('account', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.account')),
                ('wallet', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='months', to='credits.creditwallet')),
            ],
            options={
                'default_permissions': (),
                'constraints': [models.UniqueConstraint(fields=('wallet', 'month', 'account'), name='credit_wallet_month_key')],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
    ]
