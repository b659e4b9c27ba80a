"""The ledger's chain becomes keyed (credits.chain): every entry is signed again with the
current key (LEDGER_KEY_ID), wallet by wallet in seq order, and names it. An entry whose plain
SHA-256 hash does not match what it holds is not signed (nor are the rest of its wallet):
`verify_ledger` keeps reporting a chain that was broken before, instead of it being laundered."""

import pgtrigger
from django.db import migrations, models

BATCH = 2000


def sign_again(apps, schema_editor):
    from credits import chain

    Entry = apps.get_model("credits", "CreditEntry")
    Wallet = apps.get_model("credits", "CreditWallet")
    key_id, key = chain.signing_key()
    fields = chain.HASHED_FIELDS + chain.ENDORSEMENT_FIELDS
    with pgtrigger.ignore("credits.CreditEntry:append_only"):
        rows = (
            Entry.objects.order_by("wallet_id", "seq")
            .only("id", "hash", *fields)
            .iterator(chunk_size=BATCH)
        )
        wallet_id, old_previous, new_previous, broken, pending = None, "", "", False, []

        def close(wallet):
            if wallet is not None and not broken:
                Wallet.objects.filter(pk=wallet).update(last_hash=new_previous)

        for entry in rows:
            if entry.wallet_id != wallet_id:
                close(wallet_id)
                wallet_id, old_previous, new_previous, broken = entry.wallet_id, "", "", False
            if broken:
                continue
            values = {name: getattr(entry, name) for name in fields}
            if chain.entry_hash(previous=old_previous, **values) != entry.hash:
                broken = True
                continue
            old_previous = entry.hash
            entry.hash = chain.entry_hash(previous=new_previous, key=key, **values)
            entry.key_id = key_id
            new_previous = entry.hash
            pending.append(entry)
            if len(pending) >= BATCH:
                Entry.objects.bulk_update(pending, ["hash", "key_id"])
                pending = []
        if pending:
            Entry.objects.bulk_update(pending, ["hash", "key_id"])
        close(wallet_id)


class Migration(migrations.Migration):
    dependencies = [("credits", "0012_wallet_last_entry_at")]

    operations = [
        migrations.AddField(
            model_name="creditentry",
            name="key_id",
            field=models.CharField(blank=True, editable=False, max_length=40),
        ),
        migrations.RunPython(sign_again, migrations.RunPython.noop),
    ]
