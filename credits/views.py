from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView
from django_filters.views import FilterView
from django_tables2 import LazyPaginator

from accounts.models import Account
from accounts.selectors import account_detail, account_get
from config import money
from config.downloads import recorded
from config.paging import PagedTableMixin
from config.replicas import ReplicaReadsMixin, read_alias
from config.views import ActionView, csv_download
from credits import export, forms, services
from credits.filters import CreditActivityFilter
from credits.selectors import credit_activity, transaction_entries
from credits.tables import CreditEntryTable


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
        return super().get_context_data(export_query=query.urlencode(), **kwargs)


class CreditActivityExportView(ReplicaReadsMixin, PermissionRequiredMixin, View):
    """The CSV of exactly the filtered entries (all pages), in the page's date order."""

    permission_required = "credits.export_credit_activity"

    def get(self, request: HttpRequest) -> HttpResponseBase:
        filterset = CreditActivityFilter(request.GET, queryset=credit_activity())
        if not filterset.is_valid():
            for name, errors in filterset.errors.items():
                field = filterset.form.fields.get(name)
                label = f"{field.label}: " if field else ""
                messages.error(request, f"Download not started: {label}{' '.join(errors)}")
            return redirect(f"{reverse('credits:activity')}?{request.GET.urlencode()}")
        # Bound now: the file streams after this view (and its choice of database) returns.
        entries = filterset.qs.using(read_alias())
        if request.GET.get("sort") == "created_at":
            entries = entries.order_by("created_at", "id")
        record = services.credit_export_start(actor=request.user, filters=filterset.used_filters())
        return csv_download(recorded(export.csv_rows(entries), record), stem="credit-activity")


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
        services.credit_grant(actor=self.request.user, account=target, **data)


class RevokeView(CreditActionView):
    permission_required = "credits.revoke_credit"
    form_class = forms.RevokeForm
    form_prefix = "revoke"
    success_message = "Credit revoked."
    failure_message = "Revocation"

    def call(self, target: Account, data: dict[str, Any]) -> None:
        wallet = data["wallet"]
        services.credit_revoke(
            actor=self.request.user,
            account=target,
            subscription=wallet.subscription,
            credit_type=wallet.credit_type,
            currency=wallet.currency,
            amount=data["amount"],
            note=data["note"],
        )


class ChargeView(CreditActionView):
    permission_required = "credits.add_manual_charge"
    form_class = forms.ChargeForm
    form_prefix = "charge"
    failure_message = "Manual charge"

    def call(self, target: Account, data: dict[str, Any]) -> None:
        charge = services.manual_charge(actor=self.request.user, account=target, **data)
        currency = data["currency"]
        billed = f"{money.plain(charge.billed, currency)} {currency} billed to the payment method"
        if charge.application and charge.application.entries:
            consumed = money.plain(charge.application.consumed, currency)
            self.success_message = f"Charge added: {consumed} {currency} from credit, {billed}."
        else:
            self.success_message = f"Charge added: {billed}."


class RefundView(CreditActionView):
    permission_required = "credits.issue_manual_refund"
    form_class = forms.RefundForm
    form_prefix = "refund"
    success_message = "Refund issued."
    failure_message = "Manual refund"

    def call(self, target: Account, data: dict[str, Any]) -> None:
        services.manual_refund(actor=self.request.user, account=target, **data)
