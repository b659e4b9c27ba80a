"""The day totals and unit totals (credits.models.totals): an entry counted into its rows as it
is written, a subscription's sums moved when it changes product, and both tables recomputed
from the entries (what `verify_ledger` compares them with, and what a bulk load rebuilds them
from). A unit total's key is a day total's without the day; where both are listed together
(`stored`, `recomputed`), a unit total's key has None in the day's place."""

import datetime as dt
import functools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.sql import InsertQuery
from django.utils import timezone

from accounts.models import Subscription
from core import citus
from core.statements import adding, together
from credits.models import NO_PRODUCT, SLOTS, CreditDayTotal, CreditEntry, CreditUnitTotal

ZERO = Decimal(0)


def day_of(instant: dt.datetime) -> dt.date:
    """The local day of an instant in the site's time zone (the day totals' days)."""
    return timezone.localtime(instant, timezone.get_default_timezone()).date()


def slot_of(wallet_id: int) -> int:
    return wallet_id % SLOTS


@functools.cache
def _upsert_sql(*, subscription: bool = False, unit: bool = False, chained: bool = False) -> str:
    """Add a count and sums to a day total's row, or with `unit` a unit total's (made when
    missing). With `subscription`, the product is looked up from the subscription whose ID is
    given in its place. With `chained`, the two are parts of one WITH (`write`): the day's
    returns its row and the unit's waits for it, so that the day's row is locked first, as
    `count` and `move_subscription` lock them (PostgreSQL runs a WITH's unrelated parts in no
    set order; in the opposite order a writer and a product change could deadlock)."""
    model = CreditUnitTotal if unit else CreditDayTotal
    table = connection.ops.quote_name(model._meta.db_table)
    key = ", ".join(model.KEY)
    width = len(model.KEY) - 2  # the key's columns before the product
    given = ", ".join(["%s"] * width)
    after = " EXISTS (SELECT 1 FROM counted)" if chained and unit else ""
    if subscription:
        subscriptions = connection.ops.quote_name(Subscription._meta.db_table)
        rows = (
            f"SELECT {given}, s.product_id, %s, %s, %s, %s FROM {subscriptions} s WHERE s.id = %s"
        )
        rows += f" AND{after}" if after else ""
    elif after:
        rows = f"SELECT {given}, %s, %s, %s, %s, %s WHERE{after}"
    else:
        rows = f"VALUES ({given}, %s, %s, %s, %s, %s)"
    returning = " RETURNING 1" if chained and not unit else ""
    sums = adding(model._meta.db_table, model.KEY, model.SUMS)
    return f"INSERT INTO {table} ({key}, {', '.join(model.SUMS)}) {rows}{sums}{returning}"


def write(entry: CreditEntry, *, also: Sequence[tuple[str, list[Any]]] = ()) -> None:
    """Insert `entry`, count it into its day and unit totals, and run `also`: more writes of
    the entry's transaction, as (SQL, parameters) (its timeline event). On PostgreSQL in one
    statement (the insert, the upserts and the others as parts of one WITH: one round trip, as
    the insert alone took); elsewhere (SQLite, a Citus coordinator, which does not plan a WITH
    that writes to a distributed and a local table) the insert, `count`, then the others."""
    if not citus.writes_combine():
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
    (day_sql, day_params), (unit_sql, unit_params) = _count_statements(entry, chained=True)
    # The unit's upsert reads "counted" by name (see _upsert_sql).
    parts = [("entry", insert_sql, insert_params), ("counted", day_sql, day_params)]
    parts += [("unit", unit_sql, unit_params)]
    parts += [(f"also_{n}", sql, params) for n, (sql, params) in enumerate(also)]
    with connection.cursor() as cursor:
        cursor.execute(*together(parts, answer="entry"))
        entry.pk = cursor.fetchone()[0]
    entry._state.adding = False
    entry._state.db = connection.alias


def _count_statements(entry: CreditEntry, *, chained: bool = False) -> list[tuple[str, list[Any]]]:
    """The upserts that count `entry` into its day total and then its unit total, with their
    parameters (`chained`: as parts of one WITH, see `_upsert_sql`)."""
    amount = entry.amount
    added, subtracted = (amount, ZERO) if amount > 0 else (ZERO, amount)
    slot = slot_of(entry.wallet_id)
    unit = [entry.credit_type, entry.currency, entry.activity]
    statements = []
    for key, is_unit in (([day_of(entry.created_at), *unit], False), (unit, True)):
        if entry.subscription_id is None:
            statements.append(
                (
                    _upsert_sql(unit=is_unit, chained=chained),
                    [*key, NO_PRODUCT, slot, 1, added, subtracted],
                )
            )
        else:
            statements.append(
                (
                    _upsert_sql(subscription=True, unit=is_unit, chained=chained),
                    [*key, slot, 1, added, subtracted, entry.subscription_id],
                )
            )
    return statements


def count(entry: CreditEntry) -> None:
    """Count `entry` into its day and unit totals, in the transaction that writes it (an insert
    of each row, or an addition to the row already there; the product read from the entry's
    subscription as it stands in this transaction)."""
    with connection.cursor() as cursor:
        for statement in _count_statements(entry):
            cursor.execute(*statement)


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
    # In key order, as any other mover takes the same rows (two changes at once cannot deadlock).
    rows = sorted(_grouped(CreditEntry.objects.filter(subscription=subscription)), key=_key)
    if not rows:
        return
    with connection.cursor() as cursor:
        for sign, product in ((-1, old_product_id), (1, subscription.product_id)):
            moved = [
                (_key(row, product), sign * row["n"], sign * row["plus"], sign * row["minus"])
                for row in rows
            ]
            cursor.executemany(_upsert_sql(), [[*key, *sums] for key, *sums in moved])
            # The unit totals: the same rows without their day.
            cursor.executemany(_upsert_sql(unit=True), [[*key[1:], *sums] for key, *sums in moved])
    CreditDayTotal.objects.filter(product_id=old_product_id, count=0).delete()
    CreditUnitTotal.objects.filter(product_id=old_product_id, count=0).delete()


def recomputed() -> dict[tuple, tuple[int, Decimal, Decimal]]:
    """Every day total and unit total as the entries give them now: {key: (count, added,
    subtracted)}, a unit total's key with None for its day."""
    days = {}
    units: dict[tuple, tuple[int, Decimal, Decimal]] = {}
    for row in _grouped(CreditEntry.objects.all()):
        key, sums = _key(row), (row["n"], row["plus"], row["minus"])
        days[key] = sums
        unit = (None, *key[1:])
        n, plus, minus = units.get(unit, (0, ZERO, ZERO))
        units[unit] = (n + sums[0], plus + sums[1], minus + sums[2])
    return days | units


def stored() -> dict[tuple, tuple[int, Decimal, Decimal]]:
    """Every day total and unit total as kept (rows that count nothing left out), keyed as
    `recomputed` keys them."""
    days = CreditDayTotal.objects.filter(count__gt=0).values_list(
        *CreditDayTotal.KEY, "count", "added", "subtracted"
    )
    units = CreditUnitTotal.objects.filter(count__gt=0).values_list(
        *CreditUnitTotal.KEY, "count", "added", "subtracted"
    )
    kept = {tuple(row[:6]): (row[6], row[7], row[8]) for row in days}
    return kept | {(None, *row[:5]): (row[5], row[6], row[7]) for row in units}


def rebuild(batch_size: int = 5000) -> int:
    """Replace every day total and unit total by the entries' (after a bulk load that bypassed
    the services); the number of rows written. Run it with the ledger quiet."""
    CreditDayTotal.objects.all().delete()
    CreditUnitTotal.objects.all().delete()
    days, units = [], []
    for key, (n, plus, minus) in recomputed().items():
        sums = {"count": n, "added": plus, "subtracted": minus}
        if key[0] is None:
            units.append(
                CreditUnitTotal(**dict(zip(CreditUnitTotal.KEY, key[1:], strict=True)), **sums)
            )
        else:
            days.append(CreditDayTotal(**dict(zip(CreditDayTotal.KEY, key, strict=True)), **sums))
    written = CreditDayTotal.objects.bulk_create(days, batch_size=batch_size)
    return len(written) + len(CreditUnitTotal.objects.bulk_create(units, batch_size=batch_size))
