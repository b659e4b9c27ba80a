"""What every ledger must satisfy, checked from the stored rows (shared by the tests)."""

from decimal import Decimal

from credits.models import CreditWallet


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
    assert_day_totals_agree()


def assert_day_totals_agree():
    """The day totals (credits.models.totals) are what the entries add up to."""
    from credits.services import day_totals

    assert day_totals.stored() == day_totals.recomputed()
