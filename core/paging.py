"""The one paging policy of the pages and the API.

Where depth matters (an account's timeline, which may hold hundreds of thousands of events, and
every list of the API) a page is found by a keyset cursor (`keyset_page`): one cursor format,
newest first by a time and the primary key. Every other list is a django-tables2 table paged
here, by `?page=` and `?per_page=`:

- at most `MAX_PER_PAGE` rows a page: a `per_page` that is not a whole number from 1 to that
  is ignored (the table's own size applies), so no request can ask for the whole ledger;
- a page that is not a number shows the first page, and a page past the end the last one
  (or the first, where the list is not counted), each with a notice;
- nothing about paging can answer a 500.

A page size is read by one parser (`requested_size`): a page ignores a bad one, the API refuses
it (core.api.page_size).
"""

import base64
import binascii
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, Page, Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property
from django_tables2 import LazyPaginator, SingleTableMixin, Table
from django_tables2.rows import BoundRows

from core.dates import aware_utc

PER_PAGE = 25
MAX_PER_PAGE = 100
# Longer page numbers than this are not page numbers (and would cost a huge int conversion).
MAX_PAGE_DIGITS = 9

NOT_A_PAGE = "“{}” is not a page number; showing page 1."
NO_SUCH_PAGE = "There is no page {}; showing page {}."


def table_queryset(rows: Any) -> Any:
    """The queryset a paginator's rows come from: a django-tables2 table pages its BoundRows,
    whose TableData holds it; other lists are their own."""
    return getattr(getattr(rows, "data", None), "data", rows)


class CappedPaginator(Paginator):
    """Counts at most `cap` rows and one more: a list that matches more (a search over
    millions of accounts) is refined, not paged to its end, and its count would cost as
    much as the page. `capped` says the list is longer than the pages shown."""

    def __init__(self, object_list: Any, per_page: int, *args: Any, cap: int = 1000, **kwargs: Any):
        super().__init__(object_list, per_page, *args, **kwargs)
        self.cap = cap

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        queryset = table_queryset(rows)
        if isinstance(queryset, QuerySet):
            return queryset.order_by()[: self.cap + 1].count()
        return min(len(rows), self.cap + 1)

    @property
    def capped(self) -> bool:
        return self.count > self.cap


class WindowedLazyPaginator(LazyPaginator):
    """A LazyPaginator whose first page, while the table is newest first by `time`, is read
    from `since` on when that holds more than a page (on a table partitioned by month, the
    newest months alone are planned and read), and else as LazyPaginator reads it: the page is
    the same either way. `bounded(time, since)` makes the class for one request's bound."""

    time = "created_at"
    since: dt.datetime | None = None

    @classmethod
    def bounded(cls, time: str, since: dt.datetime | None) -> type["WindowedLazyPaginator"]:
        return type(cls.__name__, (cls,), {"time": time, "since": since})

    def page(self, number: Any) -> Page:
        number = self.validate_number(number or 1)
        rows = self.object_list
        queryset = table_queryset(rows)
        if (
            number != 1
            or self.since is None
            or not isinstance(queryset, QuerySet)
            or queryset.query.order_by[:1] != (f"-{self.time}",)
        ):
            return super().page(number)
        found = _newest(queryset, self.per_page, self.time, self.since)
        self._num_pages = 2 if len(found) > self.per_page else 1
        self._final_num_pages = None if len(found) > self.per_page else 1
        shown = BoundRows(found[: self.per_page], table=rows.table, pinned_data=rows.pinned_data)
        return Page(list(shown), number, self)


def page_number(raw: str | None) -> int | None:
    """The requested page as a positive number, or None when `raw` is not one."""
    raw = (raw or "1").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > MAX_PAGE_DIGITS or int(raw) < 1:
        return None
    return int(raw)


def requested_size(raw: str | None) -> int | None:
    """A requested page size: None when none is given; raises ValueError unless `raw` is a whole
    number from 1 to MAX_PER_PAGE."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if raw.isascii() and raw.isdigit() and len(raw) <= 3 and 1 <= int(raw) <= MAX_PER_PAGE:
        return int(raw)
    raise ValueError(raw)


def page_size(raw: str | None, default: int = PER_PAGE) -> int:
    """`per_page` from the query when it is a good page size, else the page's own size."""
    try:
        return requested_size(raw) or min(default, MAX_PER_PAGE)
    except ValueError:
        return min(default, MAX_PER_PAGE)


def _shown(raw: str) -> str:
    return raw if len(raw) <= 20 else raw[:20] + "…"


def paginate(
    request: HttpRequest,
    table: Table,
    *,
    paginator_class: type[Paginator] = Paginator,
    sized_by_query: bool = True,
) -> list[str]:
    """Page `table` by the request's `page` (and `per_page`, when `sized_by_query`); return the
    notices to show."""
    notices = []
    raw = request.GET.get(table.prefixed_page_field)
    number = page_number(raw)
    if number is None:
        notices.append(NOT_A_PAGE.format(_shown(raw or "")))
        number = 1
    size = table._meta.per_page
    if sized_by_query:
        size = page_size(request.GET.get(table.prefixed_per_page_field), size)
    try:
        table.paginate(paginator_class=paginator_class, per_page=size, page=number)
    except EmptyPage:
        # A lazy paginator knows no last page: it shows the first.
        last = table.paginator.num_pages or 1
        table.page = table.paginator.page(last)
        notices.append(NO_SUCH_PAGE.format(number, last))
    return notices


class PagedTableMixin(SingleTableMixin):
    """A list page whose table is paged by the policy above (counted by default; set
    `paginator_class = LazyPaginator` for a list too long to count)."""

    paginator_class: type[Paginator] = Paginator
    # Whether `?per_page=` may set the page's size (within MAX_PER_PAGE).
    sized_by_query = True
    # RequestConfig must not page the table too: `get_table` does it, by the policy above.
    table_pagination = False

    def get_table(self, **kwargs: Any) -> Table:
        table = super().get_table(**kwargs)
        notices = paginate(
            self.request,
            table,
            paginator_class=self.paginator_class,
            sized_by_query=self.sized_by_query,
        )
        for notice in notices:
            messages.warning(self.request, notice)
        return table


# --- Keyset cursors -------------------------------------------------------------------------
# A cursor names an edge row (its time and primary key) and a direction: OLDER pages to older
# rows, NEWER to newer ones. Pages cost the same at any depth because the query starts at the
# cursor in a (..., time, id) index instead of counting rows from the top. The cursor is the
# URL-safe base64 of "direction|ISO time|key", without padding.

OLDER = "o"
NEWER = "n"


class InvalidCursor(ValueError):
    """A cursor that was not made by `encode_cursor` (edited, truncated, or from elsewhere)."""


def encode_cursor(direction: str, when: dt.datetime, key: object) -> str:
    raw = f"{direction}|{when.isoformat()}|{key}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, queryset: QuerySet) -> tuple[str, dt.datetime, Any]:
    """(direction, aware UTC time, primary key of `queryset`'s model); InvalidCursor if bad."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        direction, stamp, key = base64.urlsafe_b64decode(padded).decode().split("|")
        when = aware_utc(dt.datetime.fromisoformat(stamp))
        if direction not in (OLDER, NEWER) or when is None or not key:
            raise ValueError(cursor)
        return direction, when, queryset.model._meta.pk.to_python(key)
    except (ValueError, ValidationError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCursor(cursor) from exc


@dataclass
class KeysetPage:
    rows: list
    older_cursor: str | None
    newer_cursor: str | None


def keyset_page(
    rows: QuerySet,
    cursor: str | None,
    *,
    size: int = PER_PAGE,
    time: str,
    since: dt.datetime | None = None,
) -> KeysetPage:
    """One page of `rows`, newest first by (`time`, pk), after or before `cursor` (None: the
    newest page). Rows of the same time keep one order, by their key, on every page and every
    load. Raises InvalidCursor for a malformed cursor.

    `since`, a guess of the time after which a page going older finds its rows, narrows the
    query to it (a table partitioned by time then reads the months from `since` alone); when
    the narrowed query finds fewer rows than a page and one, the page is read again without
    it. Either way the page is the same: a full narrowed read holds the newest rows there are,
    every row it left out being older than `since`."""
    newest_first = rows.order_by(f"-{time}", "-pk")
    if not cursor:
        found = _newest(newest_first, size, time, since)
        return _keyset_page(found[:size], time, has_older=len(found) > size, has_newer=False)
    direction, when, key = decode_cursor(cursor, rows)
    if direction == OLDER:
        # `<=` on the time alone is the index range; the OR settles ties on the key.
        older = newest_first.filter(**{f"{time}__lte": when}).filter(
            Q(**{f"{time}__lt": when}) | Q(pk__lt=key)
        )
        found = _newest(older, size, time, since)
        return _keyset_page(found[:size], time, has_older=len(found) > size, has_newer=True)
    found = list(
        rows.filter(**{f"{time}__gte": when})
        .filter(Q(**{f"{time}__gt": when}) | Q(pk__gt=key))
        .order_by(time, "pk")[: size + 1]
    )
    # A page reached from the newer side has older rows unless it started at the very start.
    has_older = when > START
    return _keyset_page(found[:size][::-1], time, has_older=has_older, has_newer=len(found) > size)


def keyset_page_of_keys(
    keys: list[tuple[dt.datetime, Any]],
    cursor: str | None,
    *,
    size: int = PER_PAGE,
    time: str,
    rows: QuerySet,
    fetch: Callable[[list[tuple[dt.datetime, Any]]], Iterable[Any]],
) -> KeysetPage:
    """The page `keyset_page` gives, from the (`time`, pk) keys of every row held in memory
    (a search's matches, a few thousand at most, found by an index that does not keep them in
    order); `fetch(keys)` reads the page's rows by their keys, in any order. Raises
    InvalidCursor for a malformed cursor (`rows` names the model whose keys the cursor holds)."""
    ordered = sorted(keys, reverse=True)
    if not cursor:
        chosen, has_older, has_newer = ordered[: size + 1], len(ordered) > size, False
        chosen = chosen[:size]
    else:
        direction, when, key = decode_cursor(cursor, rows)
        edge = (when, key)
        if direction == OLDER:
            older = [k for k in ordered if k < edge][: size + 1]
            chosen, has_older, has_newer = older[:size], len(older) > size, True
        else:
            newer = [k for k in reversed(ordered) if k > edge][: size + 1]
            chosen, has_older, has_newer = newer[:size][::-1], when > START, len(newer) > size
    found = sorted(fetch(chosen), key=lambda row: (getattr(row, time), row.pk), reverse=True)
    return _keyset_page(found, time, has_older=has_older, has_newer=has_newer)


def _newest(rows: QuerySet, size: int, time: str, since: dt.datetime | None) -> list:
    if since is not None:
        found = list(rows.filter(**{f"{time}__gte": since})[: size + 1])
        if len(found) > size:
            return found
    return list(rows[: size + 1])


# The start of time for a cursor (a row is never older).
START = dt.datetime(1, 1, 2, tzinfo=dt.UTC)


def _keyset_page(rows: list, time: str, *, has_older: bool, has_newer: bool) -> KeysetPage:
    return KeysetPage(
        rows=rows,
        older_cursor=encode_cursor(OLDER, getattr(rows[-1], time), rows[-1].pk)
        if rows and has_older
        else None,
        newer_cursor=encode_cursor(NEWER, getattr(rows[0], time), rows[0].pk)
        if rows and has_newer
        else None,
    )
