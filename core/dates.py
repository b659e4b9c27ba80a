"""Times as the back-office takes them in: local days from the pages and filters, and instants
carried in cursors. Stored times are UTC; the active zone decides what a day is: the reader's own,
activated for each request (the site's `TIME_ZONE` for a reader who chose none)."""

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

if TYPE_CHECKING:
    from django.http import QueryDict


# The days a date filter or a report's period takes, the same on every page, CSV and API list:
# far enough either way for any ledger, near enough that every day of it, and the day after,
# is a valid instant in every time zone and in PostgreSQL (0001-01-01 in Stockholm starts in
# year 0 in UTC; 9999-12-31 has no day after it).
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)
DAY_OUT_OF_RANGE = f"Choose a date from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}."


def validate_filter_day(value: dt.date | None) -> None:
    """The one check of a date filter's day (ValidationError outside FIRST_DAY..LAST_DAY)."""
    if value is not None and not FIRST_DAY <= value <= LAST_DAY:
        raise ValidationError(DAY_OUT_OF_RANGE, code="day_out_of_range")


def local_day_bounds(
    date_from: dt.date | None, date_to: dt.date | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Inclusive local dates -> the half-open range of instants [start, end) they cover; None
    where that end is open."""
    tz = timezone.get_current_timezone()
    start = end = None
    if date_from:
        start = dt.datetime.combine(date_from, dt.time.min, tzinfo=tz)
    # The last date there is has no next day to stop before; nothing lies beyond it anyway.
    if date_to and date_to < dt.date.max:
        next_day = date_to + dt.timedelta(days=1)
        end = dt.datetime.combine(next_day, dt.time.min, tzinfo=tz)
    return start, end


def local_day_range(date_from: dt.date | None, date_to: dt.date | None, *, field: str) -> Q:
    """Inclusive local dates -> a half-open UTC range on `field`."""
    start, end = local_day_bounds(date_from, date_to)
    q = Q()
    if start is not None:
        q &= Q(**{f"{field}__gte": start})
    if end is not None:
        q &= Q(**{f"{field}__lt": end})
    return q


def aware_utc(value: dt.datetime | None) -> dt.datetime | None:
    """An aware time moved to UTC, or None for a naive time or one beyond the calendar.

    A cursor's time is compared with a column in SQL, so it must be aware; and PostgreSQL
    refuses UTC offsets beyond ±15:59 that Python accepts, so it travels in UTC.
    """
    if value is None or value.utcoffset() is None:
        return None
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        return None


def date_presets(today: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """The ranges a date filter offers in one click: (label, first day, last day), inclusive."""
    first_of_month = today.replace(day=1)
    last_month_end = first_of_month - dt.timedelta(days=1)
    return [
        ("Today", today, today),
        ("Last 7 days", today - dt.timedelta(days=6), today),
        ("Last 30 days", today - dt.timedelta(days=29), today),
        ("This month", first_of_month, today),
        ("Last month", last_month_end.replace(day=1), last_month_end),
    ]


def period_presets(today: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """The whole calendar periods a report offers in one click, around `today`: (label, first
    day, last day), inclusive."""
    first_of_month = today.replace(day=1)
    last_month_end = first_of_month - dt.timedelta(days=1)
    quarter_start = today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1)
    quarter_end = _month_end(quarter_start.replace(month=quarter_start.month + 2))
    last_quarter_end = quarter_start - dt.timedelta(days=1)
    last_quarter_start = last_quarter_end.replace(month=last_quarter_end.month - 2, day=1)
    return [
        ("This month", first_of_month, _month_end(today)),
        ("Last month", last_month_end.replace(day=1), last_month_end),
        ("This quarter", quarter_start, quarter_end),
        ("Last quarter", last_quarter_start, last_quarter_end),
        ("This year", today.replace(month=1, day=1), today.replace(month=12, day=31)),
    ]


def _month_end(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def preset_links(
    query: "QueryDict", presets: list[tuple[str, dt.date, dt.date]], *, fields: tuple[str, str]
) -> list[dict[str, Any]]:
    """The presets as links that set the two date `fields` and keep the rest of the query,
    each marked `chosen` when the query has exactly its dates."""
    start, end = fields
    links = []
    for label, first, last in presets:
        preset = query.copy()
        preset[start], preset[end] = first.isoformat(), last.isoformat()
        chosen = (query.get(start), query.get(end)) == (first.isoformat(), last.isoformat())
        links.append({"label": label, "query": preset.urlencode(), "chosen": chosen})
    return links
