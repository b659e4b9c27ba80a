"""The ledger's hash chain: every entry's hash covers its wallet's previous entry's hash and its
own fields, so that a rewrite behind the services' back shows, even a consistent one."""

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

    assert first.hash == chain.entry_hash(
        previous="", **{name: getattr(first, name) for name in chain.HASHED_FIELDS}
    )
    assert second.hash == chain.entry_hash(
        previous=first.hash, **{name: getattr(second, name) for name in chain.HASHED_FIELDS}
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
    assert "balance" not in out.split("): ", 1)[1]  # the balances alone would not have told


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
    with pgtrigger.ignore(APPEND_ONLY):
        CreditEntry.objects.filter(pk=third.pk).delete()

    with pytest.raises(CommandError):
        call_command("verify_ledger")
    out = capsys.readouterr().out
    assert "hash chain broken at entry 4" in out


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
