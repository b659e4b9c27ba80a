"""The Legacy mode CSV download: an account's filtered legacy entries, newest first like the
page, streamed in constant memory with every text cell guarded (core.csvfiles)."""

from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import timezone

from core.csvfiles import CHUNK_ROWS, header_bytes, write_rows
from legacy_history.models import LegacyEntry, producer_label

if TYPE_CHECKING:
    from accounts.models import Account

FIELDS = ("created_at", "source_id", "event_name", "type", "message", "producer", "updated_at")
TYPES = dict(LegacyEntry.Type.choices)


def header() -> list[str]:
    zone = timezone.get_current_timezone_name()
    return [
        f"Created ({zone})",
        "Source ID",
        "Event",
        "Type",
        "Message",
        "Producer",
        f"Updated ({zone})",
    ]


def _rows(entries: QuerySet[LegacyEntry]) -> Iterator[list[Any]]:
    zone = timezone.get_current_timezone()
    rows = entries.values_list(*FIELDS).iterator(chunk_size=CHUNK_ROWS)
    for created_at, source_id, event_name, type_code, message, producer, updated_at in rows:
        yield [
            created_at.astimezone(zone).isoformat(),
            source_id,
            event_name,
            TYPES.get(type_code, type_code),
            message,
            producer_label(producer),
            updated_at.astimezone(zone).isoformat() if updated_at else "",
        ]


def csv_rows(entries: QuerySet[LegacyEntry]) -> Generator[bytes, None, int]:
    """The file's bytes, header first; the generator returns the number of entry rows."""
    yield header_bytes(header())
    return (yield from write_rows(_rows(entries)))


def customer_files(account: "Account") -> Iterator[tuple[str, Generator[bytes, None, int]]]:
    """Legacy history's part of a customer's data export (core.personal_data): every old
    entry of the account, migrated into the timeline or not, newest first."""
    entries = LegacyEntry.objects.for_account(account).order_by("-created_at", "-id")
    yield "legacy_history.csv", csv_rows(entries)
