from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin, SingleTableView

from accounts.selectors import account_detail
from accounts.views import AccountActionView
from config.tables import BoundedLazyPaginator
from credits import export, forms, money, services
from credits.filters import CreditActivityFilter
from credits.selectors import credit_activity, transaction_entries
from credits.tables import CreditEntryTable


class CreditActivityView(PermissionRequiredMixin, SingleTableMixin, FilterView):
    """Every customer's credit activity, filtered; pages without a COUNT over the ledger."""

    permission_required = "credits.view_credit_activity"
    filterset_class = CreditActivityFilter
    table_class = CreditEntryTable
    paginator_class = BoundedLazyPaginator
    template_name = "credits/credit_activity.html"

    def get_queryset(self):
        return credit_activity()

    def get_context_data(self, **kwargs):
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(export_query=query.urlencode(), **kwargs)


class CreditActivityExportView(PermissionRequiredMixin, View):
    """The CSV of exactly the filtered entries (all pages), in the page's date order."""

    permission_required = "credits.export_credit_activity"

    def get(self, request):
        filterset = CreditActivityFilter(request.GET, queryset=credit_activity())
        if not filterset.is_valid():
            for name, errors in filterset.errors.items():
                field = filterset.form.fields.get(name)
                label = f"{field.label}: " if field else ""
                messages.error(request, f"Download not started: {label}{' '.join(errors)}")
            return redirect(f"{reverse('credits:activity')}?{request.GET.urlencode()}")
        entries = filterset.qs
        if request.GET.get("sort") == "created_at":
            entries = entries.order_by("created_at", "id")
        return export.csv_response(entries, user=request.user, filters=filterset.used_filters())


class TransactionView(PermissionRequiredMixin, SingleTableView):
    """The entries of one transaction, in every wallet it touched."""

    permission_required = "credits.view_credit_activity"
    table_class = CreditEntryTable
    template_name = "credits/transaction.html"

    def get_queryset(self):
        return transaction_entries(transaction_id=self.kwargs["transaction_id"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if not context["table"].page.object_list:
            raise Http404("No credit entry has this transaction ID.")
        return {**context, "transaction_id": self.kwargs["transaction_id"]}


class CreditActionView(AccountActionView):
    """A credit form posted from the account page: one service call, then back."""

    def make_form(self, data):
        # The account with its subscriptions and payment methods, which the form's choices use.
        account = account_detail(customer_number=self.account.customer_number)
        return self.form_class(data, account=account, prefix=self.form_prefix)


class GrantView(CreditActionView):
    permission_required = "credits.grant_credit"
    form_class = forms.GrantForm
    form_prefix = "grant"
    success_message = "Credit granted."
    failure_message = "Grant"

    def call(self, account, data):
        services.credit_grant(actor=self.request.user, account=account, **data)


class RevokeView(CreditActionView):
    permission_required = "credits.revoke_credit"
    form_class = forms.RevokeForm
    form_prefix = "revoke"
    success_message = "Credit revoked."
    failure_message = "Revocation"

    def call(self, account, data):
        wallet = data["wallet"]
        services.credit_revoke(
            actor=self.request.user,
            account=account,
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

    def call(self, account, data):
        charge = services.manual_charge(actor=self.request.user, account=account, **data)
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

    def call(self, account, data):
        services.manual_refund(actor=self.request.user, account=account, **data)
