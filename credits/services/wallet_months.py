"""The wallets' month-end balances (credits.models.CreditWalletMonth): an entry's upsert, written
in the entry's own statement, and the rows as the ledger gives them (what `verify_ledger`
compares them with, and what a bulk load rebuilds them from)."""

import datetime as dt
import functools
from decimal import Decimal
from typing import Any

from django.db import connection

from core.partitions import month_of
from credits.models import CreditEntry, CreditWalletMonth

# {(wallet ID, month): (account ID, seq, balance after)}
Months = dict[tuple[int, dt.date], tuple[int, int, Decimal]]


@functools.cache
def _upsert_sql() -> str:
    table = connection.ops.quote_name(CreditWalletMonth._meta.db_table)
    # Entries are written in their wallet's seq order, and dated in it: the month's row moves
    # forward only (a later statement of the same wallet and month carries a higher seq).
    return (
        f"INSERT INTO {table} (wallet_id, account_id, month, seq, balance_after)"
        " VALUES (%s, %s, %s, %s, %s)"
        " ON CONFLICT (wallet_id, month, account_id) DO UPDATE"
        " SET seq = EXCLUDED.seq, balance_after = EXCLUDED.balance_after"
        f" WHERE {table}.seq < EXCLUDED.seq"
    )


def statement(entry: CreditEntry) -> tuple[str, list[Any]]:
    """The upsert that makes `entry`'s balance its wallet's balance at the end of its month."""
    return _upsert_sql(), [
        entry.wallet_id,
        entry.account_id,
        month_of(entry.created_at),
        entry.seq,
        entry.balance_after,
    ]


def recomputed() -> Months:
    """Every wallet's month-end balances as its entries give them (read in seq order)."""
    months: Months = {}
    rows = (
        CreditEntry.objects.order_by("wallet_id", "seq")
        .values_list("wallet_id", "account_id", "created_at", "seq", "balance_after")
        .iterator(chunk_size=10_000)
    )
    for wallet_id, account_id, created_at, seq, balance in rows:
        months[(wallet_id, month_of(created_at))] = (account_id, seq, balance)
    return months


def stored() -> Months:
    rows = CreditWalletMonth.objects.values_list(
        "wallet_id", "month", "account_id", "seq", "balance_after"
    )
    return {(wallet, month): tuple(rest) for wallet, month, *rest in rows}


def rebuild(batch_size: int = 5000) -> int:
    """Replace every month-end balance by the entries' (after a bulk load that bypassed the
    services); the number of rows written. Run it with the ledger quiet."""
    CreditWalletMonth.objects.all().delete()
    if connection.vendor == "postgresql":
        # One statement: the last entry of each wallet and UTC month.
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO credits_creditwalletmonth (wallet_id, account_id, month, seq,
                                                       balance_after)
                SELECT DISTINCT ON (wallet_id, month) wallet_id, account_id, month, seq,
                       balance_after
                FROM (SELECT wallet_id, account_id, seq, balance_after,
                             date_trunc('month', created_at AT TIME ZONE 'UTC')::date AS month
                      FROM credits_creditentry) e
                ORDER BY wallet_id, month, seq DESC
                """
            )
            return cursor.rowcount
    rows = [
        CreditWalletMonth(
            wallet_id=wallet, month=month, account_id=account, seq=seq, balance_after=balance
        )
        for (wallet, month), (account, seq, balance) in recomputed().items()
    ]
    return len(CreditWalletMonth.objects.bulk_create(rows, batch_size=batch_size))
