from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import DetailView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from accounts import forms, services
from accounts.filters import AccountFilter
from accounts.models import PaymentMethod, Product, Subscription
from accounts.selectors import account_detail, account_get
from accounts.tables import AccountTable


class AccountSearchView(PermissionRequiredMixin, SingleTableMixin, FilterView):
    permission_required = "accounts.view_account"
    filterset_class = AccountFilter
    table_class = AccountTable
    template_name = "accounts/account_search.html"


class AccountDetailView(PermissionRequiredMixin, DetailView):
    permission_required = "accounts.view_account"
    template_name = "accounts/account_detail.html"
    context_object_name = "account"

    def get_object(self, queryset=None):
        return account_detail(customer_number=self.kwargs["customer_number"])

    def get_context_data(self, **kwargs):
        account = self.object
        return super().get_context_data(
            products=list(Product.objects.filter(is_active=True)),
            address_form=forms.AddressForm(instance=account, prefix="address"),
            billing_day_form=forms.BillingDayForm(initial={"billing_day": account.billing_day}),
            **kwargs,
        )


def _report(request, exc: ValidationError, what: str):
    messages.error(request, f"{what} failed: {' '.join(exc.messages)}")


class AccountActionView(PermissionRequiredMixin, View):
    """POST-only base: parse a form, call one service, come back to the account page."""

    http_method_names = ["post"]
    form_class = None
    form_prefix = None
    success_message = ""
    failure_message = ""

    def call(self, account, data):
        raise NotImplementedError

    def post(self, request, customer_number, **kwargs):
        account = account_get(customer_number=customer_number)
        self.account = account
        data = {}
        if self.form_class is not None:
            form = self.make_form(request.POST)
            if not form.is_valid():
                for name, errors in form.errors.items():
                    field = form.fields.get(name)
                    label = (
                        f"{field.label or name.replace('_', ' ').capitalize()}: " if field else ""
                    )
                    messages.error(
                        request, f"{self.failure_message} failed: {label}{' '.join(errors)}"
                    )
                return redirect(account)
            data = form.cleaned_data
        try:
            self.call(account, data)
        except ValidationError as exc:
            _report(request, exc, self.failure_message)
        else:
            messages.success(request, self.success_message)
        return redirect(account)

    def make_form(self, data):
        return self.form_class(data, prefix=self.form_prefix)


class AddressUpdateView(AccountActionView):
    permission_required = "accounts.change_account"
    form_class = forms.AddressForm
    form_prefix = "address"
    success_message = "Address updated."
    failure_message = "Address change"

    def make_form(self, data):
        # A copy of the account: ModelForm validation writes into its instance, and the service
        # must compare the new values with the stored ones.
        instance = account_get(customer_number=self.account.customer_number)
        return self.form_class(data, prefix=self.form_prefix, instance=instance)

    def call(self, account, data):
        services.account_update_address(actor=self.request.user, account=account, **data)


class BillingDayUpdateView(AccountActionView):
    permission_required = "accounts.change_account"
    form_class = forms.BillingDayForm
    success_message = "Billing day changed."
    failure_message = "Billing day change"

    def call(self, account, data):
        services.account_change_billing_day(
            actor=self.request.user, account=account, billing_day=data["billing_day"]
        )


class PaymentMethodDefaultView(AccountActionView):
    permission_required = "accounts.change_account"
    success_message = "Default payment method changed."
    failure_message = "Payment method change"

    def call(self, account, data):
        method = get_object_or_404(PaymentMethod, pk=self.kwargs["pk"], account=account)
        services.payment_method_set_default(actor=self.request.user, method=method)


# Subscription actions: URL name -> (form or None, service, arguments from the form, message).
SUBSCRIPTION_ACTIONS = {
    "cancel": (None, services.subscription_cancel, {}, "Subscription cancelled."),
    "schedule-cancellation": (
        forms.ScheduleCancellationForm,
        services.subscription_schedule_cancellation,
        {"cancel_on": "cancel_on"},
        "Cancellation scheduled.",
    ),
    "withdraw-cancellation": (
        None,
        services.subscription_withdraw_cancellation,
        {},
        "Cancellation withdrawn.",
    ),
    "schedule-downgrade": (
        forms.ScheduleDowngradeForm,
        services.subscription_schedule_downgrade,
        {"product": "product", "downgrade_on": "downgrade_on"},
        "Downgrade scheduled.",
    ),
    "withdraw-downgrade": (
        None,
        services.subscription_withdraw_downgrade,
        {},
        "Downgrade withdrawn.",
    ),
    "change-product": (
        forms.ProductForm,
        services.subscription_change_product,
        {"product": "product"},
        "Product changed.",
    ),
    "schedule-pause": (
        forms.SchedulePauseForm,
        services.subscription_schedule_pause,
        {"pause_on": "pause_on", "months": "months"},
        "Pause scheduled.",
    ),
    "cancel-pause": (
        None,
        services.subscription_cancel_scheduled_pause,
        {},
        "Scheduled pause cancelled.",
    ),
    "end-pause": (None, services.subscription_end_pause_early, {}, "Pause ended."),
    "refresh-entitlements": (
        None,
        services.subscription_refresh_entitlements,
        {},
        "Entitlements refreshed.",
    ),
}


class SubscriptionActionView(AccountActionView):
    permission_required = "accounts.manage_subscriptions"
    failure_message = "Subscription action"

    def post(self, request, customer_number, order_id, action):
        if action not in SUBSCRIPTION_ACTIONS:
            raise Http404("Unknown subscription action.")
        self.form_class, self.service, self.arguments, self.success_message = SUBSCRIPTION_ACTIONS[
            action
        ]
        return super().post(request, customer_number)

    def call(self, account, data):
        subscription = get_object_or_404(
            Subscription, account=account, order_id=self.kwargs["order_id"]
        )
        arguments = {name: data[key] for name, key in self.arguments.items()}
        self.service(actor=self.request.user, subscription=subscription, **arguments)
