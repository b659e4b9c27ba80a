"""The CSV file of the credit journal (credits.journal): one row per journal line, for
accounting software to import. Streamed like every CSV here (core.csvfiles): a header naming
the time zone the period's days are in, plain decimal amounts with the currency's minor units,
text cells that cannot turn into formulas. The generator returns the number of rows."""

from collections.abc import Generator, Iterator
from typing import Any

from django.utils import timezone

from core import money
from core.csvfiles import header_bytes, write_rows
from credits.journal import JournalLine, movement_label


def journal_header() -> list[str]:
    zone = timezone.get_current_timezone_name()
    return [
        f"From ({zone})",
        f"To ({zone})",
        "Currency",
        "Debit account",
        "Debit account name",
        "Credit account",
        "Credit account name",
        "Amount",
        "Entries",
        "Movement",
        "Memo",
    ]


def journal_rows(lines: list[JournalLine]) -> Generator[bytes, None, int]:
    """The journal's lines, header first."""
    yield header_bytes(journal_header())

    def rows() -> Iterator[list[Any]]:
        for line in lines:
            yield [
                line.period.first.isoformat(),
                line.period.last.isoformat(),
                line.currency,
                line.debit_code,
                line.debit_name,
                line.credit_code,
                line.credit_name,
                money.plain(line.amount, line.currency),
                line.entries,
                movement_label(line),
                line.memo,
            ]

    # Account codes come from the settings: guarded like any text.
    return (yield from write_rows(rows()))
