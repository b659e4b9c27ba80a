"""Reads of the timeline, shared by the Recent Activity page and the API."""

import datetime as dt
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from itertools import groupby
from typing import TYPE_CHECKING, Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Func, Q, QuerySet, TextField, Value
from django.db.models.expressions import RawSQL
from django.utils import timezone

from activity.models import ActivityEvent, EventMonthCount, month_of
from core import paging
from core.dates import local_day_bounds
from core.lookups import FOLD
from core.paging import NEWER, OLDER, START, encode_cursor

if TYPE_CHECKING:
    from accounts.models import Account

PAGE_SIZE = 25

# What the account page's header reads from the timeline.
CREDIT_CONTROL_TYPES = ("credit_control_cycle_entered", "credit_control_cycle_exited")
PAYMENT_TYPES = ("subscription_billing_success", "additional_payment_made", "manual_charge_added")


def events_for_account(account: "Account") -> QuerySet[ActivityEvent]:
    """The account's events, newest first. Rows carry everything a page shows (the actor's name
    and the attributes are stored on the event), so no join is needed."""
    return ActivityEvent.objects.for_account(account).newest_first()


def latest_event(account: "Account", types: tuple[str, ...]) -> ActivityEvent | None:
    """The account's newest event of one of `types` (one query, from the account-type index)."""
    return events_for_account(account).filter(type__in=types).first()


# --- Keyset pagination ----------------------------------------------------------------------
# The timeline pages by core.paging's keyset cursor over (occurred_at, id), which the
# (account, occurred_at, id) index serves at any depth.


@dataclass
class TimelinePage:
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


def day_cursor(day: dt.date) -> str:
    """The cursor of the page that starts with the newest event on or before local `day`."""
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)
    return encode_cursor(OLDER, timezone.make_aware(end, timezone.get_current_timezone()), _LAST_ID)


OLDEST_CURSOR = encode_cursor(NEWER, START, _FIRST_ID)


def keyset_page(
    events: QuerySet,
    cursor: str | None,
    size: int = PAGE_SIZE,
    *,
    since: dt.datetime | None = None,
) -> TimelinePage:
    """One page of `events` after or before `cursor`, newest first (core.paging.keyset_page;
    `since`: where the page's rows are expected to start, `TimelineTotal.since`).

    `OLDEST_CURSOR` gives the oldest page; `day_cursor` the page that starts at a day.
    Raises InvalidCursor for a malformed cursor.
    """
    page = paging.keyset_page(events, cursor, size=size, time="occurred_at", since=since)
    return TimelinePage(page.rows, page.older_cursor, page.newer_cursor)


# --- Live: what was recorded above an open newest page ---------------------------------------
# An open page remembers its newest event as a cursor going newer (`live_cursor`); the events
# after it are the new ones, read from the (account, occurred_at, id) index like any page. An
# event recorded with an earlier occurred-at (an integration's late report) sorts below the
# page's top and is not announced; the page shows it when reloaded.

# How many new events a poll counts at most (the page then says "99+"), and how many one click
# loads (the rest are announced again by the next poll).
NEW_EVENTS_CAP = 99
NEW_EVENTS_LOAD = 50


def live_cursor(page: TimelinePage) -> str:
    """The cursor after which events are new to an open newest `page` (its newest event; for
    an empty page, the start of time)."""
    if not page.events:
        return OLDEST_CURSOR
    newest = page.events[0]
    return encode_cursor(NEWER, newest.occurred_at, newest.pk)


def newer_than(events: QuerySet, after: str) -> QuerySet:
    """The rows of `events` newer than the cursor `after` (made by `live_cursor`). Raises
    InvalidCursor for a malformed cursor or one that goes older."""
    direction, when, key = paging.decode_cursor(after, events)
    if direction != NEWER:
        raise paging.InvalidCursor(after)
    # `>=` on the time alone is the index range; the OR settles ties on the key.
    return events.filter(occurred_at__gte=when).filter(Q(occurred_at__gt=when) | Q(pk__gt=key))


def new_events_count(events: QuerySet, after: str, cap: int = NEW_EVENTS_CAP) -> int:
    """How many of `events` are newer than `after`, counting at most `cap` and one more (one
    query, however many there are). Raises InvalidCursor as `newer_than`."""
    return newer_than(events, after).order_by()[: cap + 1].count()


def new_events_page(events: QuerySet, after: str, size: int = NEW_EVENTS_LOAD) -> TimelinePage:
    """The oldest `size` events newer than `after`, newest first, with `newer_cursor` set when
    more follow them (one query). Raises InvalidCursor as `newer_than`."""
    newer_than(events, after)  # refuses a cursor going older before the page reads
    return keyset_page(events, after, size=size)


def page_end(cursor: str | None, date_to: dt.date | None) -> dt.datetime | None:
    """The instant before which a page going older reads (its cursor's time, or the end of the
    date filter), for `timeline_total`'s window; None for the newest page of an open range and
    for a page going newer (or a cursor that is no cursor: the page reports it)."""
    end = local_day_bounds(None, date_to)[1]
    if cursor:
        try:
            direction, when, _key = paging.decode_cursor(cursor, ActivityEvent.objects.all())
        except paging.InvalidCursor:
            return None
        if direction != paging.OLDER:
            return None
        end = when if end is None else min(end, when)
    return end


# --- Totals ---------------------------------------------------------------------------------------
# How many of an account's events match the timeline's filters, in one query that never counts
# the account's whole history: the month counts (EventMonthCount, by type and actor kind) give
# every whole month of the range, and a month the range covers in part is counted from the
# events through the (account, [type,] occurred_at) indexes — the part itself, or, when it is
# most of the month, the month's count less the rest.


@dataclass(frozen=True)
class TimelineTotal:
    count: int
    # The start of the months that hold a page of matching events before the page's end (the
    # window `keyset_page` reads first: on PostgreSQL those months' partitions alone); None
    # when there are fewer, or no window was asked for.
    since: dt.datetime | None = None
    # More than `count` match (a search counts up to SEARCH_CAP).
    more: bool = False

    def __str__(self) -> str:
        if self.more:
            return f"{self.count:,}+ events"
        return f"{self.count:,} event{'' if self.count == 1 else 's'}"


def timeline_total(
    account: "Account",
    *,
    types: Collection[str] | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    actor: str | None = None,
    window: tuple[dt.datetime | None, int] | None = None,
) -> TimelineTotal:
    """How many of the account's events match: of `types` (None: every type), on the local days
    `date_from`..`date_to` (inclusive, either may be open), by `actor` (an actor kind, or None).
    One query, whose cost grows with the account's months and types, not with its events.

    With `window` (end, rows), the same query also finds `since`: the start of the latest
    month such that the matching events of the months from it up to the one before `end`'s
    (every month, for no `end`) number `rows` or more. The month of `end` itself is left out
    of the sum (its events after `end` are not on the page) but lies inside the window."""
    if types is not None and not types:
        return TimelineTotal(0)
    connection = connections[router.db_for_read(ActivityEvent)]
    name = connection.ops.quote_name
    # What every term matches: the account, and the types and actor kind when given.
    match: list[str] = [f"{name('account_id')} = %s"]
    match_params: list[Any] = [account.pk]
    if types is not None:
        match.append(f"{name('type')} IN ({', '.join(['%s'] * len(types))})")
        match_params.extend(sorted(types))
    if actor:
        match.append(f"{name('actor_kind')} = %s")
        match_params.append(actor)
    sql, params = ["0"], []
    for sign, lower, upper in _terms(*local_day_bounds(date_from, date_to)):
        part, part_params = _term_sql(connection, match, lower, upper)
        sql.append(f"{'+' if sign > 0 else '-'} COALESCE(({part}), 0)")
        params += match_params + part_params
    select = "SELECT " + " ".join(sql)
    if window is not None:
        end, rows = window
        months = list(match)
        window_params = list(match_params)
        if end is not None:
            months.append(f"{name('month')} < %s")
            window_params.append(connection.ops.adapt_datefield_value(month_of(end)))
        table = name(EventMonthCount._meta.db_table)
        select += (
            f", (SELECT month FROM (SELECT {name('month')} AS month,"
            f" SUM(SUM({name('count')})) OVER (ORDER BY {name('month')} DESC) AS upto"
            f" FROM {table} WHERE {' AND '.join(months)} GROUP BY {name('month')}) m"
            " WHERE upto >= %s ORDER BY month DESC LIMIT 1)"
        )
        params += [*window_params, rows]
    with connection.cursor() as cursor:
        cursor.execute(select, params)
        row = cursor.fetchone()
    since = None
    if window is not None and row[1] is not None:
        since = _month_start(_as_date(row[1]))
    return TimelineTotal(int(row[0]), since)


def _as_date(value: Any) -> dt.date:
    # SQLite gives the month back as text.
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _term_sql(
    connection: BaseDatabaseWrapper,
    match: list[str],
    lower: dt.date | dt.datetime | None,
    upper: dt.date | dt.datetime | None,
) -> tuple[str, list[Any]]:
    """One term's query and the parameters it adds after `match`'s. Written here rather than
    composed from querysets: building and compiling up to seven of them cost about a
    millisecond a page, more than running the query."""
    ops, name = connection.ops, connection.ops.quote_name
    where, params = list(match), []
    if isinstance(lower, dt.datetime) and isinstance(upper, dt.datetime):
        # The events of the instants [lower, upper), inside one month.
        where.append(f"{name('occurred_at')} >= %s AND {name('occurred_at')} < %s")
        params += [ops.adapt_datetimefield_value(lower), ops.adapt_datetimefield_value(upper)]
        table = name(ActivityEvent._meta.db_table)
        return f"SELECT COUNT(*) FROM {table} WHERE {' AND '.join(where)}", params
    # The month counts of the months [lower, upper), either end open.
    if lower is not None:
        where.append(f"{name('month')} >= %s")
        params.append(ops.adapt_datefield_value(lower))
    if upper is not None:
        where.append(f"{name('month')} < %s")
        params.append(ops.adapt_datefield_value(upper))
    table = name(EventMonthCount._meta.db_table)
    return f"SELECT SUM({name('count')}) FROM {table} WHERE {' AND '.join(where)}", params


def _month_start(month: dt.date) -> dt.datetime:
    return dt.datetime.combine(month, dt.time.min, tzinfo=dt.UTC)


def _next_month(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1)


# A term of a total: its sign, and either the months [lower, upper) of the month counts (dates,
# None for open) or the instants [lower, upper) of the events themselves (datetimes).
Term = tuple[int, dt.date | dt.datetime | None, dt.date | dt.datetime | None]


def _terms(start: dt.datetime | None, end: dt.datetime | None) -> list[Term]:
    """The range of instants [start, end) as whole months of the counts and at most one month
    covered in part at each end."""
    pieces: list[tuple[dt.date, dt.datetime, dt.datetime]] = []
    first_whole = after_whole = first_part = None
    if start is not None:
        first_whole = month_of(start)
        if start != _month_start(first_whole):
            first_part, first_whole = first_whole, _next_month(first_whole)
            upper = _month_start(first_whole)
            pieces.append((first_part, start, upper if end is None else min(end, upper)))
    if end is not None:
        after_whole = month_of(end)
        if end != _month_start(after_whole) and after_whole != first_part:
            pieces.append((after_whole, _month_start(after_whole), end))
    terms: list[Term] = []
    if first_whole is None or after_whole is None or first_whole < after_whole:
        terms.append((1, first_whole, after_whole))
    for month, lower, upper in pieces:
        month_lower, month_upper = _month_start(month), _month_start(_next_month(month))
        if 2 * (upper - lower) <= month_upper - month_lower:
            terms.append((1, lower, upper))
            continue
        # Most of the month: its count, less the events outside the range.
        terms.append((1, month, _next_month(month)))
        if lower > month_lower:
            terms.append((-1, month_lower, lower))
        if upper < month_upper:
            terms.append((-1, upper, month_upper))
    return terms


# --- Search inside the timeline --------------------------------------------------------------
# The values of an event's attributes and its message, folded (unaccented, upper case) as the
# account search folds names: on PostgreSQL `activity_event_text(data, message)`, kept in the
# stored column `search_text` and served by a pg_trgm GIN index with the account (migrations
# 0008, 0009); on SQLite the text of the attributes.
# A search counts its matches up to SEARCH_CAP from that index: up to there, the page is cut
# from the matches' keys in memory (the index gives them in no order); past it, matches are
# common enough that the (account, occurred_at) index, read newest first, meets a page soon.

SEARCH_CAP = 1000
SEARCH_TEXT = "search_text"
SEARCH_WINDOW = dt.timedelta(days=92)


def search_events(events: QuerySet, term: str) -> QuerySet:
    """`events` whose attribute values or message contain `term`, whatever its case and
    accents (PostgreSQL; case only on SQLite)."""
    connection = connections[router.db_for_read(ActivityEvent)]
    if connection.vendor != "postgresql":
        return events.filter(Q(data__icontains=term) | Q(message__icontains=term))
    quote = connection.ops.quote_name
    column = f"{quote(ActivityEvent._meta.db_table)}.{quote(SEARCH_TEXT)}"
    text = RawSQL(column, (), output_field=TextField())
    folded = Func(Value(term), function=FOLD, output_field=TextField())
    return events.alias(event_text=text).filter(event_text__contains=folded)


# The probe answers with the keys when they will be paged (SEARCH_CAP or fewer), else with one
# row whose first value is how many it found. A time is sent as whole microseconds since 1970
# (UTC): read as integers, a thousand keys turn into times in Python in a fraction of what the
# driver's parsing of a thousand timestamps takes. Sending and reading a thousand and one keys
# that no page uses cost more than the query itself (README, benchmark notes).
_KEYS_OR_COUNT = (
    "WITH found (occurred_at, pk) AS MATERIALIZED ({}) "
    "SELECT (EXTRACT(EPOCH FROM occurred_at) * 1000000)::bigint, pk FROM found"
    " WHERE (SELECT count(*) FROM found) <= %s"
    " UNION ALL SELECT count(*), NULL FROM found HAVING count(*) > %s"
)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _search_probe(events: QuerySet) -> tuple[int, list[tuple[dt.datetime, Any]]]:
    """How many of `events` match, up to SEARCH_CAP and one, and when no more than SEARCH_CAP
    do, their (occurred_at, pk) keys in no order (none past it): one query."""
    found = events.order_by().values_list("occurred_at", "pk")[: SEARCH_CAP + 1]
    connection = connections[found.db]
    if connection.vendor != "postgresql":
        keys = list(found)
        return len(keys), keys if len(keys) <= SEARCH_CAP else []
    try:
        sql, params = found.query.get_compiler(using=found.db).as_sql()
    except EmptyResultSet:  # filters that no row can meet
        return 0, []
    with connection.cursor() as cursor:
        cursor.execute(_KEYS_OR_COUNT.format(sql), [*params, SEARCH_CAP, SEARCH_CAP])
        answer = cursor.fetchall()
    if len(answer) == 1 and answer[0][1] is None:
        return answer[0][0], []
    return len(answer), [(_EPOCH + dt.timedelta(microseconds=us), pk) for us, pk in answer]


def search_page(
    events: QuerySet, cursor: str | None, size: int = PAGE_SIZE
) -> tuple[TimelinePage, TimelineTotal]:
    """A page of `events` (already narrowed by `search_events`) and how many match, up to
    SEARCH_CAP (two queries either way). Raises InvalidCursor for a malformed cursor."""
    count, keys = _search_probe(events)
    if count > SEARCH_CAP:
        # Common words: the page most likely lies in the three months before its end (those
        # months' partitions alone, read newest first), else it is read again without them.
        end = page_end(cursor, None) or timezone.now()
        newest = keyset_page(events, cursor, size, since=end - SEARCH_WINDOW)
        return newest, TimelineTotal(SEARCH_CAP, more=True)

    def fetch(chosen: list[tuple[dt.datetime, Any]]) -> QuerySet:
        # By key, and by time too: on PostgreSQL only the partitions of those times are read.
        return events.filter(pk__in=[k for _, k in chosen], occurred_at__in={t for t, _ in chosen})

    page = paging.keyset_page_of_keys(
        keys, cursor, size=size, time="occurred_at", rows=events, fetch=fetch
    )
    return TimelinePage(page.rows, page.older_cursor, page.newer_cursor), TimelineTotal(count)
