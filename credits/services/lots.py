"""Lots (credits.models.lots): made by the entries that add credit, drawn down by those that take
it, given back to by refunds. `ledger.append` calls these for every entry, under the wallet's
row lock, so that the wallet's balance stays the sum of its lots' remaining amounts.

- `draw_down` plans which lots an entry that takes credit (a consumption, a revocation, a gift
  card reversal) takes from, in the one published order (`credits.models.draw_down_key`); more
  than the open lots hold is refused and nothing is written.
- `give_back` plans where a refund of a transaction goes: to the lots the transaction took from
  in this wallet, newest allocation first.
- `lot_of` makes (unsaved) the lot of an entry that adds credit.
- `save` writes a plan's allocations, the lots' new remaining amounts and the new lot once the
  entry exists; on PostgreSQL `statements` instead gives them as parts of the entry's own
  statement (credits.services.day_totals.write), which reads the entry's ID from its part
  named "entry": no round trip more than the entry's own but the lots' lock.

Lots are locked (`select_for_update`) in primary-key order, whatever order they are drawn in:
the wallet's lock already keeps two writers of one wallet apart, and a fixed order keeps any
other path that locks several lots (a future expiry run) from deadlocking with these.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Max, Sum

from core.statements import Prepared
from credits.models import (
    Activity,
    CreditAllocation,
    CreditEntry,
    CreditLot,
    CreditWallet,
    LotKind,
    draw_down_key,
)
from credits.services.validation import LedgerRequest

LOTS_SHORT = (
    "Not enough credit in the wallet's lots: {asked} is more than the {held} they hold. "
    "Nothing was changed; run verify_ledger."
)
# A draw-down over the credit that has not expired, where the balance still holds credit whose
# lots' day has passed (the expiry run takes it off the balance, at the latest within
# LOT_EXPIRY_INTERVAL_SECONDS).
EXPIRED_SHORT = (
    "Not enough credit that has not expired: {asked} is more than the {held} left; {expired} "
    "of the balance has expired. Nothing was changed."
)

# The entries that make a lot of their own.
OPENS_A_LOT = (Activity.GRANT, Activity.GIFT_CARD_REDEMPTION)


@dataclass(frozen=True)
class Share:
    """One lot's part of an entry: signed, as the allocation stores it."""

    lot: CreditLot
    amount: Decimal


def locked(wallet: CreditWallet, **lookup: object) -> list[CreditLot]:
    """The wallet's lots that match `lookup`, locked (the caller holds the wallet's lock)."""
    # Locked in primary-key order (see the module's docstring); the account named so that on
    # Citus the lock is taken on the account's node alone.
    return list(
        CreditLot.objects.select_for_update()
        .filter(account_id=wallet.account_id, wallet=wallet, **lookup)
        .order_by("pk")
    )


def expired(lot: CreditLot, on: dt.date) -> bool:
    """Whether the lot's credit has expired on the local day `on`: a lot expires at the end of
    its `expires_on` day."""
    return lot.expires_on is not None and lot.expires_on < on


# `locked(wallet, remaining__gt=0)`, compiled once: it runs under the wallet's lock on every
# draw-down, where the ORM's compiling took longer than the query.
_OPEN = Prepared(
    lambda account, wallet: (
        CreditLot.objects.select_for_update()
        .filter(account_id=account, wallet_id=wallet, remaining__gt=0)
        .order_by("pk")
    ),
    account=-7_000_001,
    wallet=-7_000_002,
)


def lock_open(wallet: CreditWallet) -> list[CreditLot]:
    """The wallet's open lots, locked (the caller holds the wallet's lock): for `spendable`
    and then `draw_down`, which reads them no second time."""
    return _OPEN(account=wallet.account_id, wallet=wallet.pk)


def spendable(wallet: CreditWallet, open_lots: list[CreditLot], *, on: dt.date) -> Decimal:
    """What a draw-down on the local day `on` may take from `wallet`: its balance less the
    credit of its open lots (`lock_open`) that have expired by then and that the expiry run has
    not taken off yet."""
    gone = sum((lot.remaining for lot in open_lots if expired(lot, on)), Decimal(0))
    return wallet.balance - gone


def draw_down(
    wallet: CreditWallet,
    amount: Decimal,
    *,
    on: dt.date,
    open_lots: list[CreditLot] | None = None,
) -> list[Share]:
    """Which open lots of `wallet` that have not expired on the local day `on` give `amount`
    (positive), in the draw-down order; refused when they hold less (naming the expired credit
    that the expiry run has not taken off yet, when there is some). `open_lots`: the wallet's
    open lots as `lock_open` gave them, when the caller has them already."""
    if open_lots is None:
        open_lots = lock_open(wallet)
    lots = sorted((lot for lot in open_lots if not expired(lot, on)), key=draw_down_key)
    held = sum((lot.remaining for lot in lots), Decimal(0))
    if amount > held:
        gone = sum((lot.remaining for lot in open_lots if expired(lot, on)), Decimal(0))
        text = EXPIRED_SHORT if gone else LOTS_SHORT
        raise ValidationError(
            {
                "amount": text.format(
                    asked=wallet.unit.describe(amount),
                    held=wallet.unit.describe(held),
                    expired=wallet.unit.describe(gone),
                )
            }
        )
    shares, left = [], amount
    for lot in lots:
        if left <= 0:
            break
        take = min(lot.remaining, left)
        shares.append(Share(lot, -take))
        left -= take
    return shares


def give_back(wallet: CreditWallet, transaction_id: str, amount: Decimal) -> list[Share]:
    """Where a refund of `amount` of the transaction goes: each lot the transaction took from in
    this wallet gets back at most what it gave (less what was refunded to it since), the lot of
    the newest allocation first. What the lots did not give (credit consumed before lots were
    kept) is left for a lot of its own (`lot_of`)."""
    taken = (
        # The account named on both tables: on Citus the query runs on its node alone.
        CreditAllocation.objects.filter(
            account_id=wallet.account_id,
            entry__account_id=wallet.account_id,
            entry__wallet=wallet,
            entry__transaction_id=transaction_id,
            entry__activity__in=(Activity.CONSUMPTION, Activity.REFUND),
        )
        .values("lot_id")
        .annotate(net=Sum("amount"), newest=Max("pk"))
    )
    owed = {row["lot_id"]: (-row["net"], row["newest"]) for row in taken if row["net"] < 0}
    if not owed:
        return []
    lots = {lot.pk: lot for lot in locked(wallet, pk__in=list(owed))}
    shares, left = [], amount
    for lot_id in sorted(owed, key=lambda pk: owed[pk][1], reverse=True):
        if left <= 0:
            break
        give = min(owed[lot_id][0], left)
        shares.append(Share(lots[lot_id], give))
        left -= give
    return shares


def lot_of(entry: CreditEntry, request: LedgerRequest, shares: list[Share]) -> CreditLot | None:
    """The lot an entry adds (not saved yet; None when it adds none): a grant's of the request's
    kind and expiry, a gift card redemption's paid without expiry, and a refund's part that no
    lot gave back to (credit consumed before lots were kept) paid without expiry."""
    if entry.activity in OPENS_A_LOT:
        gift_card = entry.activity == Activity.GIFT_CARD_REDEMPTION
        kind = LotKind.PAID if gift_card else (request.lot_kind or LotKind.PAID)
        expires_on = None if gift_card else request.expires_on
        amount = entry.amount
    elif entry.amount > 0:
        kind, expires_on = LotKind.PAID, None
        amount = entry.amount - sum((s.amount for s in shares), Decimal(0))
        if amount <= 0:
            return None
    else:
        return None
    return CreditLot(
        wallet_id=entry.wallet_id,
        account_id=entry.account_id,
        credit_type=entry.credit_type,
        currency=entry.currency,
        kind=kind,
        expires_on=expires_on,
        amount=amount,
        remaining=amount,
        created_at=entry.created_at,
    )


def save(entry: CreditEntry, shares: list[Share], lot: CreditLot | None) -> None:
    """Write the entry's allocations, move its lots' remaining amounts, and add its new lot
    (the entry is written)."""
    for share in shares:
        share.lot.remaining += share.amount
        share.lot.save(update_fields=["remaining"])
    CreditAllocation.objects.bulk_create(
        CreditAllocation(entry=entry, lot=s.lot, account_id=entry.account_id, amount=s.amount)
        for s in shares
    )
    if lot is not None:
        lot.entry = entry
        lot.save(force_insert=True)


def statements(
    entry: CreditEntry, shares: list[Share], lot: CreditLot | None
) -> list[tuple[str, list[Any]]]:
    """What `save` writes, as parts of the entry's own WITH statement, which name the entry's
    ID `entry.id` (PostgreSQL). The lots' objects are moved as the statement will move them."""
    q = connection.ops.quote_name
    found: list[tuple[str, list[Any]]] = []
    if shares:
        rows = ", ".join(["(%s::bigint, %s::numeric)"] * len(shares))
        values = [v for s in shares for v in (s.lot.pk, s.amount)]
        found.append(
            (
                f"UPDATE {q(CreditLot._meta.db_table)} AS l SET remaining = l.remaining + v.amount"
                f" FROM (VALUES {rows}) AS v(id, amount)"
                " WHERE l.id = v.id AND l.account_id = %s",
                [*values, entry.account_id],
            )
        )
        found.append(
            (
                f"INSERT INTO {q(CreditAllocation._meta.db_table)}"
                " (entry_id, lot_id, account_id, amount)"
                " SELECT entry.id, v.lot, %s::bigint, v.amount"
                f" FROM entry CROSS JOIN (VALUES {rows}) AS v(lot, amount)",
                [entry.account_id, *values],
            )
        )
        for share in shares:
            share.lot.remaining += share.amount
    if lot is not None:
        found.append(
            (
                f"INSERT INTO {q(CreditLot._meta.db_table)} (wallet_id, account_id, entry_id,"
                " credit_type, currency, kind, expires_on, amount, remaining, created_at)"
                " SELECT %s::bigint, %s::bigint, entry.id, %s::varchar, %s::varchar,"
                " %s::varchar, %s::date, %s::numeric, %s::numeric, %s::timestamptz FROM entry",
                [
                    lot.wallet_id,
                    lot.account_id,
                    lot.credit_type,
                    lot.currency,
                    lot.kind,
                    lot.expires_on,
                    lot.amount,
                    lot.remaining,
                    lot.created_at,
                ],
            )
        )
    return found
