import tempfile
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.formats import date_format
from django.views import View
from django.views.generic import DetailView, FormView
from django_filters.views import FilterView

from accounts import forms, services
from accounts.export import customer_archive
from accounts.filters import AccessLogFilter, AccountFilter
from accounts.models import Account, AccountAccess, PaymentMethod, Product, Subscription
from accounts.selectors import (
    account_accesses,
    account_detail,
    account_get,
    account_glance,
    available_actions,
    erasure_preview,
    product_choices,
)
from accounts.tables import AccessLogTable, AccountTable
from accounts.transitions import Action
from core import presence
from core.paging import CappedPaginator, PagedTableMixin
from core.views import ActionView, Change, ConfirmedActionView


class AccountSearchView(PermissionRequiredMixin, PagedTableMixin, FilterView):
    """Search; a search that finds exactly one account opens it."""

    permission_required = "accounts.view_account"
    filterset_class = AccountFilter
    table_class = AccountTable
    paginator_class = CappedPaginator
    template_name = "accounts/account_search.html"

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        searched = self.request.GET.get("q", "").strip()
        table = context["table"]
        if searched and context["filter"].is_valid() and table.paginator.count == 1:
            return redirect(table.page.object_list.data[0].get_absolute_url())
        return super().render_to_response(context, **kwargs)


class AccountDetailView(PermissionRequiredMixin, DetailView):
    permission_required = "accounts.view_account"
    template_name = "accounts/account_detail.html"
    context_object_name = "account"

    def get_object(self, queryset: Any = None) -> Account:
        account = account_detail(customer_number=self.kwargs["customer_number"])
        services.account_access_record(
            actor=self.request.user, account=account, page=AccountAccess.Page.ACCOUNT
        )
        return account

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        account = self.object
        on_sale = list(Product.objects.filter(is_active=True))
        return super().get_context_data(
            glance=account_glance(account),
            subscriptions=[
                (
                    sub,
                    available_actions(sub),
                    {
                        "change": product_choices(sub, Action.CHANGE_PRODUCT, on_sale),
                        "downgrade": product_choices(sub, Action.SCHEDULE_DOWNGRADE, on_sale),
                    },
                )
                for sub in account.subscriptions.all()
            ],
            address_form=forms.AddressForm(instance=account, prefix="address"),
            billing_day_form=forms.BillingDayForm(initial={"billing_day": account.billing_day}),
            viewers=presence.heartbeat(presence.account_thing(account.pk), self.request.user),
            live_poll_seconds=settings.LIVE_POLL_SECONDS,
            **kwargs,
        )


class AccessLogView(PermissionRequiredMixin, PagedTableMixin, FilterView):
    """Who opened the account's pages or downloaded its data, newest first, filtered by who,
    page and days. Opening it is itself recorded."""

    permission_required = "accounts.view_accountaccess"
    filterset_class = AccessLogFilter
    table_class = AccessLogTable
    template_name = "accounts/access_log.html"

    def get_queryset(self) -> Any:
        self.account = account_get(customer_number=self.kwargs["customer_number"])
        services.account_access_record(
            actor=self.request.user,
            account=self.account,
            page=AccountAccess.Page.ACCESS_LOG,
            filters=services.typed_filters(
                self.request.GET, [*AccessLogFilter.base_filters, "page"]
            ),
        )
        return account_accesses(self.account)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(account=self.account, **kwargs)


class CustomerDataExportView(PermissionRequiredMixin, View):
    """Everything held on one customer, as one ZIP of CSV and JSON files (GDPR art. 15). The
    archive is written to a file on disk first (bounded memory), then sent; the download is
    recorded in the account's access log and in staff activity."""

    permission_required = "accounts.export_account_data"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> FileResponse:
        account = account_get(customer_number=kwargs["customer_number"])
        file = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it when sent)
        archive = customer_archive(account, file)
        services.account_data_export_record(
            actor=request.user, account=account, files=archive.files
        )
        file.seek(0)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return FileResponse(
            file,
            as_attachment=True,
            filename=f"customer-data-{account.customer_number}-{stamp}.zip",
            content_type="application/zip",
        )


class AccountPresenceView(PermissionRequiredMixin, View):
    """What an open account page polls: who else is viewing the account, as JSON
    (`{"viewers": [names]}`); each poll is the viewer's heartbeat (core.presence)."""

    permission_required = "accounts.view_account"
    # Asked by the page itself: not the user's activity (staff.middleware's idle timeout).
    polled = True

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        account = account_get(customer_number=self.kwargs["customer_number"])
        thing = presence.account_thing(account.pk)
        return JsonResponse({"viewers": presence.heartbeat(thing, request.user)})


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
        next_billing = services.account_change_billing_day(
            actor=self.request.user, account=target, billing_day=data["billing_day"]
        )
        if next_billing:
            self.success_message = (
                f"Billing day changed to {data['billing_day']}: the next billing is on "
                f"{next_billing:%Y-%m-%d}, and on that day of every month after it."
            )


class PaymentMethodDefaultView(AccountActionView):
    permission_required = "accounts.change_account"
    success_message = "Default payment method changed."
    failure_message = "Payment method change"

    def call(self, target: Account, data: dict[str, Any]) -> None:
        method = get_object_or_404(PaymentMethod, pk=self.kwargs["pk"], account=target)
        services.payment_method_set_default(actor=self.request.user, method=method)


# Subscription actions: action -> (form or None, service, arguments from the form, message).
# Cancelling now and changing the product now are confirmed first (SubscriptionConfirmView).
SUBSCRIPTION_ACTIONS: dict[Action, tuple[Any, Any, dict[str, str], str]] = {
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

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if kwargs["action"] in CONFIRMED:
            return SubscriptionConfirmView.as_view()(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

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


class AnonymiseView(PermissionRequiredMixin, FormView):
    """The confirmation of an erasure: what will be redacted (counts per kind), the customer
    number typed again and a reason; then one service call."""

    permission_required = "accounts.anonymise_account"
    template_name = "accounts/anonymise.html"
    form_class = forms.AnonymiseForm

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.account = account_get(customer_number=kwargs["customer_number"])

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "account": self.account}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            account=self.account, preview=erasure_preview(self.account), **kwargs
        )

    def form_valid(self, form: forms.AnonymiseForm) -> HttpResponse:
        try:
            erasure = services.account_anonymise(
                account=self.account, actor=self.request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        if erasure.done:
            total = sum(erasure.redacted.values())
            messages.success(
                self.request, f"The customer's personal data was erased ({total} records)."
            )
        else:
            messages.info(self.request, "This account was anonymised already: nothing changed.")
        return redirect(self.account.get_absolute_url())


def _product_label(product: Product) -> str:
    return f"{product.name} ({product.price} {product.currency} a {_period(product)})"


def _period(product: Product) -> str:
    months = product.period_months
    return "month" if months == 1 else f"{months} months"


class SubscriptionConfirmView(AccountActionView, ConfirmedActionView):
    """Cancel now, or change the product now: the confirmation page, then the change."""

    permission_required = "accounts.manage_subscriptions"
    failure_message = "Subscription action"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.action = Action(kwargs["action"])
        self.title, self.confirm_label, self.success_message = CONFIRMED[self.action]
        self.form_class = forms.ProductForm if self.action == Action.CHANGE_PRODUCT else None

    def get_object(self) -> Account:
        account = super().get_object()
        self.sub = get_object_or_404(
            Subscription.objects.select_related("product", "downgrade_to"),
            account=account,
            order_id=self.kwargs["order_id"],
        )
        return account

    def subscription(self, target: Account) -> Subscription:
        return self.sub

    def make_form(self, data: Any) -> forms.ProductForm:
        # The page offers only the allowed products; a post is checked by the service, which
        # also knows a repeat of a confirmation that was done already.
        if self.request.method == "GET":
            return forms.ProductForm(data, choices=product_choices(self.sub, self.action))
        return forms.ProductForm(data)

    def changes(self, target: Account, data: dict[str, Any]) -> list[Change]:
        sub = self.subscription(target)
        today = date_format(timezone.localdate(), "Y-m-d")
        next_billing = date_format(sub.next_billing_on, "Y-m-d") if sub.next_billing_on else ""
        rows = [Change("Subscription", sub.order_id, sub.order_id)]
        if self.action == Action.CANCEL:
            rows += [
                Change("Product", _product_label(sub.product), _product_label(sub.product)),
                Change("Status", sub.get_status_display(), "Cancelled"),
                Change("Ends", "", today),
                Change("Next billing", next_billing, "None: billing stops"),
            ]
            scheduled = [
                text
                for text, when in (
                    ("a cancellation", sub.cancellation_scheduled_for),
                    ("a downgrade", sub.downgrade_scheduled_for),
                    ("a pause", sub.pause_scheduled_for),
                )
                if when
            ]
            if scheduled:
                rows.append(Change("Scheduled", ", ".join(scheduled).capitalize(), "Dropped"))
        else:
            product = data["product"]
            rows += [
                Change("Product", _product_label(sub.product), _product_label(product)),
                Change("From", "", today),
                Change("Next billing", next_billing, f"{next_billing} at the new price"),
            ]
            if sub.downgrade_to_id:
                rows.append(Change("Scheduled downgrade", str(sub.downgrade_to), "Dropped"))
        return rows

    def call_confirmed(
        self, target: Account, data: dict[str, Any], *, reason: str, key: str
    ) -> Subscription:
        subscription = self.subscription(target)
        if self.action == Action.CANCEL:
            return services.subscription_cancel(
                actor=self.request.user,
                subscription=subscription,
                reason=reason,
                idempotency_key=key,
            )
        return services.subscription_change_product(
            actor=self.request.user,
            subscription=subscription,
            product=data["product"],
            reason=reason,
            idempotency_key=key,
        )


# Confirmed actions: action -> (page title, button, success message).
CONFIRMED: dict[str, tuple[str, str, str]] = {
    Action.CANCEL: ("Cancel the subscription now", "Cancel now", "Subscription cancelled."),
    Action.CHANGE_PRODUCT: ("Change the product now", "Change product now", "Product changed."),
}
