"""The pages whose filters a user may save under a name (saved views), and whose columns a user
may choose: each app registers its page in its AppConfig's `ready()`, with the FilterSet that
reads its query, so that the place that stores saved views (staff) knows no domain app.

    savedviews.register(savedviews.Page("credit_activity", "Credit Activity", "credits:activity",
                                        CreditActivityFilter, columns=(("note", "Note"), ...)))

A saved view keeps its query as it was typed; it is checked against the page's filters when it
is opened (`check_query`), because a type may have gone and the filters may have changed since.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, QueryDict

# What a saved view never keeps: where the reader was in the list, not what they filtered.
NOT_FILTERS = ("cursor", "page", "jump", "sort", "utc")
# The request attribute the viewer's preferences middleware sets: {page code: hidden columns}.
HIDDEN_COLUMNS_ATTR = "hidden_columns"


@dataclass(frozen=True)
class Page:
    code: str
    label: str
    # The page's URL name; its arguments (an account's customer number) come from the address
    # the view is opened on.
    url_name: str
    filterset: Any
    # (name, label) of the table columns a user may hide; empty for a page without a chooser.
    columns: Sequence[tuple[str, str]] = field(default_factory=tuple)


_pages: dict[str, Page] = {}


def register(page: Page) -> None:
    _pages[page.code] = page


def get(code: str) -> Page | None:
    return _pages.get(code)


def pages() -> list[Page]:
    return list(_pages.values())


def filters_of(query: QueryDict) -> QueryDict:
    """The query without what is not a filter (the page, the cursor, the sort)."""
    kept = query.copy()
    for name in NOT_FILTERS:
        kept.pop(name, None)
    return kept


def check_query(page: Page, query: str) -> tuple[str, list[str]]:
    """A saved query checked against the page's filters as they are now: (the query keeping
    only the filters that still hold, a sentence for each one that does not)."""
    data = filters_of(QueryDict(query))
    form = page.filterset(data=data).form
    if form.is_valid():
        return data.urlencode(), []
    problems = []
    for name, errors in form.errors.items():
        form_field = form.fields.get(name)
        label = f"{form_field.label}: " if form_field is not None else ""
        problems.append(f"{label}{' '.join(errors)}")
        data.pop(name, None)
    # The form's own checks (a range ending before it starts) name the range's end field,
    # dropped above; what is left is valid on its own.
    return data.urlencode(), problems


def hidden_columns(request: HttpRequest, code: str) -> tuple[str, ...]:
    """The columns of page `code` the signed-in user chose to hide (none by default)."""
    hidden = getattr(request, HIDDEN_COLUMNS_ATTR, None) or {}
    page = _pages.get(code)
    known = {name for name, _ in page.columns} if page else set()
    return tuple(name for name in hidden.get(code, ()) if name in known)
