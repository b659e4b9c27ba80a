from typing import Any

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.generic import DetailView
from django_filters.views import FilterView

from accounts import forms, services
from accounts.filters import AccountFilter
from accounts.models import Account, PaymentMethod, Product, Subscription
from accounts.selectors import account_detail, account_get, available_actions
from accounts.tables import AccountTable
from accounts.transitions import Action
from config.paging import CappedPaginator, PagedTableMixin
from config.views import ActionView


class AccountSearchView(PermissionRequiredMixin, PagedTableMixin, FilterView):
    permission_required = "accounts.view_account"
    filterset_class = AccountFilter
    table_class = AccountTable
    paginator_class = CappedPaginator
    template_name = "accounts/account_search.html"


class AccountDetailView(PermissionRequiredMixin, DetailView):
    permission_required = "accounts.view_account"
    template_name = "accounts/account_detail.html"
    context_object_name = "account"

    def get_object(self, queryset: Any = None) -> Account:
        return account_detail(customer_number=self.kwargs["customer_number"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        account = self.object
        return super().get_context_data(
            subscriptions=[(sub, available_actions(sub)) for sub in account.subscriptions.all()],
            products=list(Product.objects.filter(is_active=True)),
            address_form=forms.AddressForm(instance=account, prefix="address"),
            billing_day_form=forms.BillingDayForm(initial={"billing_day": account.billing_day}),
            **kwargs,
        )


class AccountActionView(ActionView):
    """A form posted from the account page: one service call, then back to the account."""

    def get_object(self) -> Account:
        return account_get(customer_number=self.kwargs["customer_number"])


class AddressUpdateView(AccountActionView):
    permission_required = "accounts.change_account"
    form_class = forms.AddressForm
    form_prefix = "address"
    success_message = "Address updated."
    failure_message = "Address change"

    def make_form(self, data: Any) -> forms.AddressForm:
        # A copy of the account: ModelForm validation writes into its instance, and the service
        # must compare the new values with the stored ones.
        instance = account_get(customer_number=self.object.customer_number)
        return forms.AddressForm(data, prefix=self.form_prefix, instance=instance)

    def call(self, target: Account, data: dict[str, Any]) -> None:
        services.account_update_address(actor=self.request.user, account=target, **data)


class BillingDayUpdateView(AccountActionView):
    permission_required = "accounts.change_account"
    form_class = forms.BillingDayForm
    success_message = "Billing day changed."
    failure_message = "Billing day change"

    def call(self, target: Account, data: dict[str, Any]) -> None:
        services.account_change_billing_day(
            actor=self.request.user, account=target, billing_day=data["billing_day"]
        )


class PaymentMethodDefaultView(AccountActionView):
    permission_required = "accounts.change_account"
    success_message = "Default payment method changed."
    failure_message = "Payment method change"

    def call(self, target: Account, data: dict[str, Any]) -> None:
        method = get_object_or_404(PaymentMethod, pk=self.kwargs["pk"], account=target)
        services.payment_method_set_default(actor=self.request.user, method=method)


# Subscription actions: action -> (form or None, service, arguments from the form, message).
SUBSCRIPTION_ACTIONS: dict[Action, tuple[Any, Any, dict[str, str], str]] = {
    Action.CANCEL: (None, services.subscription_cancel, {}, "Subscription cancelled."),
    Action.SCHEDULE_CANCELLATION: (
        forms.ScheduleCancellationForm,
        services.subscription_schedule_cancellation,
        {"cancel_on": "cancel_on"},
        "Cancellation scheduled.",
    ),
    Action.WITHDRAW_CANCELLATION: (
        None,
        services.subscription_withdraw_cancellation,
        {},
        "Cancellation withdrawn.",
    ),
    Action.SCHEDULE_DOWNGRADE: (
        forms.ScheduleDowngradeForm,
        services.subscription_schedule_downgrade,
        {"product": "product", "downgrade_on": "downgrade_on"},
        "Downgrade scheduled.",
    ),
    Action.WITHDRAW_DOWNGRADE: (
        None,
        services.subscription_withdraw_downgrade,
        {},
        "Downgrade withdrawn.",
    ),
    Action.CHANGE_PRODUCT: (
        forms.ProductForm,
        services.subscription_change_product,
        {"product": "product"},
        "Product changed.",
    ),
    Action.SCHEDULE_PAUSE: (
        forms.SchedulePauseForm,
        services.subscription_schedule_pause,
        {"pause_on": "pause_on", "months": "months"},
        "Pause scheduled.",
    ),
    Action.CANCEL_PAUSE: (
        None,
        services.subscription_cancel_scheduled_pause,
        {},
        "Scheduled pause cancelled.",
    ),
    Action.END_PAUSE: (None, services.subscription_end_pause_early, {}, "Pause ended."),
    Action.REFRESH_ENTITLEMENTS: (
        None,
        services.subscription_refresh_entitlements,
        {},
        "Entitlements refreshed.",
    ),
}


class SubscriptionActionView(AccountActionView):
    permission_required = "accounts.manage_subscriptions"
    failure_message = "Subscription action"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            action = Action(kwargs["action"])
            entry = SUBSCRIPTION_ACTIONS[action]
        except (ValueError, KeyError):
            raise Http404("Unknown subscription action.") from None
        self.form_class, self.service, self.arguments, self.success_message = entry
        return super().post(request, *args, **kwargs)

    def call(self, target: Account, data: dict[str, Any]) -> None:
        subscription = get_object_or_404(
            Subscription, account=target, order_id=self.kwargs["order_id"]
        )
        arguments = {name: data[key] for name, key in self.arguments.items()}
        self.service(actor=self.request.user, subscription=subscription, **arguments)
