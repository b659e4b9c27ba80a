"""The staff activity CSV: the filtered rows, streamed in chunks through core.csvfiles (the
same byte-order mark, header and formula guard as every file the back-office writes). The
record is small next to the ledger, so a chunked cursor and Python's csv module serve it."""

from collections.abc import Generator, Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from core.csvfiles import CHUNK_ROWS, header_bytes, write_rows
from staff.models import StaffEvent


def header() -> list[str]:
    return [
        f"When ({timezone.get_current_timezone_name()})",
        "Kind",
        "Who",
        "Who (username)",
        "Whom (username)",
        "What",
        "From address",
    ]


def _rows(events: "QuerySet[StaffEvent]") -> Iterator[list[Any]]:
    for event in events.select_related("actor").iterator(chunk_size=CHUNK_ROWS):
        yield [
            timezone.localtime(event.occurred_at).isoformat(timespec="seconds"),
            event.get_kind_display(),
            event.actor_name,
            event.actor.get_username() if event.actor_id and event.actor else "",
            event.subject_name,
            event.description,
            event.address or "",
        ]


def csv_rows(events: "QuerySet[StaffEvent]") -> Generator[bytes, None, int]:
    """The file's bytes, header first; the generator returns the number of rows."""
    yield header_bytes(header())
    return (yield from write_rows(_rows(events)))
