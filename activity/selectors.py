"""Reads of the timeline, shared by the Recent Activity page and the API."""

import base64
import binascii
import datetime as dt
import uuid
from dataclasses import dataclass
from itertools import groupby
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils import timezone

from activity.models import ActivityEvent

if TYPE_CHECKING:
    from accounts.models import Account
from core.dates import aware_utc

PAGE_SIZE = 25

# What the account page's header reads from the timeline.
CREDIT_CONTROL_TYPES = ("credit_control_cycle_entered", "credit_control_cycle_exited")
PAYMENT_TYPES = ("subscription_billing_success", "additional_payment_made", "manual_charge_added")


class InvalidCursor(ValueError):
    """A cursor that was not made by `encode_cursor` (edited, truncated, or from elsewhere)."""


def events_for_account(account: "Account") -> QuerySet[ActivityEvent]:
    """The account's events, newest first. Rows carry everything a page shows (the actor's name
    and the attributes are stored on the event), so no join is needed."""
    return ActivityEvent.objects.for_account(account).newest_first()


def latest_event(account: "Account", types: tuple[str, ...]) -> ActivityEvent | None:
    """The account's newest event of one of `types` (one query, from the account-type index)."""
    return events_for_account(account).filter(type__in=types).first()


# --- Keyset pagination ----------------------------------------------------------------------
# A cursor names an edge event (its occurred_at and id) and a direction: "o" pages to older
# events, "n" to newer ones. Pages cost the same at any depth because the query starts at the
# cursor in the (account, occurred_at, id) index instead of counting rows from the top.


def encode_cursor(direction: str, event: ActivityEvent) -> str:
    raw = f"{direction}|{event.occurred_at.isoformat()}|{event.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, dt.datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        direction, stamp, pk = base64.urlsafe_b64decode(padded).decode().split("|")
        when = aware_utc(dt.datetime.fromisoformat(stamp))
        if direction not in ("o", "n") or when is None:
            raise ValueError
        return direction, when, uuid.UUID(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCursor("This page link is not valid; showing the newest activity.") from exc


@dataclass
class KeysetPage:
    events: list[ActivityEvent]
    older_cursor: str | None
    newer_cursor: str | None

    @property
    def days(self) -> list[tuple[dt.date, list[ActivityEvent]]]:
        """The page's events grouped by their local day, newest day first."""
        return [
            (day, list(items))
            for day, items in groupby(self.events, key=lambda e: timezone.localdate(e.occurred_at))
        ]


# The edges of a timeline, as cursors: "before the end of a day" and "from the very start".
_FIRST_ID = uuid.UUID(int=0)
_LAST_ID = uuid.UUID(int=2**128 - 1)
_START = dt.datetime(1, 1, 2, tzinfo=dt.UTC)


def day_cursor(day: dt.date) -> str:
    """The cursor of the page that starts with the newest event on or before local `day`."""
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)
    end = timezone.make_aware(end, timezone.get_current_timezone())
    raw = f"o|{end.isoformat()}|{_LAST_ID}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


OLDEST_CURSOR = (
    base64.urlsafe_b64encode(f"n|{_START.isoformat()}|{_FIRST_ID}".encode()).decode().rstrip("=")
)


def keyset_page(events: QuerySet, cursor: str | None, size: int = PAGE_SIZE) -> KeysetPage:
    """One page of `events` (ordered newest first) after or before `cursor`.

    Events of the same time keep one order, by their ID, on every page and every load.
    `OLDEST_CURSOR` gives the oldest page; `day_cursor` the page that starts at a day.
    Raises InvalidCursor for a malformed cursor.
    """
    if not cursor:
        rows = list(events.order_by("-occurred_at", "-id")[: size + 1])
        return _page(rows[:size], has_older=len(rows) > size, has_newer=False)
    direction, when, pk = decode_cursor(cursor)
    if direction == "o":
        # `<=` on the time alone is the index range; the OR settles ties on the id.
        rows = list(
            events.filter(occurred_at__lte=when)
            .filter(Q(occurred_at__lt=when) | Q(id__lt=pk))
            .order_by("-occurred_at", "-id")[: size + 1]
        )
        return _page(rows[:size], has_older=len(rows) > size, has_newer=True)
    rows = list(
        events.filter(occurred_at__gte=when)
        .filter(Q(occurred_at__gt=when) | Q(id__gt=pk))
        .order_by("occurred_at", "id")[: size + 1]
    )
    page = rows[:size][::-1]
    return _page(page, has_older=cursor != OLDEST_CURSOR, has_newer=len(rows) > size)


def _page(events: list[ActivityEvent], *, has_older: bool, has_newer: bool) -> KeysetPage:
    return KeysetPage(
        events=events,
        older_cursor=encode_cursor("o", events[-1]) if events and has_older else None,
        newer_cursor=encode_cursor("n", events[0]) if events and has_newer else None,
    )
