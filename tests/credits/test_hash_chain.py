"""The ledger's hash chain: every entry's hash covers its wallet's previous entry's hash and its
own fields, so that a rewrite behind the services' back shows, even a consistent one."""

import json

import pgtrigger
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from credits import chain, services
from credits.models import CreditEntry, CreditWallet
from tests.credits.conftest import SEK

pytestmark = pytest.mark.django_db

APPEND_ONLY = "credits.CreditEntry:append_only"


@pytest.fixture
def ledger(account, subscription):
    services.credit_grant(actor=None, account=account, amount="100", note="Welcome", **SEK)
    services.gift_card_redeem(
        actor=None, account=account, gift_card="•••• 7781", amount="50", currency="SEK"
    )
    services.apply_credits(account=account, amount="30", transaction_id="T1", **SEK)
    services.credit_grant(actor=None, account=account, amount="5", note="Sorry", **SEK)
    return CreditWallet.objects.get(account=account, subscription=None)


def entries(wallet):
    return list(wallet.entries.order_by("seq"))


def test_each_entry_is_chained_to_the_previous_one_of_its_wallet(ledger):
    first, second, *_rest, last = entries(ledger)
    key_id, key = chain.signing_key()

    assert (first.key_id, second.key_id) == (key_id, key_id)
    assert first.hash == chain.entry_hash(
        previous="", key=key, **{name: getattr(first, name) for name in chain.HASHED_FIELDS}
    )
    assert second.hash == chain.entry_hash(
        previous=first.hash,
        key=key,
        **{name: getattr(second, name) for name in chain.HASHED_FIELDS},
    )
    assert first.text_digest == chain.text_digest("Welcome", "")
    assert ledger.last_hash == last.hash


def test_a_consistent_rewrite_with_raw_sql_is_caught(ledger, capsys):
    call_command("verify_ledger")
    second = entries(ledger)[1]
    with pgtrigger.ignore(APPEND_ONLY), connection.cursor() as cursor:
        # +500 on the entry, on every balance after it and on the wallet: the balances agree.
        cursor.execute(
            "UPDATE credits_creditentry SET amount = amount + 500 WHERE id = %s", [second.pk]
        )
        cursor.execute(
            "UPDATE credits_creditentry SET balance_after = balance_after + 500 "
            "WHERE wallet_id = %s AND seq >= 2",
            [ledger.pk],
        )
    # ... and on the wallet's balance and running totals.
    old, new = second.amount, second.amount + 500
    CreditWallet.objects.filter(pk=ledger.pk).update(
        balance=ledger.balance + 500,
        added=ledger.added + max(new, 0) - max(old, 0),
        removed=ledger.removed + min(new, 0) - min(old, 0),
    )

    with pytest.raises(CommandError, match="1 of 1 wallets drifted"):
        call_command("verify_ledger")
    out = capsys.readouterr().out
    assert f"Wallet {ledger.pk} " in out
    assert "hash chain broken at entry 2" in out
    # The running balances alone would not have told (the lots do: the wallet's balance is no
    # longer the sum of its lots; so does the month-end balance kept beside the ledger).
    wallet_line = next(line for line in out.splitlines() if line.startswith(f"Wallet {ledger.pk} "))
    told = wallet_line.split("): ", 1)[1]
    assert "balance_after drifts" not in told and "its entries sum to" not in told
    assert "but its lots hold" in told


def test_a_changed_note_is_caught_by_its_digest(ledger, capsys):
    first = entries(ledger)[0]
    with pgtrigger.ignore(APPEND_ONLY):
        CreditEntry.objects.filter(pk=first.pk).update(note="Granted by the CEO")

    with pytest.raises(CommandError):
        call_command("verify_ledger")
    assert "entry 1: its note or gift card was changed" in capsys.readouterr().out


def test_a_redacted_note_keeps_the_chain_valid(ledger, capsys):
    first = entries(ledger)[0]
    with pgtrigger.ignore(APPEND_ONLY):
        CreditEntry.objects.filter(pk=first.pk).update(
            note="[redacted]", redacted_at=timezone.now()
        )

    call_command("verify_ledger")
    assert "every hash chain intact" in capsys.readouterr().out


def test_a_wallet_whose_last_hash_was_changed_is_caught(ledger, capsys):
    CreditWallet.objects.filter(pk=ledger.pk).update(last_hash="0" * 64)

    with pytest.raises(CommandError):
        call_command("verify_ledger")
    assert "its last hash is not its newest entry's" in capsys.readouterr().out


def test_an_entry_removed_from_the_middle_is_caught(ledger, capsys):
    third = entries(ledger)[2]
    # In SQL, with the allocations that name it (the consumption's): the ORM would refuse
    # first, as they protect their entry.
    allocations = "credits.CreditAllocation:append_only"
    with pgtrigger.ignore(APPEND_ONLY, allocations), connection.cursor() as cursor:
        cursor.execute("DELETE FROM credits_creditallocation WHERE entry_id = %s", [third.pk])
        cursor.execute("DELETE FROM credits_creditentry WHERE id = %s", [third.pk])

    with pytest.raises(CommandError):
        call_command("verify_ledger")
    out = capsys.readouterr().out
    assert "hash chain broken at entry 4" in out


@pytest.mark.single_node(
    "it migrates back to before the hash chain, and a distributed table's keys (which include "
    "the account) cannot be taken back to the single-node ones of older migrations"
)
@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_chain_of_entries_written_before_it(account, capsys):
    services.credit_grant(actor=None, account=account, amount="100", **SEK)
    services.credit_grant(actor=None, account=account, amount="20", note="Again", **SEK)
    executor = MigrationExecutor(connection)
    executor.migrate([("credits", "0004_write_once_triggers")])
    try:
        with connection.cursor() as cursor:
            columns = connection.introspection.get_table_description(cursor, "credits_creditentry")
        assert "hash" not in {column.name for column in columns}
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    call_command("verify_ledger")
    assert "every hash chain intact" in capsys.readouterr().out
    wallet = CreditWallet.objects.get()
    assert [e.hash != "" for e in entries(wallet)] == [True, True]
    assert wallet.last_hash == entries(wallet)[-1].hash


# --- A rewrite by someone who holds the database but not the key -----------------------------


def rewrite_consistently(wallet, *, key=None, key_id=None):
    """The attack of 2026-12-05, with `session_replication_role = replica` (no triggers): +500
    on the second entry, on every balance after it, on the wallet, and every hash from there
    recomputed with the project's own function (`key`: the attacker's guess of it)."""
    rows = entries(wallet)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        previous = rows[0].hash
        for entry in rows[1:]:
            if entry.seq == 2:
                entry.amount += 500
            entry.balance_after += 500
            values = {name: getattr(entry, name) for name in chain.HASHED_FIELDS}
            values["approved_by_name"] = entry.approved_by_name
            entry.hash = chain.entry_hash(previous=previous, key=key, **values)
            previous = entry.hash
            cursor.execute(
                "UPDATE credits_creditentry SET amount = %s, balance_after = %s, hash = %s,"
                " key_id = %s WHERE id = %s",
                [entry.amount, entry.balance_after, entry.hash,
                 entry.key_id if key_id is None else key_id, entry.pk],
            )  # fmt: skip
        cursor.execute(
            "UPDATE credits_creditwallet SET balance = balance + 500, added = added + 500,"
            " last_hash = %s WHERE id = %s",
            [previous, wallet.pk],
        )
        cursor.execute("SET LOCAL session_replication_role = origin")


@pytest.mark.parametrize(
    ("key", "key_id"),
    [
        (None, None),  # plain SHA-256, the chain's first function, under the entries' key id
        (None, ""),  # plain SHA-256, claiming to be an entry from before the keys
        (b"a-guessed-key", None),
        (b"a-guessed-key", "another-key"),
    ],
)
def test_a_rewrite_without_the_key_is_caught(ledger, capsys, key, key_id):
    rewrite_consistently(ledger, key=key, key_id=key_id)

    with pytest.raises(CommandError, match="1 of 1 wallets drifted"):
        call_command("verify_ledger")
    out = capsys.readouterr().out
    assert "entry 2" in out


def test_rotated_keys_verify_old_and_new_entries(ledger, settings, capsys):
    old_id = settings.LEDGER_KEY_ID
    settings.LEDGER_KEYS = {**settings.LEDGER_KEYS, "2027-01": "a-new-secret-0123456789abcdef"}
    settings.LEDGER_KEY_ID = "2027-01"
    services.credit_grant(actor=None, account=ledger.account, amount="1", **SEK)

    assert [e.key_id for e in entries(ledger)][-2:] == [old_id, "2027-01"]
    call_command("verify_ledger")
    assert "every hash chain intact" in capsys.readouterr().out

    # Dropping a key that entries still name is a failure, not a silent pass.
    settings.LEDGER_KEYS = {"2027-01": "a-new-secret-0123456789abcdef"}
    with pytest.raises(CommandError):
        call_command("verify_ledger")
    assert f"signed with no known key ('{old_id}')" in capsys.readouterr().out


# --- Checkpoints outside the database -------------------------------------------------------


def test_a_rewrite_signed_with_the_key_is_caught_by_the_checkpoint(
    ledger, settings, tmp_path, capsys
):
    """Even someone who holds the key and signs the rewritten chain again cannot match the
    heads signed into a file before the rewrite."""
    settings.LEDGER_CHECKPOINT_DIR = str(tmp_path)
    call_command("ledger_checkpoint")
    call_command("verify_ledger")
    assert "the heads of ledger-checkpoint-" in capsys.readouterr().out

    key_id, key = chain.signing_key()
    rewrite_consistently(ledger, key=key, key_id=key_id)

    with pytest.raises(CommandError, match="1 of 1 wallets drifted"):
        call_command("verify_ledger")
    out = capsys.readouterr().out
    assert "hash chain broken" not in out  # the chain itself holds: the key was used
    assert f"entry {ledger.last_seq} differs from the checkpoint of" in out


def test_an_edited_checkpoint_is_refused(ledger, settings, tmp_path, capsys):
    settings.LEDGER_CHECKPOINT_DIR = str(tmp_path)
    call_command("ledger_checkpoint")
    [path] = tmp_path.glob("ledger-checkpoint-*.json")
    saved = json.loads(path.read_text())
    saved["heads"][str(ledger.pk)][1] = "0" * 64
    path.write_text(json.dumps(saved))

    with pytest.raises(CommandError, match="is not signed by a known key"):
        call_command("verify_ledger")


def test_later_entries_pass_an_older_checkpoint(ledger, settings, tmp_path, capsys):
    settings.LEDGER_CHECKPOINT_DIR = str(tmp_path)
    call_command("ledger_checkpoint")
    services.credit_grant(actor=None, account=ledger.account, amount="3", **SEK)

    call_command("verify_ledger")
    assert "every hash chain intact, the heads of" in capsys.readouterr().out
