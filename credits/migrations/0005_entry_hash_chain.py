"""The ledger's hash chain (credits.chain): the new fields, filled for every entry written
before, wallet by wallet in seq order."""

import pgtrigger
from django.db import migrations, models

BATCH = 2000


def backfill(apps, schema_editor):
    from credits import chain

    Entry = apps.get_model("credits", "CreditEntry")
    Wallet = apps.get_model("credits", "CreditWallet")
    # The entries are append-only; this is the one rewrite that adds what they lacked.
    with pgtrigger.ignore("credits.CreditEntry:append_only"):
        rows = (
            Entry.objects.order_by("wallet_id", "seq")
            .only("id", "note", "gift_card", *chain.HASHED_FIELDS)
            .iterator(chunk_size=BATCH)
        )
        wallet_id, previous, pending = None, "", []
        for entry in rows:
            if entry.wallet_id != wallet_id:
                if wallet_id is not None:
                    Wallet.objects.filter(pk=wallet_id).update(last_hash=previous)
                wallet_id, previous = entry.wallet_id, ""
            entry.text_digest = chain.text_digest(entry.note, entry.gift_card)
            entry.hash = chain.entry_hash(
                previous=previous,
                **{name: getattr(entry, name) for name in chain.HASHED_FIELDS},
            )
            previous = entry.hash
            pending.append(entry)
            if len(pending) >= BATCH:
                Entry.objects.bulk_update(pending, ["text_digest", "hash"])
                pending = []
        if pending:
            Entry.objects.bulk_update(pending, ["text_digest", "hash"])
        if wallet_id is not None:
            Wallet.objects.filter(pk=wallet_id).update(last_hash=previous)


class Migration(migrations.Migration):
    dependencies = [("credits", "0004_write_once_triggers")]

    operations = [
        migrations.AddField(
            model_name="creditwallet",
            name="last_hash",
            field=models.CharField(blank=True, default="", editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="creditentry",
            name="text_digest",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="creditentry",
            name="hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="creditentry",
            name="redacted_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
