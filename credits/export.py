"""The Credit Activity CSV download: exactly the filtered entries, streamed in constant memory.

On PostgreSQL the filtered queryset is compiled to SQL and run as `COPY (...) TO STDOUT` through
psycopg 3: the database formats every cell and the view only passes its bytes on, so the
download runs close to the speed of COPY itself. Elsewhere (the SQLite file of `make run`) the
same columns come from a cursor that fetches in chunks and Python's csv module. Both give the
same file: a header naming the time zone, ISO 8601 times with their offset, plain decimal
amounts with the unit's minor units, ISO currency codes, and text cells that cannot turn into
spreadsheet formulas.

tablib (under django-import-export) builds the whole file in memory, so it is not used here.

A download too large to stream is written by the background worker (`write_file`): the same
bytes, read in slices of the same ordered rows (ranges of the time index), so that no single
transaction stays open for the whole file and the job can report its progress between slices.
"""

from array import array
from collections.abc import Callable, Generator, Iterator
from typing import IO, TYPE_CHECKING, Any

from django.db import connections, transaction
from django.db.models import (
    Case,
    CharField,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import NullIf, Round
from django.utils import timezone

from core import money
from core.csvfiles import header_bytes, safe_text, write_rows
from credits.models import Activity, CreditEntry, CreditType, GiftCardStatus

if TYPE_CHECKING:
    from accounts.models import Account

CHUNK_BYTES = 64 * 1024
PYTHON_CHUNK_ROWS = 2000
# The rows of one query of a file written in the background, and the orders it may have.
BACKGROUND_SLICE_ROWS = 50_000
NEWEST_FIRST = ("-created_at", "-id")
OLDEST_FIRST = ("created_at", "id")
# The columns whose cells are rendered in Python on the portable path (indexes below).
DATE, AMOUNT, CURRENCY, BALANCE = 0, 8, 9, 10


def header() -> list[str]:
    return [
        f"Date ({timezone.get_current_timezone_name()})",
        "Account ID",
        "Account name",
        "Account email",
        "Type",
        "Activity",
        "Gift card",
        "Gift card status",
        "Amount",
        "Currency",
        "Balance",
        "Transaction",
        "Subscription",
        "Subscription name",
        "Note",
        "By",
        "Approved by",
    ]


def _label(name: str, choices) -> Case:
    return Case(
        *[When(**{name: value}, then=Value(label)) for value, label in choices],
        default=Value(None),
        output_field=CharField(),
    )


def _scale() -> Case:
    """Each row's decimals: none for tokens, the currency's minor units otherwise."""
    return Case(
        When(credit_type=CreditType.TOKEN, then=Value(0)),
        *[
            When(currency__in=codes, then=Value(digits))
            for digits, codes in money.scale_groups().items()
        ],
        default=Value(2),
        output_field=IntegerField(),
    )


def _local_iso(name: str) -> Func:
    """ISO 8601 to the second in the session's time zone and DateStyle, which `_copy_rows`
    sets: 2026-11-21T09:30:00+01:00. Built from the ISO text cast plus the offset, because a
    full to_char pattern cost more than all the row's other formatting together."""
    return Func(
        F(name),
        template=(
            "replace(date_trunc('second', %(expressions)s)::timestamp::text, ' ', 'T')"
            " || to_char(%(expressions)s, 'TZH:TZM')"
        ),
        output_field=CharField(),
    )


def export_rows(entries: QuerySet, *, in_sql: bool) -> QuerySet:
    """The CSV's columns as a values_list of the filtered entries, in the header's order.
    `in_sql` formats the date and amounts in PostgreSQL too (for COPY)."""
    date = _local_iso("created_at") if in_sql else F("created_at")
    # Round() takes an expression for its precision; the stubs know only a number.
    scale: Any = _scale()
    amount = Round(F("amount"), scale) if in_sql else F("amount")
    balance = Round(F("balance_after"), scale) if in_sql else F("balance_after")
    return entries.values_list(
        date,
        "account__customer_number",
        safe_text("account__name"),
        safe_text("account__email"),
        _label("credit_type", CreditType.choices),
        _label("activity", Activity.choices),
        safe_text("gift_card"),
        _label("gift_card_status", GiftCardStatus.choices),
        amount,
        NullIf(F("currency"), Value("")),
        balance,
        safe_text("transaction_id"),
        safe_text("subscription__order_id"),
        safe_text("subscription__product__name"),
        safe_text("note"),
        safe_text("actor_name"),
        safe_text("approved_by_name"),
    )


def _set_local(cursor: Any, name: str, value: str) -> None:
    """Set `name` for the rest of the transaction: a SET LOCAL, which a Citus coordinator also
    passes on to the workers that run the query (a set_config() would stay on it)."""
    literal = value.replace("'", "''")
    cursor.execute(f"SET LOCAL \"{name}\" = '{literal}'")


def _copy_rows(entries: QuerySet) -> Generator[bytes, None, int]:
    """COPY the rows out of PostgreSQL, passing its CSV on in chunks; returns the row count."""
    sql, params = export_rows(entries, in_sql=True).query.sql_with_params()
    connection = connections[entries.db]
    with transaction.atomic(using=entries.db), connection.cursor() as cursor:
        # Local to this transaction (and undone with it on an error): times are written in
        # the reader's zone, in ISO style (which psycopg also needs, so it may outlive us).
        _set_local(cursor, "TimeZone", timezone.get_current_timezone_name())
        _set_local(cursor, "DateStyle", "ISO, YMD")
        raw = cursor.cursor  # the psycopg 3 cursor under Django's wrapper
        with raw.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
            # PostgreSQL sends a message per row; pass them on in chunks of about 64 KB.
            chunk = bytearray()
            for row in copy:
                chunk += row
                if len(chunk) >= CHUNK_BYTES:
                    yield bytes(chunk)
                    chunk.clear()
            if chunk:
                yield bytes(chunk)
        rows = raw.rowcount
        # Inside a caller's transaction the setting would outlive this block: put it back.
        _set_local(cursor, "TimeZone", connection.timezone_name)
    return rows


def _python_rows(entries: QuerySet) -> Generator[bytes, None, int]:
    """The same CSV from a chunked cursor and Python's csv module; returns the row count. The
    text cells come guarded from the query already."""

    def formatted() -> Iterator[list[Any]]:
        for values in export_rows(entries, in_sql=False).iterator(chunk_size=PYTHON_CHUNK_ROWS):
            row = list(values)
            unit = row[CURRENCY] or ""
            row[DATE] = timezone.localtime(row[DATE]).isoformat(timespec="seconds")
            row[AMOUNT] = money.plain(row[AMOUNT], unit)
            row[BALANCE] = money.plain(row[BALANCE], unit)
            yield row

    return (yield from write_rows(formatted(), chunk_rows=PYTHON_CHUNK_ROWS, guard=False))


def csv_rows(entries: QuerySet, *, use_copy: bool | None = None) -> Generator[bytes, None, int]:
    """The file's bytes, header first; the generator returns the number of entry rows."""
    if use_copy is None:
        use_copy = connections[entries.db].vendor == "postgresql"
    yield header_bytes(header())
    rows = _copy_rows(entries) if use_copy else _python_rows(entries)
    return (yield from rows)


def entry_ids(entries: QuerySet) -> array:
    """The IDs of the filtered entries in the file's order (8 bytes each: a million entries
    take 8 MB): where the file's slices begin, and how many rows it will have."""
    ids = array("q")
    ids.extend(entries.values_list("pk", flat=True).iterator(chunk_size=10_000))
    return ids


def _drain(chunks: Generator[bytes, None, int], out: IO[bytes]) -> int:
    while True:
        try:
            out.write(next(chunks))
        except StopIteration as stop:
            return int(stop.value)


def _slices(entries: QuerySet, ids: array) -> Iterator[QuerySet]:
    """The filtered entries in slices of BACKGROUND_SLICE_ROWS, each a range of the file's
    order (time, then ID) from the key of its first row to the next slice's: read through the
    time index as the streamed file is, with no list of IDs sent to the database."""
    order = tuple(str(field) for field in entries.query.order_by)
    if order not in (NEWEST_FIRST, OLDEST_FIRST):
        raise ValueError(f"A file in slices is ordered by time and ID, not {order}")
    starts = ids[::BACKGROUND_SLICE_ROWS].tolist()
    created = dict(
        CreditEntry.objects.using(entries.db).filter(pk__in=starts).values_list("pk", "created_at")
    )
    keys = [(created[pk], pk) for pk in starts]
    if not keys:
        return  # nothing matches: the file is its header
    for first, following in zip(keys, [*keys[1:], None], strict=True):
        piece = entries.filter(_from(first, order))
        yield piece if following is None else piece.exclude(_from(following, order))


def _from(key: tuple[Any, int], order: tuple[str, ...]) -> Q:
    """The entries at `key` (time, ID) or after it in `order`, with the plain time bound that
    lets the time index serve the range."""
    created, pk = key
    if order == NEWEST_FIRST:
        return Q(created_at__lte=created) & (
            Q(created_at__lt=created) | Q(created_at=created, id__lte=pk)
        )
    return Q(created_at__gte=created) & (
        Q(created_at__gt=created) | Q(created_at=created, id__gte=pk)
    )


def write_file(
    entries: QuerySet,
    ids: array,
    out: IO[bytes],
    *,
    progress: Callable[[int], None],
    use_copy: bool | None = None,
) -> int:
    """Write the CSV of `entries` (newest or oldest first; `ids`: their `entry_ids`) to `out`,
    byte for byte the file `csv_rows` streams, a slice at a time, each its own short query;
    call `progress` with the rows written after each slice. Returns the number of entry rows."""
    if use_copy is None:
        use_copy = connections[entries.db].vendor == "postgresql"
    out.write(header_bytes(header()))
    written = 0
    for piece in _slices(entries, ids):
        written += _drain(_copy_rows(piece) if use_copy else _python_rows(piece), out)
        progress(written)
    return written


def customer_files(account: "Account") -> Iterator[tuple[str, Generator[bytes, None, int]]]:
    """The ledger's part of a customer's data export (core.personal_data): every entry of the
    account, oldest first (the order of its running balances), as Credit Activity's CSV."""
    entries = CreditEntry.objects.filter(account=account).order_by("created_at", "id")
    yield "ledger_entries.csv", csv_rows(entries)
