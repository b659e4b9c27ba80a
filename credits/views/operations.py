"""The credit operations posted from the account page: grant, revoke, manual charge and manual
refund, each one service call (the last three after a confirmation page)."""

from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import Account
from accounts.selectors import account_detail, account_get
from core import money
from core.money import Unit
from core.views import ActionView, Change, ConfirmedActionView
from credits import forms, services
from credits.models import ApprovalOperation, CreditType
from credits.operations import OPERATION
from credits.selectors import account_credit_balance
from credits.services.limits import over_limit
from credits.services.validation import typed_amount


class CreditActionView(ActionView):
    """A credit form posted from the account page: one service call, then back."""

    form_class: Any  # a credit form, which takes the account
    # The registry's operation (credits.operations): its permission gates the page.
    operation: str

    def get_permission_required(self) -> tuple[str, ...]:
        return (OPERATION[self.operation].permission,)

    def get_object(self) -> Account:
        return account_get(customer_number=self.kwargs["customer_number"])

    def make_form(self, data: Any) -> Any:
        # The account with its subscriptions and payment methods, which the form's choices use.
        account = account_detail(customer_number=self.object.customer_number)
        return self.form_class(data, account=account, prefix=self.form_prefix)


class GrantView(CreditActionView):
    operation = ApprovalOperation.GRANT
    form_class = forms.GrantForm
    form_prefix = "grant"
    success_message = "Credit granted."
    failure_message = "Grant"

    def call(self, target: Account, data: dict[str, Any]) -> None:
        submitted = services.credit_request(
            actor=self.request.user, operation=self.operation, account=target, **data
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
        f"request {approval.pk}, and runs when a second person (Finance) approves it; follow "
        "it under My requests, and the account's Recent Activity shows when it is decided."
    )


def _checked_amount(data: dict[str, Any], currency: str) -> Decimal | None:
    """The amount as a number, or None when it is not one (the service refuses it on
    confirmation, with its own words)."""
    return typed_amount(str(data.get("amount", "")))


class CreditConfirmView(CreditActionView, ConfirmedActionView):
    """A credit operation that cannot be undone: confirmation page, then one service call."""

    def make_form(self, data: Any) -> Any:
        account = account_detail(customer_number=self.object.customer_number)
        return self.form_class(data, account=account, prefix=self.form_prefix)

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
