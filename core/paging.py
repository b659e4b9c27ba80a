"""The one paging policy of the pages.

Where depth matters (an account's timeline, which may hold hundreds of thousands of events) a
page is found by a keyset cursor (`activity.selectors.keyset_page`). Every other list is a
django-tables2 table paged here, by `?page=` and `?per_page=`:

- at most `MAX_PER_PAGE` rows a page: a `per_page` that is not a whole number from 1 to that
  is ignored (the table's own size applies), so no request can ask for the whole ledger;
- a page that is not a number shows the first page, and a page past the end the last one
  (or the first, where the list is not counted), each with a notice;
- nothing about paging can answer a 500.
"""

from typing import Any

from django.contrib import messages
from django.core.paginator import EmptyPage, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property
from django_tables2 import SingleTableMixin, Table

PER_PAGE = 25
MAX_PER_PAGE = 100
# Longer page numbers than this are not page numbers (and would cost a huge int conversion).
MAX_PAGE_DIGITS = 9

NOT_A_PAGE = "“{}” is not a page number; showing page 1."
NO_SUCH_PAGE = "There is no page {}; showing page {}."


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
        # A django-tables2 table pages its BoundRows, whose TableData holds the queryset.
        queryset = getattr(getattr(rows, "data", None), "data", rows)
        if isinstance(queryset, QuerySet):
            return queryset.order_by()[: self.cap + 1].count()
        return min(len(rows), self.cap + 1)

    @property
    def capped(self) -> bool:
        return self.count > self.cap


def page_number(raw: str | None) -> int | None:
    """The requested page as a positive number, or None when `raw` is not one."""
    raw = (raw or "1").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > MAX_PAGE_DIGITS or int(raw) < 1:
        return None
    return int(raw)


def page_size(raw: str | None, default: int = PER_PAGE) -> int:
    """`per_page` from the query when it is a whole number from 1 to MAX_PER_PAGE."""
    raw = (raw or "").strip()
    if raw.isascii() and raw.isdigit() and len(raw) <= 3 and 1 <= int(raw) <= MAX_PER_PAGE:
        return int(raw)
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
