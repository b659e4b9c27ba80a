"""Reading legacy Account History files into tablib datasets, keeping each row's line number.

The file is CSV in UTF-8 (a byte-order mark is allowed) with the header row of `COLUMNS`, in any
order. The header is checked before any row is read: a file with other columns is refused by
their names. A row with the wrong number of fields is kept (padded or cut to the header's width)
and marked malformed, so that the import reports it on its line with the other bad rows.
"""

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO

from tablib import Dataset

COLUMNS = ("id", "event", "type", "message", "producer", "proprietor", "created_at", "updated_at")
HEADER = ",".join(COLUMNS)


class LegacyFileError(ValueError):
    """The file cannot be read as a legacy history file; the message says why and where."""


def check_header(names: list[str]) -> list[str]:
    """The header's column names, stripped; raises LegacyFileError naming what is wrong."""
    names = [name.strip() for name in names]
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        listed = ", ".join(f"“{name}”" for name in unknown)
        raise LegacyFileError(f"Unknown column {listed}: the header must be {HEADER}.")
    missing = [name for name in COLUMNS if name not in names]
    if missing:
        listed = ", ".join(f"“{name}”" for name in missing)
        raise LegacyFileError(f"Missing column {listed}: the header must be {HEADER}.")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        listed = ", ".join(f"“{name}”" for name in repeated)
        raise LegacyFileError(f"Column {listed} appears twice: the header must be {HEADER}.")
    return names


def _records(lines: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """(the line a record starts on, its fields) for each non-blank CSV record."""
    reader = csv.reader(lines, strict=True)
    start = 1
    try:
        for fields in reader:
            if fields and any(field.strip() for field in fields):
                yield start, fields
            start = reader.line_num + 1
    except csv.Error as exc:
        raise LegacyFileError(f"Line {reader.line_num}: not valid CSV ({exc}).") from exc


def text_lines(stream: BinaryIO, progress: Callable[[int], None] | None = None) -> Iterator[str]:
    """The file's lines decoded as UTF-8 (without a byte-order mark); `progress(bytes)` is called
    for each line read. A line that is not UTF-8 stops the reading with its line number."""
    for number, raw in enumerate(stream, 1):
        if progress:
            progress(len(raw))
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise LegacyFileError(
                f"Line {number} is not UTF-8 text: save the file as UTF-8 and try again."
            ) from None
        yield text.removeprefix("\ufeff") if number == 1 else text


def read_batches(lines: Iterable[str], *, batch_size: int | None = None) -> Iterator[Dataset]:
    """Datasets of at most `batch_size` rows (all rows in one if None).

    Each dataset carries `line_numbers` (the file line of each row) and `malformed` (row number,
    counted from 1 as django-import-export counts them, -> message).
    """
    records = _records(lines)
    try:
        _, header = next(records)
    except StopIteration:
        raise LegacyFileError(f"The file is empty: it needs the header row {HEADER}.") from None
    headers = check_header(header)
    width = len(headers)
    batch = _new_batch(headers)
    for line, fields in records:
        if len(fields) != width:
            batch.malformed[len(batch) + 1] = (
                f"The row has {len(fields)} fields where the header has {width}; "
                "a message with commas or line breaks must be in double quotes."
            )
            fields = (fields + [""] * width)[:width]
        batch.append(fields)
        batch.line_numbers.append(line)
        if batch_size and len(batch) >= batch_size:
            yield batch
            batch = _new_batch(headers)
    if len(batch) or batch_size is None:
        yield batch


def read_dataset(text: str) -> Dataset:
    """The whole file as one dataset (for the admin's upload)."""
    # Only \n, \r\n and \r end a line (not the other separators str.splitlines knows).
    return next(read_batches(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def _new_batch(headers: list[str]) -> Dataset:
    batch = Dataset(headers=headers)
    batch.line_numbers = []
    batch.malformed = {}
    return batch
