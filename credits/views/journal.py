"""The journal for the books (/credits/journal/): a closed period's double-entry lines per
currency, with their reconciliation to the roll-forward, and the same lines as CSV."""

from collections.abc import Generator
from typing import Any

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from core.dates import period_presets, preset_links
from core.replicas import ReplicaReadsMixin
from credits import forms, journal_csv, services
from credits.journal import ACCOUNTS, account_code, credit_journal, reconcile
from credits.models import CreditBalancesExport
from credits.tables import JournalAccountsTable, JournalReconciliationTable, JournalTable
from credits.views.balances import BalancesCsvView

# What the download record keeps beside the period, so that it says which file it was.
REPORT = "journal"


def _closed_presets(today) -> list[tuple[Any, Any, Any]]:
    """The period presets that have ended (last month, last quarter)."""
    return [preset for preset in period_presets(today) if preset[2] < today]


def journal_query(request: HttpRequest) -> QueryDict:
    """The request's query, with last month as the period when it names neither end."""
    query = request.GET.copy()
    query.pop("page", None)
    if not query.get("date_from", "").strip() and not query.get("date_to", "").strip():
        _label, first, last = _closed_presets(timezone.localdate())[0]
        query["date_from"], query["date_to"] = first.isoformat(), last.isoformat()
    return query


class CreditJournalView(ReplicaReadsMixin, PermissionRequiredMixin, TemplateView):
    """The journal of a closed period: its lines in a table and, per currency, the journal's
    net change to the liability beside the roll-forward's (five queries)."""

    permission_required = "credits.view_credit_balances"
    template_name = "credits/credit_journal.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        query = journal_query(self.request)
        form = forms.JournalForm(query)
        lines, period, checks = None, None, []
        if form.is_valid():
            period = form.period
            lines = credit_journal(period)
            checks = reconcile(period, lines)
        return super().get_context_data(
            form=form,
            period=period,
            table=JournalTable(lines or []),
            lines=lines,
            reconciliation_table=JournalReconciliationTable(checks),
            accounts_table=JournalAccountsTable(
                [{"code": account_code(a.role), "name": a.name, "role": a.role} for a in ACCOUNTS]
            ),
            export_query=query.urlencode(),
            # The form's link without a period: the journal's default, last month.
            reset_label="Last month",
            date_presets=preset_links(
                query, _closed_presets(timezone.localdate()), fields=("date_from", "date_to")
            ),
            **kwargs,
        )


class CreditJournalExportView(BalancesCsvView):
    """The journal's lines as CSV, for the same period as the page; recorded as the
    roll-forward's downloads are (CreditBalancesExport), with `report: journal`."""

    file_stem = "credit-journal"
    form_class = forms.JournalForm

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.query = journal_query(request)
        self.form = self.form_class(self.query)

    def page_url(self) -> str:
        return reverse("credits:journal")

    def start_record(self, request: HttpRequest) -> CreditBalancesExport:
        filters = {name: self.query[name] for name in self.form.fields if self.query.get(name)}
        return services.credit_balances_export_start(
            actor=request.user, filters=filters | {"report": REPORT}
        )

    def rows(self, request: HttpRequest) -> Generator[bytes, None, int]:
        # Read now, while the view (and its choice of database) is current.
        return journal_csv.journal_rows(credit_journal(self.form.period))
