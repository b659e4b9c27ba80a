"""Credit Activity: every customer's credit entries, filtered, with their totals and their CSV;
and the page of one transaction's entries."""

from collections.abc import Generator
from typing import Any

from django.conf import settings
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView
from django_filters.views import FilterView

from core import savedviews
from core.dates import date_presets, preset_links
from core.paging import PagedTableMixin, WindowedLazyPaginator
from core.replicas import ReplicaReadsMixin, read_alias
from core.views import FilteredCsvDownloadView
from credits import export, services
from credits.filters import CreditActivityFilter
from credits.models import CreditExport
from credits.selectors import (
    credit_activity,
    newest_entries_since,
    transaction_entries,
    with_allocations,
)
from credits.tables import CreditEntryTable


class CreditActivityView(ReplicaReadsMixin, PermissionRequiredMixin, PagedTableMixin, FilterView):
    """Every customer's credit activity, filtered; pages without a COUNT over the ledger."""

    permission_required = "credits.view_credit_activity"
    filterset_class = CreditActivityFilter
    table_class = CreditEntryTable
    paginator_class = WindowedLazyPaginator
    template_name = "credits/credit_activity.html"

    def get_queryset(self) -> Any:
        # The page's entries with the lots they moved (one query more for the page).
        return with_allocations(credit_activity())

    def get_table_kwargs(self) -> dict[str, Any]:
        # The columns the user chose to hide (their preference, kept in the session).
        hidden = savedviews.hidden_columns(self.request, "credit_activity")
        return {**super().get_table_kwargs(), "exclude": hidden}

    def get_table(self, **kwargs: Any) -> Any:
        # Unfiltered, the first page is read from the newest days that hold it (see
        # credits.selectors.newest_entries_since); a filtered page is read as it is.
        filtered = self.filterset.is_bound and bool(self.filterset.used_filters())
        since = None if filtered else newest_entries_since()
        self.paginator_class = WindowedLazyPaginator.bounded("created_at", since)
        return super().get_table(**kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        query = self.request.GET.copy()
        query.pop("page", None)
        presets = preset_links(
            query, date_presets(timezone.localdate()), fields=("created_from", "created_to")
        )
        return super().get_context_data(
            export_query=query.urlencode(),
            date_presets=presets,
            totals=self.filterset.totals(),
            background_rows=settings.EXPORT_BACKGROUND_ROWS,
            **kwargs,
        )


class CreditActivityExportView(ReplicaReadsMixin, PermissionRequiredMixin, FilteredCsvDownloadView):
    """The CSV of exactly the filtered entries (all pages), in the page's date order. More
    than EXPORT_BACKGROUND_ROWS entries are not streamed: a page offers to have the worker
    write the file (credits.views.exports)."""

    permission_required = "credits.export_credit_activity"
    file_stem = "credit-activity"
    filterset_class = CreditActivityFilter
    list_url_name = "credits:activity"

    def base_queryset(self) -> Any:
        return credit_activity()

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        refused = self.refuse(request)
        if refused is not None:
            return refused
        limit = settings.EXPORT_BACKGROUND_ROWS
        # Counted no further than the limit, in any order and without the joins of the page's
        # columns: a small download costs a small count.
        matching = self.filterset.qs.using(read_alias()).order_by().values("pk")
        if matching[: limit + 1].count() > limit:
            return render(
                request,
                "credits/export_start.html",
                {
                    "limit": limit,
                    "filters": self.filterset.used_filters(),
                    "sort": request.GET.get("sort", ""),
                    "utc": request.GET.get("utc") == "1",
                    "back": f"{reverse('credits:activity')}?{request.GET.urlencode()}",
                },
            )
        return super().get(request, *args, **kwargs)

    def rows(self, request: HttpRequest) -> Generator[bytes, None, int]:
        # Bound now: the file streams after this view (and its choice of database) returns.
        entries = self.filterset.qs.using(read_alias())
        if request.GET.get("sort") == "created_at":
            entries = entries.order_by("created_at", "id")
        return export.csv_rows(entries)

    def start_record(self, request: HttpRequest) -> CreditExport:
        return services.credit_export_start(
            actor=request.user, filters=self.filterset.used_filters()
        )


class TransactionView(PermissionRequiredMixin, PagedTableMixin, TemplateView):
    """The entries of one transaction, in every wallet it touched."""

    permission_required = "credits.view_credit_activity"
    table_class = CreditEntryTable
    template_name = "credits/transaction.html"

    def get_table_data(self) -> Any:
        return transaction_entries(transaction_id=self.kwargs["transaction_id"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if not context["table"].page.object_list:
            raise Http404("No credit entry has this transaction ID.")
        return {**context, "transaction_id": self.kwargs["transaction_id"]}
