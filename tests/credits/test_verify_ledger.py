import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from credits import services
from credits.models import Activity, CreditEntry, CreditWallet
from tests.credits.conftest import SEK
from tests.factories import CreditEntryFactory, CreditWalletFactory

pytestmark = pytest.mark.django_db


def test_a_consistent_ledger_verifies(account, subscription, capsys):
    services.credit_grant(actor=None, account=account, amount="100", **SEK)
    services.apply_credits(
        account=account, subscription=subscription, amount="30", transaction_id="T1", **SEK
    )
    call_command("verify_ledger")
    assert "Ledger verified: 1 wallets, 2 entries, no drift, every hash chain intact" in (
        capsys.readouterr().out
    )


def test_a_wallet_whose_balance_disagrees_with_its_entries_is_reported(capsys):
    entry = CreditEntryFactory(amount=Decimal("100"))
    CreditWalletFactory()  # another, consistent wallet (no entries, balance 0)
    # The wallet's totals moved with it (its constraint holds them equal to the balance).
    CreditWallet.objects.filter(pk=entry.wallet_id).update(
        balance=Decimal("90"), added=Decimal("90")
    )
    with pytest.raises(CommandError, match="1 of 2 wallets drifted"):
        call_command("verify_ledger")
    out = capsys.readouterr().out
    assert f"Wallet {entry.wallet_id} " in out
    assert "balance 90.0000 but its entries sum to 100.0000" in out


def test_a_wallet_whose_running_totals_disagree_with_its_entries_is_reported(capsys):
    entry = CreditEntryFactory(amount=Decimal("100"))
    # Balance right, totals wrong (still balance = added + removed).
    CreditWallet.objects.filter(pk=entry.wallet_id).update(
        added=Decimal("130"), removed=Decimal("-30")
    )
    with pytest.raises(CommandError, match="1 of 1 wallets drifted"):
        call_command("verify_ledger")
    out = capsys.readouterr().out
    assert "added 130.0000 but its entries sum to 100.0000" in out
    assert "removed -30.0000 but its entries sum to 0" in out


def test_an_entry_whose_balance_after_drifts_is_reported(capsys):
    wallet = CreditWalletFactory()
    CreditEntryFactory(wallet=wallet, amount=Decimal("100"))
    # A writer that skipped the services: balance_after 50 after a grant of 20 (should be 120).
    CreditEntry.objects.create(
        wallet=wallet,
        account=wallet.account,
        credit_type=wallet.credit_type,
        currency="SEK",
        seq=2,
        activity=Activity.GRANT,
        amount=Decimal("20"),
        balance_after=Decimal("50"),
        actor_name="System",
    )
    CreditWallet.objects.filter(pk=wallet.pk).update(
        balance=Decimal("120"), added=Decimal("120"), last_seq=2
    )
    with pytest.raises(CommandError):
        call_command("verify_ledger")
    assert "balance_after drifts from entry 2" in capsys.readouterr().out


def test_a_gap_in_the_numbering_is_reported(capsys):
    wallet = CreditWalletFactory()
    CreditEntryFactory(wallet=wallet, amount=Decimal("100"))
    CreditEntry.objects.create(
        wallet=wallet,
        account=wallet.account,
        credit_type=wallet.credit_type,
        currency="SEK",
        seq=3,
        activity=Activity.GRANT,
        amount=Decimal("20"),
        balance_after=Decimal("120"),
        actor_name="System",
    )
    CreditWallet.objects.filter(pk=wallet.pk).update(
        balance=Decimal("120"), added=Decimal("120"), last_seq=3
    )
    with pytest.raises(CommandError) as caught:
        call_command("verify_ledger")
    assert caught.value.returncode == 1
    out = capsys.readouterr().out
    assert "1 entries numbered out of sequence" in out
    assert "last_seq 3 for 2 entries" in out


def test_every_months_roll_forward_must_reconcile(capsys):
    """An entry dated before its wallet's newest one (which the services refuse, written here
    past them): its balance follows the amounts in seq order, but in time order May's closing
    balance counts June's grant, and June's opening balance is more than its closing one."""
    wallet = CreditWalletFactory()
    CreditEntryFactory(
        wallet=wallet, amount=Decimal("100"), created_at=dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
    )
    CreditEntry.objects.create(
        wallet=wallet,
        account=wallet.account,
        credit_type=wallet.credit_type,
        currency="SEK",
        seq=2,
        activity=Activity.GRANT,
        amount=Decimal("20"),
        balance_after=Decimal("120"),
        actor_name="System",
        created_at=dt.datetime(2026, 5, 15, 12, tzinfo=dt.UTC),
    )
    CreditWallet.objects.filter(pk=wallet.pk).update(
        balance=Decimal("120"), added=Decimal("120"), last_seq=2
    )
    with pytest.raises(
        CommandError, match="2 monthly roll-forward lines do not reconcile"
    ) as caught:
        call_command("verify_ledger")
    assert caught.value.returncode == 1
    out = capsys.readouterr().out
    assert (
        "Roll-forward 2026-05 (Europe/Stockholm), SEK: opening 0.00 + movements 20.00 is not "
        "closing 120.00 (off by 100.00)"
    ) in out
    assert (
        "Roll-forward 2026-06 (Europe/Stockholm), SEK: opening 120.00 + movements 100.00 is not "
        "closing 100.00 (off by -120.00)"
    ) in out
    assert "balance_after drifts" not in out  # in seq order, the balances agree
