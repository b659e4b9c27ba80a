from collections.abc import Generator
from typing import Any

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.views.generic import TemplateView

from accounts.models import AccountAccess
from accounts.selectors import account_get
from accounts.services import account_access_record, typed_filters
from core.paging import PagedTableMixin
from core.replicas import ReplicaReadsMixin, read_alias
from core.views import FilteredCsvDownloadView
from legacy_history.export import csv_rows
from legacy_history.filters import LegacyFilter
from legacy_history.models import LegacyExport
from legacy_history.selectors import legacy_entries_pending
from legacy_history.services import legacy_export_start
from legacy_history.tables import LegacyEntryTable


class LegacyModeView(ReplicaReadsMixin, PermissionRequiredMixin, PagedTableMixin, TemplateView):
    """One account's old Account History entries that are not in the timeline, 25 a page,
    filtered by the days and types of Recent Activity's filters (`date_from`, `date_to`,
    `type`); invalid filters are explained and show nothing."""

    permission_required = "legacy_history.view_legacyentry"
    template_name = "legacy_history/legacy_mode.html"
    table_class = LegacyEntryTable
    sized_by_query = False

    def get_table_data(self) -> Any:
        self.account = account_get(customer_number=self.kwargs["customer_number"])
        account_access_record(
            actor=self.request.user,
            account=self.account,
            page=AccountAccess.Page.LEGACY_MODE,
            filters=typed_filters(self.request.GET, [*LegacyFilter.base_filters, "page"]),
        )
        entries = legacy_entries_pending(self.account)
        self.filterset = LegacyFilter(self.request.GET, queryset=entries)
        return self.filterset.qs if self.filterset.is_valid() else entries.none()

    def get_table(self, **kwargs: Any) -> Any:
        table = super().get_table(**kwargs)  # reads the data, and so the filters, first
        if self.filterset.is_valid():
            table.search_term = (self.filterset.form.cleaned_data.get("q") or "").strip()
        return table

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # The filters only (not the page, nor anything else in the address).
        query = QueryDict(mutable=True)
        for name in self.filterset.filters:
            query.setlist(name, self.request.GET.getlist(name))
        return {
            **context,
            "account": self.account,
            "filter": self.filterset,
            "export_query": query.urlencode(),
        }


class LegacyExportView(ReplicaReadsMixin, PermissionRequiredMixin, FilteredCsvDownloadView):
    """The CSV of the account's legacy entries that Legacy mode's filters match (every page);
    every download is recorded like the timeline's."""

    permission_required = "legacy_history.view_legacyentry"
    filterset_class = LegacyFilter

    def base_queryset(self) -> Any:
        self.account = account_get(customer_number=self.kwargs["customer_number"])
        self.file_stem = f"legacy-history-{self.account.customer_number}"
        return legacy_entries_pending(self.account)

    def list_url(self) -> str:
        return reverse("legacy_history:legacy", args=[self.account.customer_number])

    def rows(self, request: HttpRequest) -> Generator[bytes, None, int]:
        # Bound now: the file streams after this view (and its choice of database) returns.
        return csv_rows(self.filterset.qs.using(read_alias()))

    def start_record(self, request: HttpRequest) -> LegacyExport:
        account_access_record(
            actor=request.user,
            account=self.account,
            page=AccountAccess.Page.LEGACY_CSV,
            filters=typed_filters(request.GET, LegacyFilter.base_filters),
        )
        return legacy_export_start(
            actor=request.user,
            filters={"account": self.account.customer_number, **self.filterset.used_filters()},
        )
