from collections.abc import Generator
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView
from django_filters.views import FilterView
from django_tables2 import LazyPaginator

from accounts.models import Account
from accounts.selectors import account_detail, account_get
from core import money
from core.dates import date_presets, period_presets, preset_links
from core.money import Unit
from core.paging import PagedTableMixin
from core.replicas import ReplicaReadsMixin, read_alias
from core.views import (
    ActionView,
    Change,
    ConfirmedActionView,
    CsvDownloadView,
    FilteredCsvDownloadView,
)
from credits import balances_csv, export, forms, services
from credits.filters import CreditActivityFilter, CreditApprovalFilter
from credits.models import (
    ApprovalOperation,
    ApprovalState,
    CreditBalancesExport,
    CreditExport,
    CreditType,
)
from credits.rollforward import (
    credit_rollforward,
    wallet_rollforward,
)
from credits.selectors import (
    account_credit_balance,
    credit_activity,
    credit_approval,
    credit_approvals,
    credit_totals,
    transaction_entries,
    wallet_totals,
)
from credits.services.limits import over_limit
from credits.tables import (
    CreditApprovalTable,
    CreditEntryTable,
    RollForwardTable,
    WalletRollForwardTable,
)


class CreditActivityView(ReplicaReadsMixin, PermissionRequiredMixin, PagedTableMixin, FilterView):
    """Every customer's credit activity, filtered; pages without a COUNT over the ledger."""

    permission_required = "credits.view_credit_activity"
    filterset_class = CreditActivityFilter
    table_class = CreditEntryTable
    paginator_class = LazyPaginator
    template_name = "credits/credit_activity.html"

    def get_queryset(self) -> Any:
        return credit_activity()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        query = self.request.GET.copy()
        query.pop("page", None)
        presets = preset_links(
            query, date_presets(timezone.localdate()), fields=("created_from", "created_to")
        )
        return super().get_context_data(
            export_query=query.urlencode(),
            date_presets=presets,
            totals=self.totals(),
            **kwargs,
        )

    def totals(self) -> list[Any]:
        """The totals of the same filtered entries as the table and the CSV (none when a filter
        is bad): from the wallets' running totals when the filters select whole wallets, else
        one aggregate over the entries."""
        filterset = self.filterset
        if filterset.is_bound and not filterset.is_valid():
            return []
        wallets = filterset.whole_wallets()
        if wallets is not None:
            return wallet_totals(wallets)
        return credit_totals(self.object_list)


class CreditActivityExportView(ReplicaReadsMixin, PermissionRequiredMixin, FilteredCsvDownloadView):
    """The CSV of exactly the filtered entries (all pages), in the page's date order."""

    permission_required = "credits.export_credit_activity"
    file_stem = "credit-activity"
    filterset_class = CreditActivityFilter
    list_url_name = "credits:activity"

    def base_queryset(self) -> Any:
        return credit_activity()

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


# --- The credit liability roll-forward ---------------------------------------------------


def _period_query(request: HttpRequest) -> QueryDict:
    """The request's query, with this month as the period when it names neither end."""
    query = request.GET.copy()
    query.pop("page", None)
    if not query.get("date_from") and not query.get("date_to"):
        _label, first, last = period_presets(timezone.localdate())[0]
        query["date_from"], query["date_to"] = first.isoformat(), last.isoformat()
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


class CreditActionView(ActionView):
    """A credit form posted from the account page: one service call, then back."""

    form_class: Any  # a credit form, which takes the account

    def get_object(self) -> Account:
        return account_get(customer_number=self.kwargs["customer_number"])

    def make_form(self, data: Any) -> Any:
        # The account with its subscriptions and payment methods, which the form's choices use.
        account = account_detail(customer_number=self.object.customer_number)
        return self.form_class(data, account=account, prefix=self.form_prefix)


class GrantView(CreditActionView):
    permission_required = "credits.grant_credit"
    form_class = forms.GrantForm
    form_prefix = "grant"
    success_message = "Credit granted."
    failure_message = "Grant"

    def call(self, target: Account, data: dict[str, Any]) -> None:
        submitted = services.credit_request(
            actor=self.request.user, operation=ApprovalOperation.GRANT, account=target, **data
        )
        if submitted.waiting:
            self.success_message = waiting_message(submitted)


def waiting_message(submitted: services.Submitted) -> str:
    """What the requester reads when their operation waits for approval."""
    approval = submitted.approval
    assert approval is not None
    why = getattr(approval, "limit_reason", "") or "over your limit"
    return (
        f"Not done yet: {approval.described_amount} is {why}. It is sent for approval as "
        f"request {approval.pk}, and runs when a second person (Finance) approves it; the "
        "account's Recent Activity shows when it is decided."
    )


def _checked_amount(data: dict[str, Any], currency: str) -> Decimal | None:
    """The amount as a number, or None when it is not one (the service refuses it on
    confirmation, with its own words)."""
    try:
        amount = Decimal(str(data.get("amount", "")).strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


class CreditConfirmView(CreditActionView, ConfirmedActionView):
    """A credit operation that cannot be undone: confirmation page, then one service call."""

    def make_form(self, data: Any) -> Any:
        account = account_detail(customer_number=self.object.customer_number)
        return self.form_class(data, account=account, prefix=self.form_prefix)

    operation: str  # an ApprovalOperation

    def submit(self, target: Account, *, reason: str, key: str, **fields: Any) -> Any:
        """Ask for the operation: it runs now, or (over the user's limits) waits for approval,
        which the message then says."""
        submitted = services.credit_request(
            actor=self.request.user,
            operation=self.operation,
            account=target,
            note=reason,
            idempotency_key=key,
            **fields,
        )
        if submitted.waiting:
            self.success_message = waiting_message(submitted)
        return submitted

    def approval(self, credit_type: str, currency: str, amount: Any) -> Change:
        """The confirmation's line saying whether the operation waits for approval."""
        if amount is None:
            return Change("Approval", "", "")
        why = over_limit(
            actor=self.request.user,
            operation=self.operation,
            credit_type=credit_type,
            currency=currency,
            amount=amount,
            hold=False,
        )
        if why:
            return Change("Approval", "", f"Needed: {why}. It will wait for another person.")
        return Change("Approval", "", "Not needed: within your limits")


class RevokeView(CreditConfirmView):
    permission_required = "credits.revoke_credit"
    operation = ApprovalOperation.REVOKE
    form_class = forms.RevokeForm
    form_prefix = "revoke"
    success_message = "Credit revoked."
    failure_message = "Revocation"
    title = "Revoke credit"
    confirm_label = "Revoke credit"

    def changes(self, target: Account, data: dict[str, Any]) -> list[Change]:
        wallet = data["wallet"]
        amount = _checked_amount(data, wallet.currency)
        unit = wallet.unit
        after = unit.describe(wallet.balance - amount) if amount is not None else ""
        return [
            Change("Wallet", f"{wallet.scope_label} · {unit.label}"),
            Change("Revoked", "", f"−{data['amount']} {unit.key}"),
            Change("Balance", unit.describe(wallet.balance), after),
            Change("Date", "", timezone.localdate().isoformat()),
            self.approval(wallet.credit_type, wallet.currency, amount),
        ]

    def call_confirmed(
        self, target: Account, data: dict[str, Any], *, reason: str, key: str
    ) -> Any:
        wallet = data["wallet"]
        return self.submit(
            target,
            reason=reason,
            key=key,
            subscription=wallet.subscription,
            credit_type=wallet.credit_type,
            currency=wallet.currency,
            amount=data["amount"],
        )


class ChargeView(CreditConfirmView):
    permission_required = "credits.add_manual_charge"
    operation = ApprovalOperation.CHARGE
    form_class = forms.ChargeForm
    form_prefix = "charge"
    failure_message = "Manual charge"
    title = "Add a manual charge"
    confirm_label = "Add charge"

    def changes(self, target: Account, data: dict[str, Any]) -> list[Change]:
        currency = data["currency"]
        amount = _checked_amount(data, currency)
        unit = Unit(currency)
        methods = sorted(target.payment_methods.all(), key=lambda m: not m.is_default)
        method = methods[0] if methods else None
        rows = [
            Change("Charge", "", f"{data['amount']} {currency}"),
            Change("Subscription", "", str(data["subscription"] or "None")),
            Change("Date", "", timezone.localdate().isoformat()),
        ]
        if data["use_credits"] and amount is not None:
            available = account_credit_balance(
                account=target, currency=currency, subscription=data["subscription"]
            )
            taken = min(available, amount)
            rows.append(Change("From credit", unit.describe(available), unit.describe(taken)))
            rows.append(
                Change(
                    f"Billed to {method or 'the payment method'}",
                    "",
                    unit.describe(amount - taken),
                )
            )
        else:
            rows.append(
                Change(
                    f"Billed to {method or 'the payment method'}",
                    "",
                    f"{data['amount']} {currency}",
                )
            )
        rows.append(self.approval(CreditType.CURRENCY, currency, amount))
        return rows

    def call_confirmed(
        self, target: Account, data: dict[str, Any], *, reason: str, key: str
    ) -> Any:
        submitted = self.submit(target, reason=reason, key=key, **data)
        if submitted.waiting:
            return submitted
        charge = submitted.result
        currency = data["currency"]
        billed = f"{money.plain(charge.billed, currency)} {currency} billed to the payment method"
        if charge.application and charge.application.entries:
            consumed = money.plain(charge.application.consumed, currency)
            self.success_message = f"Charge added: {consumed} {currency} from credit, {billed}."
        else:
            self.success_message = f"Charge added: {billed}."
        return submitted


class RefundView(CreditConfirmView):
    permission_required = "credits.issue_manual_refund"
    operation = ApprovalOperation.MANUAL_REFUND
    form_class = forms.RefundForm
    form_prefix = "refund"
    success_message = "Refund issued."
    failure_message = "Manual refund"
    title = "Issue a manual refund"
    confirm_label = "Issue refund"

    def changes(self, target: Account, data: dict[str, Any]) -> list[Change]:
        return [
            Change("Refund", "", f"{data['amount']} {data['currency']}"),
            Change("Refunded to", "", str(data["refunded_to"])),
            Change("Subscription", "", str(data["subscription"] or "None")),
            Change("Credit balances", "Unchanged", "Unchanged: money goes back, not credit"),
            Change("Date", "", timezone.localdate().isoformat()),
            self.approval(
                CreditType.CURRENCY, data["currency"], _checked_amount(data, data["currency"])
            ),
        ]

    def call_confirmed(
        self, target: Account, data: dict[str, Any], *, reason: str, key: str
    ) -> Any:
        return self.submit(target, reason=reason, key=key, **data)


# --- Approvals --------------------------------------------------------------------------------


class ApprovalListView(PermissionRequiredMixin, PagedTableMixin, FilterView):
    """Requests for approval; what waits for a decision unless another state is chosen."""

    permission_required = "credits.approve_credit"
    filterset_class = CreditApprovalFilter
    table_class = CreditApprovalTable
    template_name = "credits/approvals.html"

    def get_queryset(self) -> Any:
        return credit_approvals()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(expiry_days=settings.APPROVAL_EXPIRY_DAYS, **kwargs)

    def get_filterset_kwargs(self, filterset_class: Any) -> dict[str, Any]:
        kwargs = super().get_filterset_kwargs(filterset_class)
        if "state" not in self.request.GET:
            data = self.request.GET.copy()
            data["state"] = ApprovalState.PENDING
            kwargs["data"] = data
        return kwargs


class ApprovalDetailView(PermissionRequiredMixin, TemplateView):
    """One request: what it would do, who asked and why, and the decision (or its forms)."""

    permission_required = "credits.approve_credit"
    template_name = "credits/approval.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        approval = credit_approval(pk=self.kwargs["pk"])
        own = approval.actor_id == self.request.user.pk
        decidable = approval.state == ApprovalState.PENDING and not approval.overdue and not own
        return super().get_context_data(
            approval=approval,
            own=own,
            decidable=decidable,
            reject_form=forms.RejectForm(prefix="reject"),
            **kwargs,
        )


class ApprovalActionView(ActionView):
    """A decision on a request, posted from its page; back to the page with the outcome."""

    permission_required = "credits.approve_credit"

    def get_object(self) -> Any:
        return credit_approval(pk=self.kwargs["pk"])


class ApproveView(ApprovalActionView):
    failure_message = "Approval"

    def call(self, target: Any, data: dict[str, Any]) -> None:
        approval = services.approval_approve(actor=self.request.user, approval=target)
        self.success_message = (
            f"Approved: the {approval.get_operation_display().lower()} of "
            f"{approval.described_amount} for {approval.actor_name} ran now."
        )


class RejectView(ApprovalActionView):
    form_class = forms.RejectForm
    form_prefix = "reject"
    failure_message = "Rejection"
    success_message = "Rejected: nothing was changed, and the requester can read your reason."

    def call(self, target: Any, data: dict[str, Any]) -> None:
        services.approval_reject(actor=self.request.user, approval=target, reason=data["reason"])
