"""The Recent Activity CSV download: an account's filtered events, streamed in constant memory.

One row per event, newest first like the page: the time in the reader's zone (the header
names it; `?utc=1` gives UTC) with its offset,
the event's unique ID, the type's title and category, the actor, then the attributes as
`Label: value` pairs (the registry's labels and order) and the message kept from a migrated
legacy entry. The rows are read through a server-side cursor in chunks (`iterator`) and
written by `core.csvfiles`, which adds the byte-order mark and guards every text cell
against being read as a spreadsheet formula.
"""

import json
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import timezone

from activity.models import ActivityEvent
from activity.registry import REGISTRY, Kind, change_text
from core.csvfiles import CHUNK_ROWS, header_bytes, write_rows

if TYPE_CHECKING:
    from accounts.models import Account

FIELDS = ("occurred_at", "id", "type", "actor_name", "data", "message")


def header() -> list[str]:
    return [
        f"Time ({timezone.get_current_timezone_name()})",
        "Unique ID",
        "Type",
        "Category",
        "Actor",
        "Attributes",
        "Message",
    ]


def _value(kind: Kind, value: Any) -> str:
    if kind == Kind.MONEY:
        return f"{value['amount']} {value['currency']}"
    if kind == Kind.TEXT_LIST:
        return ", ".join(value)
    if kind == Kind.CHANGES:
        return change_text(value)
    return str(value)


def attributes_text(type_code: str, data: dict[str, Any]) -> str:
    """`Label: value; Label: value` in the registry's order (unknown types: keys as given)."""
    event_type = REGISTRY.get(type_code)
    if event_type is None:
        return "; ".join(f"{key}: {value}" for key, value in data.items())
    return "; ".join(
        f"{attr.label}: {_value(attr.kind, data[attr.key])}"
        for attr in event_type.attributes
        if attr.key in data
    )


def _rows(events: QuerySet) -> Iterator[list[Any]]:
    zone = timezone.get_current_timezone()
    for occurred_at, pk, type_code, actor, data, message in events.values_list(*FIELDS).iterator(
        chunk_size=CHUNK_ROWS
    ):
        event_type = REGISTRY.get(type_code)
        yield [
            occurred_at.astimezone(zone).isoformat(),
            str(pk),
            event_type.title if event_type else type_code,
            event_type.category.value if event_type else "",
            actor,
            attributes_text(type_code, data or {}),
            message,
        ]


def csv_rows(events: QuerySet) -> Generator[bytes, None, int]:
    """The file's bytes, header first; the generator returns the number of event rows."""
    yield header_bytes(header())
    return (yield from write_rows(_rows(events)))


def _json_lines(events: QuerySet) -> Generator[bytes, None, int]:
    """One JSON object per line and event, with its attributes as stored (keys, not labels);
    the generator returns the number of events."""
    count = 0
    lines: list[str] = []
    fields = ("id", "type", "occurred_at", "recorded_at", "actor_name", "data", "message")
    for values in events.values_list(*fields).iterator(chunk_size=CHUNK_ROWS):
        row = dict(zip(fields, values, strict=True))
        lines.append(json.dumps(row, default=str, ensure_ascii=False))
        count += 1
        if len(lines) == CHUNK_ROWS:
            yield ("\n".join(lines) + "\n").encode()
            lines = []
    if lines:
        yield ("\n".join(lines) + "\n").encode()
    return count


def customer_files(account: "Account") -> Iterator[tuple[str, Generator[bytes, None, int]]]:
    """The timeline's part of a customer's data export (core.personal_data): the events as
    the CSV download writes them, and as stored (JSON Lines), newest first."""
    events = ActivityEvent.objects.filter(account=account).order_by("-occurred_at", "-id")
    yield "timeline_events.csv", csv_rows(events)
    yield "timeline_events.jsonl", _json_lines(events)
