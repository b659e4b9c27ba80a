from typing import Any

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.views.generic import TemplateView

from accounts.selectors import account_get
from core.paging import PagedTableMixin
from core.replicas import ReplicaReadsMixin
from legacy_history.selectors import legacy_entries_pending
from legacy_history.tables import LegacyEntryTable


class LegacyModeView(ReplicaReadsMixin, PermissionRequiredMixin, PagedTableMixin, TemplateView):
    """One account's old Account History entries that are not in the timeline, 25 a page.

    As in the old product there is no filter and no sorting: the query takes `page` only (paged
    by the site's one policy, `core.paging`).
    """

    permission_required = "legacy_history.view_legacyentry"
    template_name = "legacy_history/legacy_mode.html"
    table_class = LegacyEntryTable
    sized_by_query = False

    def get_table_data(self) -> Any:
        self.account = account_get(customer_number=self.kwargs["customer_number"])
        return legacy_entries_pending(self.account)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        return {**context, "account": self.account}
