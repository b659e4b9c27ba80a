"""The draw-down order as a property: whatever lots a wallet holds and whatever is charged or
revoked, each draw-down takes from the lots in the published order — soonest expiry first (none
last), at equal expiry promotional and goodwill before paid, then the oldest — taking each lot
whole before the next; no lot goes below zero, and the balance stays the sum of the lots."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credits import services
from credits.models import CreditAllocation, CreditEntry, CreditLot, CreditWallet
from tests.credits.conftest import SEK, grant
from tests.credits.ledger_checks import assert_ledger_consistent

pytestmark = pytest.mark.django_db

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("200"), places=2)
lots = st.lists(
    st.tuples(
        st.sampled_from(["paid", "promotional", "goodwill"]),
        st.one_of(st.none(), st.integers(min_value=0, max_value=5)),  # days to expiry
        money,
    ),
    min_size=1,
    max_size=8,
)
draw_downs = st.lists(
    st.tuples(st.sampled_from(["charge", "revoke"]), money), min_size=1, max_size=6
)


def expected_order(lot: CreditLot) -> tuple:
    """The order as the README states it, written here apart from the code's."""
    free = lot.kind in ("promotional", "goodwill")
    return (
        lot.expires_on is None,
        lot.expires_on or dt.date.max,
        0 if free else 1,
        lot.created_at,
        lot.pk,
    )


def expected_shares(open_lots: list[CreditLot], amount: Decimal) -> list[tuple[int, Decimal]]:
    shares, left = [], amount
    for lot in sorted(open_lots, key=expected_order):
        if left == 0:
            break
        take = min(lot.remaining, left)
        shares.append((lot.pk, -take))
        left -= take
    return shares


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lots, draw_downs)
def test_draw_downs_follow_the_published_order(account, given_lots, operations):
    today = timezone.localdate()
    with transaction.atomic():
        for kind, days, amount in given_lots:
            expires_on = None if days is None else today + dt.timedelta(days=days)
            grant(account, amount, lot_kind=kind, expires_on=expires_on)
        wallet = CreditWallet.objects.get(account=account)
        for step, (operation, amount) in enumerate(operations):
            open_lots = list(CreditLot.objects.filter(wallet=wallet, remaining__gt=0))
            written = CreditEntry.objects.count()
            if operation == "charge":
                application = services.apply_credits(
                    account=account, amount=amount, transaction_id=f"T-{step}", **SEK
                )
                entries = application.entries
                assert application.consumed == min(amount, wallet.balance)
            else:
                try:
                    entries = [
                        services.credit_revoke(actor=None, account=account, amount=amount, **SEK)
                    ]
                except ValidationError as refused:
                    assert amount > wallet.balance
                    assert "Not enough credit" in str(refused)
                    assert CreditEntry.objects.count() == written  # nothing changed
                    entries = []
            for entry in entries:
                allocations = CreditAllocation.objects.filter(entry=entry).order_by("pk")
                assert [(a.lot_id, a.amount) for a in allocations] == expected_shares(
                    open_lots, -entry.amount
                )
            wallet.refresh_from_db()
            assert_ledger_consistent()  # sum of lots == balance, none below zero
        transaction.set_rollback(True)  # each example starts from an empty ledger
