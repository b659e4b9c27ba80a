from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.paginator import EmptyPage
from django.views.generic import TemplateView

from accounts.selectors import account_get
from legacy_history.selectors import legacy_entries_pending
from legacy_history.tables import LegacyEntryTable

# Longer page numbers than this are not page numbers (and would cost a huge int conversion).
MAX_PAGE_DIGITS = 9


def _page_number(raw: str | None) -> int | None:
    """The requested page as a positive number, or None when `raw` is not one."""
    raw = (raw or "1").strip()
    if not raw.isdigit() or len(raw) > MAX_PAGE_DIGITS or int(raw) < 1:
        return None
    return int(raw)


class LegacyModeView(PermissionRequiredMixin, TemplateView):
    """One account's old Account History entries that are not in the timeline, 25 a page.

    As in the old product there is no filter and no sorting: the query takes `page` only. A
    page that is not a number shows the first page, one past the end the last, with a note.
    """

    permission_required = "legacy_history.view_legacyentry"
    template_name = "legacy_history/legacy_mode.html"

    def get_context_data(self, **kwargs):
        account = account_get(customer_number=self.kwargs["customer_number"])
        table = LegacyEntryTable(legacy_entries_pending(account))
        raw = self.request.GET.get("page")
        number = _page_number(raw)
        if number is None:
            shown = raw if len(raw) <= 20 else raw[:20] + "…"
            messages.warning(self.request, f"“{shown}” is not a page number; showing page 1.")
            number = 1
        try:
            table.paginate(page=number)
        except EmptyPage:
            last = table.paginator.num_pages
            messages.warning(self.request, f"There is no page {number}; showing page {last}.")
            table.page = table.paginator.page(last)
        return super().get_context_data(account=account, table=table, **kwargs)
