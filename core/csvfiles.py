"""What every CSV file the back-office writes shares: UTF-8 with a byte-order mark (so that
Excel reads names with å, ä, ö), a header row, and text cells that a spreadsheet cannot take for
a formula. Files are produced as streams of bytes in chunks, so that a download of any size
runs in constant memory; the generators return the number of data rows they wrote.

A text cell that starts like a formula gets a leading `'`, which makes a spreadsheet show it as
text instead of running it (django-import-export's own escaping covers only `=`). "Starts"
looks past leading whitespace and zero-width characters (` =HYPERLINK(...)` is a formula to
some spreadsheets), and counts the fullwidth forms of = + - @ too.
"""

import csv
import io
from collections.abc import Generator, Iterable, Sequence
from typing import Any

from django.db.models import Case, CharField, F, Func, Value, When
from django.db.models.functions import Concat, NullIf, Ord
from django.db.models.lookups import In

BOM = "\ufeff"
# A cell starting with one of these is read as a formula by Excel, LibreOffice or Sheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Skipped before looking at the first character: whitespace and the zero-width characters.
LEADING = " \t\r\n\x0b\x0c\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
LEADING += "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\u200b\u200c\u200d\u2060\ufeff"
# Compared as code points: ASCII()/UNICODE() of the first character costs a third of LEFT() IN.
FORMULA_CODES = [ord(character) for character in FORMULA_START]
CHUNK_ROWS = 2000


def safe_cell(value: object) -> object:
    """A cell as written: text that starts like a formula gets a leading quote."""
    if isinstance(value, str) and (
        value.startswith(FORMULA_START) or value.lstrip(LEADING).startswith(FORMULA_START)
    ):
        return "'" + value
    return value


def safe_text(name: str) -> Case:
    """The same guard in SQL, for a text column: empty as empty (NULL), and a leading quote on
    a value that starts like a formula. For files that the database writes (COPY)."""
    cell = F(name)
    trimmed = Func(cell, Value(LEADING), function="LTRIM", output_field=CharField())
    return Case(
        When(In(Ord(cell), FORMULA_CODES), then=Concat(Value("'"), cell)),
        When(In(Ord(trimmed), FORMULA_CODES), then=Concat(Value("'"), cell)),
        default=NullIf(cell, Value("")),
        output_field=CharField(),
    )


def header_bytes(columns: Sequence[str]) -> bytes:
    """The file's start: the byte-order mark and the header row."""
    buffer = io.StringIO()
    buffer.write(BOM)
    csv.writer(buffer, lineterminator="\n").writerow(columns)
    return buffer.getvalue().encode()


def write_rows(
    rows: Iterable[Sequence[Any]], *, chunk_rows: int = CHUNK_ROWS, guard: bool = True
) -> Generator[bytes, None, int]:
    """Rows as CSV bytes in chunks of `chunk_rows` rows, every text cell guarded (unless the
    rows come guarded already: `guard=False`); the generator returns the number of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    count = 0
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row] if guard else row)
        count += 1
        if count % chunk_rows == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()
    return count
