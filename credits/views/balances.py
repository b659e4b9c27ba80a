"""The credit liability roll-forward: the Credit Balances page of a period, one unit's wallets,
and the CSV of each."""

import datetime as dt
from collections.abc import Generator
from functools import cached_property
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView
from django_tables2 import LazyPaginator

from core.dates import period_presets, preset_links
from core.money import Unit
from core.paging import PagedTableMixin
from core.replicas import ReplicaReadsMixin, read_alias
from core.views import CsvDownloadView
from credits import balances_csv, forms, services
from credits.models import CreditBalancesExport
from credits.rollforward import (
    balances_at,
    by_month,
    credit_rollforward,
    lots_at,
    unit_balances_at,
    wallet_rollforward,
)
from credits.tables import (
    LotsThenTable,
    RollForwardTable,
    WalletBalanceTable,
    WalletRollForwardTable,
)


def _day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def _period_query(request: HttpRequest) -> QueryDict:
    """The request's query, with this month as the period when it names neither end; with only
    a start, the period runs to today (or is that one day, for a start after today); with only
    an end, it starts on the first of the end's month."""
    query = request.GET.copy()
    query.pop("page", None)
    start, end = query.get("date_from", "").strip(), query.get("date_to", "").strip()
    today = timezone.localdate()
    if not start and not end:
        _label, first, last = period_presets(today)[0]
        query["date_from"], query["date_to"] = first.isoformat(), last.isoformat()
    elif start and not end and (day := _day(start)) is not None:
        query["date_to"] = today.isoformat() if day <= today else start
    elif end and not start and (day := _day(end)) is not None:
        query["date_from"] = day.replace(day=1).isoformat()
    return query


def _presets(query: QueryDict) -> list[dict[str, Any]]:
    """The period presets as links that keep the rest of the query."""
    return preset_links(
        query, period_presets(timezone.localdate()), fields=("date_from", "date_to")
    )


def _unit_or_404(key: str) -> Unit:
    """The unit of a drill-down's address: `tokens` or a known currency code."""
    try:
        return Unit.from_key(key)
    except ValueError:
        raise Http404("No such unit: use a currency code (SEK) or tokens.") from None


class CreditBalancesView(ReplicaReadsMixin, PermissionRequiredMixin, TemplateView):
    """The credit liability roll-forward of a period: per credit type and currency, the opening
    balance, the movements per activity and the closing balance (two queries)."""

    permission_required = "credits.view_credit_balances"
    template_name = "credits/credit_balances.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        query = _period_query(self.request)
        form = forms.RollForwardForm(query)
        lines, period = None, None
        if form.is_valid():
            period = form.period
            lines = credit_rollforward(period, **form.unit)
        period_only = QueryDict(mutable=True)
        for name in ("date_from", "date_to"):
            period_only[name] = query.get(name, "")
        return super().get_context_data(
            form=form,
            period=period,
            table=RollForwardTable(lines or [], query=period_only.urlencode()),
            lines=lines,
            export_query=query.urlencode(),
            date_presets=_presets(query),
            **kwargs,
        )


class CreditBalancesUnitView(
    ReplicaReadsMixin, PermissionRequiredMixin, PagedTableMixin, TemplateView
):
    """One unit's wallets over a period: each one's opening balance, movements and closing
    balance, with a link to its entries; paged without a count."""

    permission_required = "credits.view_credit_balances"
    template_name = "credits/credit_balances_unit.html"
    table_class = WalletRollForwardTable
    paginator_class = LazyPaginator

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.query = _period_query(request)
        self.form = forms.PeriodForm(self.query)
        self.period = self.form.period if self.form.is_valid() else None

    def get_table_data(self) -> Any:
        unit = _unit_or_404(self.kwargs["unit"])
        if self.period is None:
            return []
        return wallet_rollforward(self.period, credit_type=unit.credit_type, currency=unit.currency)

    def get_table_kwargs(self) -> dict[str, Any]:
        activity = QueryDict(mutable=True)
        if self.period is not None:
            activity["created_from"] = self.period.first.isoformat()
            activity["created_to"] = self.period.last.isoformat()
        return {"activity_query": activity.urlencode()}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        unit = _unit_or_404(self.kwargs["unit"])
        lines = (
            credit_rollforward(self.period, credit_type=unit.credit_type, currency=unit.currency)
            if self.period is not None
            else []
        )
        # The URL's `unit` (a code) gives way to the Unit it names.
        return super().get_context_data(
            **kwargs
            | {
                "form": self.form,
                "period": self.period,
                "line": lines[0] if lines else None,
                "unit": unit,
                "export_query": self.query.urlencode(),
                "date_presets": _presets(self.query),
            }
        )


class CreditBalancesAtView(
    ReplicaReadsMixin, PermissionRequiredMixin, PagedTableMixin, TemplateView
):
    """Balances at a moment of the past: one account's wallets, or every wallet of a unit that
    held credit then (paged without a count), with the sum per unit; the same balances the
    roll-forward closes a period with."""

    permission_required = "credits.view_credit_balances"
    template_name = "credits/credit_balances_at.html"
    table_class = WalletBalanceTable
    paginator_class = LazyPaginator

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.query = request.GET.copy()
        self.query.pop("page", None)
        self.form = forms.BalancesOnForm(self.query if self.query else None)
        self.asked = self.form.is_valid()

    @cached_property
    def monthly(self) -> bool:
        """Whether the ledger is partitioned, asked once for the wallets and their sums."""
        return by_month()

    def _scope(self) -> dict[str, Any]:
        data = self.form.cleaned_data
        return {"account": data["account"], **self.form.unit, "monthly": self.monthly}

    def get_table_data(self) -> Any:
        if not self.asked:
            return []
        return balances_at(self.form.cleaned_data["moment"], **self._scope())

    def get_table_kwargs(self) -> dict[str, Any]:
        activity = QueryDict(mutable=True)
        if self.asked:
            activity["created_to"] = self.form.cleaned_data["on"].isoformat()
        return {"activity_query": activity.urlencode()}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        moment = self.form.cleaned_data["moment"] if self.asked else None
        sums = unit_balances_at(moment, **self._scope()) if moment is not None else []
        period = QueryDict(mutable=True)
        if self.asked and self.form.cleaned_data["at"] is None:
            day = self.form.cleaned_data["on"]
            period["date_from"], period["date_to"] = day.replace(day=1).isoformat(), day.isoformat()
        account = self.form.cleaned_data["account"] if self.asked else None
        lots = None
        if moment is not None and account is not None:
            lots = LotsThenTable(lots_at(moment, account=account), orderable=False)
        return super().get_context_data(
            **kwargs
            | {
                "form": self.form,
                "moment": moment,
                "lots": lots,
                "account": account,
                "sums": sums,
                "rollforward_query": period.urlencode(),
            }
        )


class BalancesCsvView(ReplicaReadsMixin, PermissionRequiredMixin, CsvDownloadView):
    """A CSV of the roll-forward; a bad period starts no download: the page says why."""

    permission_required = "credits.view_credit_balances"
    form_class: type[forms.PeriodForm] = forms.RollForwardForm

    def page_url(self) -> str:
        raise NotImplementedError

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.query = _period_query(request)
        self.form = self.form_class(self.query)

    def refuse(self, request: HttpRequest) -> HttpResponse | None:
        if self.form.is_valid():
            return None
        for name, errors in self.form.errors.items():
            field = self.form.fields.get(name)
            label = f"{field.label}: " if field else ""
            text = " ".join(str(error) for error in errors)
            messages.error(request, f"Download not started: {label}{text}")
        return redirect(f"{self.page_url()}?{request.GET.urlencode()}")

    def start_record(self, request: HttpRequest) -> CreditBalancesExport:
        # The form's own fields only (a period, a type, a currency): nothing else of the query
        # string is kept, so that the record can never name a customer.
        filters = {name: self.query[name] for name in self.form.fields if self.query.get(name)}
        filters.update(self.kwargs)
        return services.credit_balances_export_start(actor=request.user, filters=filters)


class CreditBalancesExportView(BalancesCsvView):
    """The roll-forward's lines as CSV, for the same query as the page."""

    file_stem = "credit-balances"

    def page_url(self) -> str:
        return reverse("credits:balances")

    def rows(self, request: HttpRequest) -> Generator[bytes, None, int]:
        # Read now, while the view (and its choice of database) is current.
        form: Any = self.form
        lines = credit_rollforward(form.period, **form.unit)
        return balances_csv.summary_rows(form.period, lines)


class CreditBalancesUnitExportView(BalancesCsvView):
    """One unit's wallets over the period as CSV (all of them, not one page)."""

    form_class = forms.PeriodForm

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.file_stem = f"credit-balances-{kwargs['unit']}"

    def page_url(self) -> str:
        return reverse("credits:balances-unit", args=[self.kwargs["unit"]])

    def refuse(self, request: HttpRequest) -> HttpResponse | None:
        _unit_or_404(self.kwargs["unit"])
        return super().refuse(request)

    def rows(self, request: HttpRequest) -> Generator[bytes, None, int]:
        unit = _unit_or_404(self.kwargs["unit"])
        # Bound now: the file streams after this view (and its choice of database) returns.
        wallets = wallet_rollforward(
            self.form.period, credit_type=unit.credit_type, currency=unit.currency
        ).using(read_alias())
        return balances_csv.wallet_rows(self.form.period, wallets)
