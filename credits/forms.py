"""The credit forms of the account page. They only parse; every rule (amount, sign, unit,
currency of a subscription, reason) is the services' to enforce, so a form and the API refuse
the same things with the same words."""

from typing import cast

from django import forms

from credits.models import CreditType, CreditWallet
from credits.selectors import currencies_in_use
from credits.services import MAX_NOTE_LENGTH


def _account_currency(account) -> str:
    """The currency the account is billed in (its first subscription's), to prefill forms."""
    for subscription in account.subscriptions.all():
        return subscription.product.currency
    return ""


class AccountForm(forms.Form):
    """A form about one account; choices come from its (prefetched) subscriptions, currencies
    from the codes in use (`currencies`, when the caller has read them already)."""

    amount = forms.CharField(
        max_length=30, widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 10})
    )

    def __init__(self, *args, account, currencies=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        if "currency" in self.fields:
            codes = currencies_in_use() if currencies is None else currencies
            self._choice("currency").choices = [("", self.no_currency_label)] + [
                (code, code) for code in codes
            ]
        self._subscriptions = {s.order_id: s for s in account.subscriptions.all()}
        if "subscription" in self.fields:
            self._choice("subscription").choices = [("", self.no_subscription_label)] + [
                (order_id, f"{order_id} · {s.product.name}")
                for order_id, s in self._subscriptions.items()
            ]
        if "currency" in self.fields:
            self.fields["currency"].initial = _account_currency(account)

    no_subscription_label = "None"
    no_currency_label = "Choose…"

    def _choice(self, name: str) -> forms.ChoiceField:
        return cast(forms.ChoiceField, self.fields[name])

    def clean_subscription(self):
        order_id = self.cleaned_data.get("subscription")
        return self._subscriptions.get(order_id) if order_id else None

    def clean_currency(self):
        return self.cleaned_data.get("currency", "").strip().upper()


def _currency_field():
    # A select of the codes in use (set by AccountForm); the services check the code again.
    return forms.ChoiceField(required=False)


def _reason_field():
    return forms.CharField(
        label="Reason",
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 40}),
    )


class GrantForm(AccountForm):
    subscription = forms.ChoiceField(label="To", required=False)
    credit_type = forms.ChoiceField(
        label="Type", choices=CreditType.choices, initial=CreditType.CURRENCY
    )
    currency = _currency_field()
    note = _reason_field()
    field_order = ["subscription", "credit_type", "currency", "amount", "note"]
    no_subscription_label = "The account"
    no_currency_label = "None (tokens)"

    def clean(self):
        cleaned = super().clean() or {}
        if cleaned.get("credit_type") == CreditType.TOKEN:
            cleaned["currency"] = ""  # tokens have no currency, whatever the box says
        return cleaned


# Revocations, charges and refunds cannot be undone: their forms choose what to do, and the
# confirmation page (config.views.ConfirmedActionView) asks for the reason.


class RevokeForm(AccountForm):
    wallet = forms.ChoiceField(label="From")
    field_order = ["wallet", "amount"]

    def __init__(self, *args, account, wallets=None, **kwargs):
        super().__init__(*args, account=account, **kwargs)
        if wallets is None:
            wallets = CreditWallet.objects.for_account(account).select_related("subscription")
        self._wallets = {str(w.pk): w for w in wallets if w.balance > 0}
        self._choice("wallet").choices = [
            (pk, f"{w.scope_label} · {w.unit_label} (balance {w.display_balance})")
            for pk, w in self._wallets.items()
        ]

    def clean_wallet(self):
        return self._wallets[self.cleaned_data["wallet"]]


class ChargeForm(AccountForm):
    currency = _currency_field()
    subscription = forms.ChoiceField(label="Subscription", required=False)
    use_credits = forms.BooleanField(
        label="Use the account's credit first", required=False, initial=True
    )
    field_order = ["amount", "currency", "subscription", "use_credits"]


class RefundForm(AccountForm):
    currency = _currency_field()
    refunded_to = forms.ChoiceField(label="Refund to")
    subscription = forms.ChoiceField(label="Subscription", required=False)
    field_order = ["amount", "currency", "refunded_to", "subscription"]

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, account=account, **kwargs)
        self._methods = {str(m.pk): m for m in account.payment_methods.all()}
        self._choice("refunded_to").choices = [(pk, str(m)) for pk, m in self._methods.items()]

    def clean_refunded_to(self):
        return self._methods[self.cleaned_data["refunded_to"]]


class RejectForm(forms.Form):
    """The approver's reason for turning a request down (the service requires it)."""

    reason = forms.CharField(
        label="Reason for rejecting",
        max_length=MAX_NOTE_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 40}),
    )
