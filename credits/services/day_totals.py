"""The day totals (credits.models.totals): an entry counted into its row as it is written, a
subscription's sums moved when it changes product, and the whole table recomputed from the
entries (what `verify_ledger` compares it with, and what a bulk load rebuilds it from)."""

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.sql import InsertQuery
from django.utils import timezone

from accounts.models import Subscription
from core import citus
from credits.models import NO_PRODUCT, SLOTS, CreditDayTotal, CreditEntry

ZERO = Decimal(0)


def day_of(instant: dt.datetime) -> dt.date:
    """The local day of an instant in the site's time zone (the day totals' days)."""
    return timezone.localtime(instant, timezone.get_default_timezone()).date()


def slot_of(wallet_id: int) -> int:
    return wallet_id % SLOTS


@functools.cache
def _upsert_sql(*, subscription: bool = False) -> str:
    """Add a count and sums to a day total's row (made when missing). With `subscription`,
    the product is looked up from the subscription whose ID is given in its place."""
    table = connection.ops.quote_name(CreditDayTotal._meta.db_table)
    key = ", ".join(CreditDayTotal.KEY)
    if subscription:
        subscriptions = connection.ops.quote_name(Subscription._meta.db_table)
        rows = (
            "SELECT %s, %s, %s, %s, s.product_id, %s, %s, %s, %s"
            f" FROM {subscriptions} s WHERE s.id = %s"
        )
    else:
        rows = "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
    return (
        f"INSERT INTO {table} ({key}, count, added, subtracted) {rows}"
        f" ON CONFLICT ({key}) DO UPDATE SET count = {table}.count + EXCLUDED.count,"
        f" added = {table}.added + EXCLUDED.added,"
        f" subtracted = {table}.subtracted + EXCLUDED.subtracted"
    )


def write(entry: CreditEntry, *, also: Sequence[tuple[str, list[Any]]] = ()) -> None:
    """Insert `entry`, count it into its day total, and run `also`: more writes of the entry's
    transaction, as (SQL, parameters) (its timeline event). On PostgreSQL in one statement (the
    insert, the upsert and the others as parts of one WITH: one round trip, as the insert alone
    took); elsewhere (SQLite, a Citus coordinator, which does not plan a WITH that writes to a
    distributed and a local table) the insert, `count`, then the others."""
    if connection.vendor != "postgresql" or citus.active():
        entry.save(force_insert=True)
        count(entry)
        with connection.cursor() as cursor:
            for sql, params in also:
                cursor.execute(sql, params)
        return
    meta = CreditEntry._meta
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field and not f.generated]
    query = InsertQuery(CreditEntry)
    query.insert_values(fields, [entry])
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [meta.pk]
    [(insert_sql, insert_params)] = compiler.as_sql()
    count_sql, count_params = _count_statement(entry)
    parts = [f"entry AS ({insert_sql})", f"counted AS ({count_sql})"]
    parts += [f"also_{n} AS ({sql})" for n, (sql, _params) in enumerate(also)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH {', '.join(parts)} SELECT * FROM entry",
            [*insert_params, *count_params, *(p for _sql, params in also for p in params)],
        )
        entry.pk = cursor.fetchone()[0]
    entry._state.adding = False
    entry._state.db = connection.alias


def _count_statement(entry: CreditEntry) -> tuple[str, list[Any]]:
    """The upsert that counts `entry` into its day total, and its parameters."""
    amount = entry.amount
    added, subtracted = (amount, ZERO) if amount > 0 else (ZERO, amount)
    day, slot = day_of(entry.created_at), slot_of(entry.wallet_id)
    key = [day, entry.credit_type, entry.currency, entry.activity]
    if entry.subscription_id is None:
        return _upsert_sql(), [*key, NO_PRODUCT, slot, 1, added, subtracted]
    return _upsert_sql(subscription=True), [*key, slot, 1, added, subtracted, entry.subscription_id]


def count(entry: CreditEntry) -> None:
    """Count `entry` into its day total, in the transaction that writes it: one statement
    (an insert, or an addition to the row already there; the product read from the entry's
    subscription as it stands in this transaction)."""
    with connection.cursor() as cursor:
        cursor.execute(*_count_statement(entry))


def _grouped(entries: QuerySet[CreditEntry]) -> QuerySet:
    """`entries` summed as the day totals sum them, by the subscription's product now."""
    return (
        entries.order_by()
        .annotate(
            day=TruncDate("created_at", tzinfo=timezone.get_default_timezone()),
            product=Coalesce("subscription__product_id", NO_PRODUCT),
            slot=F("wallet_id") % SLOTS,
        )
        .values("day", "credit_type", "currency", "activity", "product", "slot")
        .annotate(
            n=Count("pk"),
            plus=Sum("amount", filter=Q(amount__gt=0), default=ZERO),
            minus=Sum("amount", filter=Q(amount__lt=0), default=ZERO),
        )
    )


def _key(row: dict[str, Any], product: int | None = None) -> tuple:
    return (
        row["day"],
        row["credit_type"],
        row["currency"],
        row["activity"],
        row["product"] if product is None else product,
        row["slot"],
    )


def move_subscription(*, subscription: Subscription, old_product_id: int) -> None:
    """`subscription` now has another product than `old_product_id`: move the sums of its
    entries from the old product's rows to the new one's (in the caller's transaction)."""
    rows = list(_grouped(CreditEntry.objects.filter(subscription=subscription)))
    if not rows:
        return
    with connection.cursor() as cursor:
        for sign, product in ((-1, old_product_id), (1, subscription.product_id)):
            cursor.executemany(
                _upsert_sql(),
                [
                    [*_key(row, product), sign * row["n"], sign * row["plus"], sign * row["minus"]]
                    for row in rows
                ],
            )
    CreditDayTotal.objects.filter(product_id=old_product_id, count=0).delete()


def recomputed() -> dict[tuple, tuple[int, Decimal, Decimal]]:
    """Every day total as the entries give it now: {key: (count, added, subtracted)}."""
    rows = _grouped(CreditEntry.objects.all())
    return {_key(row): (row["n"], row["plus"], row["minus"]) for row in rows}


def stored() -> dict[tuple, tuple[int, Decimal, Decimal]]:
    """Every day total as kept (rows that count nothing left out)."""
    rows = CreditDayTotal.objects.filter(count__gt=0).values_list(
        *CreditDayTotal.KEY, "count", "added", "subtracted"
    )
    return {tuple(row[:6]): (row[6], row[7], row[8]) for row in rows}


def rebuild(batch_size: int = 5000) -> int:
    """Replace every day total by the entries' (after a bulk load that bypassed the services);
    the number of rows written. Run it with the ledger quiet."""
    CreditDayTotal.objects.all().delete()
    rows: Iterable[CreditDayTotal] = (
        CreditDayTotal(
            **dict(zip(CreditDayTotal.KEY, key, strict=True)),
            count=n,
            added=plus,
            subtracted=minus,
        )
        for key, (n, plus, minus) in recomputed().items()
    )
    return len(CreditDayTotal.objects.bulk_create(rows, batch_size=batch_size))
