"""The CSV files of the credit roll-forward: its lines (one per credit type and currency) and
one unit's wallets. Both are streamed (core.csvfiles: a header naming the time zone the days
are in, plain decimal amounts with the unit's minor units, tokens whole, text cells that cannot
turn into formulas), and both generators return the number of rows they wrote. Amounts are
numbers, never guarded: only the text cells get the formula guard (a negative amount keeps its
minus sign)."""

from collections.abc import Generator, Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from core import money
from core.csvfiles import header_bytes, safe_cell, write_rows
from credits.models import Activity, CreditType
from credits.rollforward import MOVING, Period, RollForwardLine

CHUNK_ROWS = 2000
TYPE_LABELS = dict(CreditType.choices)


def _period_header() -> list[str]:
    zone = timezone.get_current_timezone_name()
    return [f"From ({zone})", f"To ({zone})"]


def summary_header() -> list[str]:
    return [
        *_period_header(),
        "Type",
        "Currency",
        "Opening balance",
        *[Activity(activity).label for activity in MOVING],
        "Movements",
        "Closing balance",
        "Reconciles",
    ]


def summary_rows(period: Period, lines: list[RollForwardLine]) -> Generator[bytes, None, int]:
    """The roll-forward's lines, header first."""
    yield header_bytes(summary_header())

    def rows() -> Iterator[list[Any]]:
        for line in lines:
            unit = line.currency
            yield [
                period.first.isoformat(),
                period.last.isoformat(),
                TYPE_LABELS[line.credit_type],
                unit,
                money.plain(line.opening, unit),
                *[money.plain(line.movements[activity], unit) for activity in MOVING],
                money.plain(line.moved, unit),
                money.plain(line.closing, unit),
                "yes" if line.reconciles else "no",
            ]

    return (yield from write_rows(rows(), chunk_rows=CHUNK_ROWS, guard=False))


def wallets_header() -> list[str]:
    return [
        *_period_header(),
        "Wallet",
        "Account ID",
        "Account name",
        "Subscription",
        "Type",
        "Currency",
        "Opening balance",
        "Movements",
        "Closing balance",
    ]


def wallet_rows(period: Period, wallets: QuerySet) -> Generator[bytes, None, int]:
    """One unit's wallets (`credits.rollforward.wallet_rollforward`), header first, read in
    chunks."""
    yield header_bytes(wallets_header())

    def rows() -> Iterator[list[Any]]:
        for wallet in wallets.iterator(chunk_size=CHUNK_ROWS):
            unit = wallet.currency
            yield [
                period.first.isoformat(),
                period.last.isoformat(),
                wallet.pk,
                safe_cell(wallet.account.customer_number),
                safe_cell(wallet.account.name),
                safe_cell(wallet.subscription.order_id) if wallet.subscription_id else "",
                TYPE_LABELS[wallet.credit_type],
                unit,
                money.plain(wallet.opening, unit),
                money.plain(wallet.moved, unit),
                money.plain(wallet.closing, unit),
            ]

    return (yield from write_rows(rows(), chunk_rows=CHUNK_ROWS, guard=False))
