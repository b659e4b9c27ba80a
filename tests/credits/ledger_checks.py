"""What every ledger must satisfy, checked from the stored rows (shared by the tests)."""

from decimal import Decimal

from credits.models import CreditLot, CreditWallet


def assert_ledger_consistent():
    """Per wallet: seq 1..n without gaps, each balance_after = the previous one + its amount,
    never negative, and the wallet's balance and last_seq those of its newest entry."""
    for wallet in CreditWallet.objects.prefetch_related("entries"):
        entries = sorted(wallet.entries.all(), key=lambda e: e.seq)
        running = Decimal(0)
        for expected_seq, entry in enumerate(entries, start=1):
            running += entry.amount
            assert entry.seq == expected_seq, (wallet.pk, entry.seq)
            assert entry.balance_after == running, (wallet.pk, entry.seq)
            assert entry.balance_after >= 0
        assert wallet.balance == running >= 0, wallet.pk
        assert wallet.last_seq == len(entries), wallet.pk
    assert_lots_agree()
    assert_day_totals_agree()


def assert_lots_agree():
    """Per wallet, its balance is the sum of its lots' remaining amounts; per lot, what remains
    is between nothing and its amount, and is its amount plus its allocations; per entry that
    took credit, its allocations add up to its amount."""
    wallets = CreditWallet.objects.prefetch_related("lots__allocations", "entries__allocations")
    for wallet in wallets:
        lots = list(wallet.lots.all())
        assert sum((lot.remaining for lot in lots), Decimal(0)) == wallet.balance, wallet.pk
        for lot in lots:
            assert 0 <= lot.remaining <= lot.amount, lot.pk
            moved = sum((a.amount for a in lot.allocations.all()), Decimal(0))
            assert lot.remaining == lot.amount + moved, lot.pk
        for entry in wallet.entries.all():
            if entry.amount < 0:
                taken = sum((a.amount for a in entry.allocations.all()), Decimal(0))
                assert taken == entry.amount, entry.pk
    assert not CreditLot.objects.filter(remaining__lt=0).exists()


def assert_day_totals_agree():
    """The day totals (credits.models.totals) are what the entries add up to."""
    from credits.services import day_totals

    assert day_totals.stored() == day_totals.recomputed()
