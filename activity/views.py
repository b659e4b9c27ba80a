import datetime as dt
from collections.abc import Generator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import FormView, TemplateView

from accounts.models import AccountAccess
from accounts.selectors import account_get
from accounts.services import account_access_record, typed_filters
from activity.export import csv_rows
from activity.filters import ActivityFilter
from activity.forms import CommentForm
from activity.models import ActivityExport
from activity.registry import REGISTRY, Category
from activity.selectors import (
    NEW_EVENTS_CAP,
    OLDEST_CURSOR,
    PAGE_SIZE,
    TimelinePage,
    TimelineTotal,
    day_cursor,
    events_for_account,
    keyset_page,
    live_cursor,
    new_events_count,
    new_events_page,
    page_end,
    search_page,
    timeline_total,
)
from activity.services import activity_export_start, comment_add
from core import presence
from core.dates import FIRST_DAY
from core.paging import InvalidCursor
from core.replicas import ReplicaReadsMixin, read_alias
from core.views import FilteredCsvDownloadView, safe_next

BAD_PAGE_LINK = "This page link is not valid; showing the newest activity."
NOT_A_DAY = "“{}” is not a date: give the day to jump to as YYYY-MM-DD."
BAD_AFTER = "`after` is not a cursor of this timeline; reload the page."


def _without(query: QueryDict, name: str, value: str | None = None) -> str:
    """The query string without `name` (or only its `value`), and without a cursor."""
    rest = query.copy()
    rest.pop("cursor", None)
    if value is None:
        rest.pop(name, None)
    else:
        rest.setlist(name, [v for v in rest.getlist(name) if v != value])
    return rest.urlencode()


def active_filters(filterset: ActivityFilter, query: QueryDict) -> list[dict[str, str]]:
    """The filters in use, each as a chip: what it says, and the address without it."""
    if not filterset.is_valid():
        return []
    data = filterset.form.cleaned_data
    chips = []
    if (data.get("q") or "").strip():
        chips.append({"label": f"Search: “{data['q'].strip()}”", "query": "q"})
    if data.get("date_from"):
        chips.append({"label": f"From {data['date_from']:%Y-%m-%d}", "query": "date_from"})
    if data.get("date_to"):
        chips.append({"label": f"To {data['date_to']:%Y-%m-%d}", "query": "date_to"})
    for code in data.get("type") or []:
        chips.append({"label": REGISTRY[code].title, "query": "type", "value": code})
    if data.get("category"):
        label = next(c.value for c in Category if c.code == data["category"])
        chips.append({"label": f"Category: {label}", "query": "category"})
    if data.get("actor"):
        chips.append({"label": f"Actor: {data['actor'].capitalize()}", "query": "actor"})
    return [
        {"label": chip["label"], "remove": _without(query, chip["query"], chip.get("value"))}
        for chip in chips
    ]


def used_filters(query: QueryDict) -> dict[str, Any]:
    """The timeline's filters as typed, for the record of a download."""
    used: dict[str, Any] = {}
    for name in ActivityFilter.base_filters:
        values = [v for v in query.getlist(name) if v]
        if values:
            used[name] = values if name == "type" else values[0]
    return used


class RecentActivityView(ReplicaReadsMixin, PermissionRequiredMixin, TemplateView):
    """One account's timeline: filters in the query string, keyset pages of 25, and how many
    events the filters match (`timeline_total`)."""

    permission_required = "activity.view_activityevent"
    template_name = "activity/recent_activity.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        jump = request.GET.get("jump", "").strip()
        if jump:
            query = request.GET.copy()
            query.pop("jump")
            query.pop("cursor", None)
            try:
                day = dt.date.fromisoformat(jump)
            except ValueError:
                messages.error(request, NOT_A_DAY.format(jump[:20]))
            else:
                if day < timezone.localdate():
                    # A day before every event gives the oldest page, past today the newest.
                    query["cursor"] = day_cursor(day) if day > FIRST_DAY else OLDEST_CURSOR
            return redirect(f"{request.path}?{query.urlencode()}")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        account = account_get(customer_number=self.kwargs["customer_number"])
        account_access_record(
            actor=self.request.user,
            account=account,
            page=AccountAccess.Page.RECENT_ACTIVITY,
            filters=typed_filters(self.request.GET, [*ActivityFilter.base_filters, "cursor"]),
        )
        filterset = ActivityFilter(self.request.GET, queryset=events_for_account(account))
        events = filterset.qs if filterset.is_valid() else events_for_account(account).none()
        cursor = self.request.GET.get("cursor")
        total = None
        valid = filterset.is_valid()
        search = (filterset.form.cleaned_data.get("q") or "").strip() if valid else ""
        if valid and not search:
            data = filterset.form.cleaned_data
            # With the total, the months the page's rows lie in (its window, `since`).
            total = timeline_total(
                account,
                types=filterset.chosen_types(),
                date_from=data.get("date_from"),
                date_to=data.get("date_to"),
                actor=data.get("actor") or None,
                window=(page_end(cursor, data.get("date_to")), PAGE_SIZE + 1),
            )
        since = total.since if total is not None else None

        def read(cursor: str | None) -> tuple[TimelinePage, TimelineTotal | None]:
            if search:
                # Counted and paged from the matches (the month counts know no words).
                return search_page(events.select_related("actor"), cursor)
            return keyset_page(events.select_related("actor"), cursor, since=since), total

        try:
            page, total = read(cursor)
        except InvalidCursor:
            messages.error(self.request, BAD_PAGE_LINK)
            page, total = read(None)
        query = self.request.GET.copy()
        query.pop("cursor", None)
        chosen_types = set(self.request.GET.getlist("type"))
        # The newest page of valid filters stays live: it asks for what is recorded after it.
        live = not cursor and filterset.is_valid()
        return super().get_context_data(
            live_after=live_cursor(page) if live else None,
            live_poll_seconds=settings.LIVE_POLL_SECONDS,
            viewers=presence.heartbeat(presence.account_thing(account.pk), self.request.user),
            account=account,
            filter=filterset,
            page=page,
            total=total,
            filter_query=query.urlencode(),
            chips=active_filters(filterset, self.request.GET),
            chosen_types=chosen_types,
            oldest_cursor=OLDEST_CURSOR,
            at_oldest=cursor == OLDEST_CURSOR,
            comment_form=CommentForm(),
            search_term=search,
            **kwargs,
        )


def _filter_errors(filterset: ActivityFilter) -> str:
    return "; ".join(
        f"{filterset.form.fields[name].label}: {' '.join(errors)}"
        if name in filterset.form.fields
        else " ".join(errors)
        for name, errors in filterset.form.errors.items()
    )


class NewActivityView(ReplicaReadsMixin, PermissionRequiredMixin, View):
    """What an open newest page of Recent Activity polls: how many events matching its filters
    were recorded after its newest one (`after`, a cursor) and who else is viewing the account,
    as JSON; with `load=1`, those events themselves as the page writes them (the oldest
    NEW_EVENTS_LOAD of them, and the cursor to ask after next). Each poll is the viewer's
    heartbeat (core.presence); without `after` it is that alone (nothing counted). Bad filters
    or a bad cursor: 400 with a message."""

    permission_required = "activity.view_activityevent"
    # Asked by the page itself: not the user's activity (staff.middleware's idle timeout).
    polled = True

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        account = account_get(customer_number=self.kwargs["customer_number"])
        filterset = ActivityFilter(request.GET, queryset=events_for_account(account))
        if not filterset.is_valid():
            return JsonResponse({"error": _filter_errors(filterset)}, status=400)
        after = request.GET.get("after", "").strip()
        try:
            if after and request.GET.get("load") == "1":
                return self.load(account, filterset.qs, after)
            count = new_events_count(filterset.qs, after) if after else 0
        except InvalidCursor:
            return JsonResponse({"error": BAD_AFTER}, status=400)
        viewers = presence.heartbeat(presence.account_thing(account.pk), request.user)
        shown = f"{NEW_EVENTS_CAP}+" if count > NEW_EVENTS_CAP else str(count)
        return JsonResponse(
            {
                "count": count,
                "label": f"{shown} new event{'' if count == 1 else 's'}" if count else "",
                "viewers": viewers,
            }
        )

    def load(self, account: Any, events: Any, after: str) -> JsonResponse:
        page = new_events_page(events.select_related("actor"), after)
        html = render_to_string(
            "activity/_new_events.html", {"page": page, "account": account}, request=self.request
        )
        return JsonResponse(
            {
                "html": html,
                "loaded": len(page.events),
                "after": live_cursor(page) if page.events else after,
                "more": page.newer_cursor is not None,
            }
        )


class ActivityExportView(ReplicaReadsMixin, PermissionRequiredMixin, FilteredCsvDownloadView):
    """The CSV of the account's events that the timeline's filters match (every page)."""

    permission_required = "activity.view_activityevent"
    filterset_class = ActivityFilter

    def base_queryset(self) -> Any:
        self.account = account_get(customer_number=self.kwargs["customer_number"])
        self.file_stem = f"recent-activity-{self.account.customer_number}"
        return events_for_account(self.account)

    def list_url(self) -> str:
        return reverse("activity:recent", args=[self.account.customer_number])

    def rows(self, request: HttpRequest) -> Generator[bytes, None, int]:
        # Bound now: the file streams after this view (and its choice of database) returns.
        return csv_rows(self.filterset.qs.using(read_alias()))

    def start_record(self, request: HttpRequest) -> ActivityExport:
        account_access_record(
            actor=request.user,
            account=self.account,
            page=AccountAccess.Page.ACTIVITY_CSV,
            filters=typed_filters(request.GET, ActivityFilter.base_filters),
        )
        return activity_export_start(
            actor=request.user,
            filters={"account": self.account.customer_number, **used_filters(request.GET)},
        )


class CommentAddView(PermissionRequiredMixin, FormView):
    permission_required = "activity.add_comment"
    form_class = CommentForm
    http_method_names = ["post"]

    def form_valid(self, form):
        account = account_get(customer_number=self.kwargs["customer_number"])
        try:
            comment_add(actor=self.request.user, account=account, text=form.cleaned_data["comment"])
        except ValidationError as exc:
            messages.error(self.request, " ".join(exc.messages))
        else:
            messages.success(self.request, "Comment added.")
        return redirect(safe_next(self.request, account.get_absolute_url()))

    def form_invalid(self, form):
        account = account_get(customer_number=self.kwargs["customer_number"])
        for errors in form.errors.values():
            messages.error(self.request, "Comment not saved: " + " ".join(errors))
        return redirect(safe_next(self.request, account.get_absolute_url()))
