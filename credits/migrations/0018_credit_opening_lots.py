from django.db import migrations


def open_a_lot_per_balance(apps, schema_editor):
    """Each wallet that holds credit from before lots were kept gets one opening lot of its
    whole balance: paid (what it was is not known; paid is drawn last at equal expiry and never
    understates what is owed) and without expiry, dated at the wallet's newest entry. Then the
    balance is the sum of its lots on old data too (verify_ledger checks it)."""
    CreditWallet = apps.get_model("credits", "CreditWallet")
    CreditLot = apps.get_model("credits", "CreditLot")
    with_lots = CreditLot.objects.values("wallet_id")
    wallets = (
        CreditWallet.objects.filter(balance__gt=0)
        .exclude(pk__in=with_lots)
        .order_by("pk")
        .values_list("pk", "account_id", "credit_type", "currency", "balance", "last_entry_at", "created_at")
    )
    batch = []
    for pk, account_id, credit_type, currency, balance, last_entry_at, created_at in wallets.iterator(
        chunk_size=2000
    ):
        batch.append(
            CreditLot(
                wallet_id=pk,
                account_id=account_id,
                credit_type=credit_type,
                currency=currency,
                kind="paid",
                expires_on=None,
                amount=balance,
                remaining=balance,
                created_at=last_entry_at or created_at,
            )
        )
        if len(batch) >= 2000:
            CreditLot.objects.bulk_create(batch)
            batch = []
    CreditLot.objects.bulk_create(batch)


class Migration(migrations.Migration):

    dependencies = [
        ("credits", "0017_credit_lots_and_allocations"),
    ]

    operations = [
        migrations.RunPython(open_a_lot_per_balance, migrations.RunPython.noop),
    ]
