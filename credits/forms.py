"""The credit forms of the account page, and the period form of the credit roll-forward. The
account page's forms only parse; every rule (amount, sign, unit, currency of a subscription,
reason) is the services' to enforce, so a form and the API refuse the same things with the same
words."""

import datetime as dt
from typing import Any, cast

from django import forms
from django.utils import timezone

from accounts.models import Account
from core import money
from core.dates import DAY_OUT_OF_RANGE, validate_filter_day
from core.filters import DateRangeForm
from core.forms import DateInput
from credits.journal import PERIOD_NOT_CLOSED
from credits.models import CreditType, CreditWallet, LotKind
from credits.rollforward import Period
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

    def __init__(self, *args, account, currencies=None, wallets=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        # The account's wallets, when the caller has read them already (RevokeForm's choices).
        self.wallets = wallets
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
    # The grant's lot: a person's grant is goodwill unless they say otherwise; the service
    # refuses an expiry in the past.
    lot_kind = forms.ChoiceField(
        label="Kind", choices=LotKind.choices, initial=LotKind.GOODWILL, required=False
    )
    expires_on = forms.DateField(
        label="Expires on",
        required=False,
        widget=DateInput(),
        help_text="Optional: the last day the credit may be used.",
    )
    note = _reason_field()
    field_order = [
        "subscription", "credit_type", "currency", "amount", "lot_kind", "expires_on", "note",
    ]  # fmt: skip
    no_subscription_label = "The account"
    no_currency_label = "None (tokens)"

    def clean(self):
        cleaned = super().clean() or {}
        if cleaned.get("credit_type") == CreditType.TOKEN:
            cleaned["currency"] = ""  # tokens have no currency, whatever the box says
        return cleaned


# Revocations, charges and refunds cannot be undone: their forms choose what to do, and the
# confirmation page (core.views.ConfirmedActionView) asks for the reason.


class RevokeForm(AccountForm):
    wallet = forms.ChoiceField(label="From")
    field_order = ["wallet", "amount"]

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, account=account, **kwargs)
        wallets = self.wallets
        if wallets is None:
            wallets = CreditWallet.objects.for_account(account).select_related("subscription")
        self._wallets = {str(w.pk): w for w in wallets if w.balance > 0}
        self._choice("wallet").choices = [
            (pk, f"{w.scope_label} · {w.unit.label} (balance {w.unit.plain(w.balance)})")
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


# The account page's form of each operation the registry offers there (`on_account_page`,
# credits.operations), by the operation's code: the name the panel's template knows it by, and
# its class. tests/credits/test_operations.py proves the two agree.
ACCOUNT_PAGE_FORMS: dict[str, tuple[str, type[AccountForm]]] = {
    "grant": ("grant", GrantForm),
    "revoke": ("revoke", RevokeForm),
    "charge": ("charge", ChargeForm),
    "manual_refund": ("refund", RefundForm),
}


class RejectForm(forms.Form):
    """The approver's reason for turning a request down (the service requires it)."""

    reason = forms.CharField(
        label="Reason for rejecting",
        max_length=MAX_NOTE_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 40}),
    )


# The period of the credit roll-forward takes the days every date filter takes (core.dates).
DATE_OUT_OF_RANGE = DAY_OUT_OF_RANGE
TOKENS_HAVE_NO_CURRENCY = (
    "Tokens have no currency: clear the currency, or choose the type Currency."
)


class PeriodForm(DateRangeForm):
    """A period of whole local days (YYYY-MM-DD, inclusive, in the site's time zone), both ends
    required; the page fills in this month when neither is given."""

    date_range_fields = ("date_from", "date_to")

    date_from = forms.DateField(
        label="From",
        widget=DateInput(),
        error_messages={"required": "Give the first day of the period."},
        validators=[validate_filter_day],
    )
    date_to = forms.DateField(
        label="To",
        widget=DateInput(),
        error_messages={"required": "Give the last day of the period."},
        validators=[validate_filter_day],
    )

    @property
    def period(self) -> Period:
        return Period(self.cleaned_data["date_from"], self.cleaned_data["date_to"])


class UnitFields(forms.Form):
    """Optionally one credit type and one currency (the `unit` they ask for)."""

    type = forms.ChoiceField(
        label="Type", choices=[("", "Any type"), *CreditType.choices], required=False
    )
    currency = forms.CharField(
        label="Currency",
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"size": 5, "placeholder": "e.g. SEK"}),
    )

    def clean_currency(self) -> str:
        code = self.cleaned_data["currency"].strip().upper()
        if code and not money.is_known_currency(code):
            raise forms.ValidationError(money.UNKNOWN_CURRENCY.format(code))
        return code

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        if cleaned.get("type") == CreditType.TOKEN and cleaned.get("currency"):
            self.add_error("currency", TOKENS_HAVE_NO_CURRENCY)
        return cleaned

    @property
    def unit(self) -> dict[str, str]:
        """The credit type and currency asked for ("" for any)."""
        currency = self.cleaned_data["currency"]
        credit_type = self.cleaned_data["type"] or (CreditType.CURRENCY if currency else "")
        return {"credit_type": credit_type, "currency": currency}


class RollForwardForm(PeriodForm, UnitFields):
    """The roll-forward's query: the period, and optionally one credit type and one currency."""

    field_order = ["date_from", "date_to", "type", "currency"]


MOMENT_IN_FUTURE = "Choose a moment that has passed: later balances are not known yet."
NO_SUCH_ACCOUNT = "No account has the customer number {}."
ACCOUNT_OR_UNIT = "Give an account, a unit (a type or a currency), or both."


class BalancesOnForm(UnitFields):
    """Balances at a moment: a local day and optionally a time of it (the reader's time zone;
    without a time, the end of the day), for one account, every wallet of a unit, or both."""

    on = forms.DateField(
        label="On",
        widget=DateInput(),
        error_messages={"required": "Give the day."},
        validators=[validate_filter_day],
    )
    at = forms.TimeField(
        label="At",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="Empty: the end of the day",
    )
    account = forms.CharField(
        label="Account",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"size": 10, "placeholder": "customer number"}),
    )
    field_order = ["on", "at", "account", "type", "currency"]

    def clean_account(self) -> Any:
        number = self.cleaned_data["account"].strip()
        if not number:
            return None
        account = Account.objects.filter(customer_number=number).first()
        if account is None:
            raise forms.ValidationError(NO_SUCH_ACCOUNT.format(number))
        return account

    def clean(self) -> dict:
        cleaned = super().clean()
        day = cleaned.get("on")
        if day is not None:
            zone = timezone.get_current_timezone()
            time = cleaned.get("at")
            if time is None:
                moment = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
            else:
                moment = dt.datetime.combine(day, time, tzinfo=zone)
            if moment > timezone.now():
                self.add_error("at" if time is not None else "on", MOMENT_IN_FUTURE)
            cleaned["moment"] = moment
        if not self.errors and cleaned.get("account") is None and not any(self.unit.values()):
            raise forms.ValidationError(ACCOUNT_OR_UNIT)
        return cleaned


class JournalForm(PeriodForm):
    """The journal's period: whole local days, over before today (a journal of a period that
    is still running would change after it was booked)."""

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        last = cleaned.get("date_to")
        today = timezone.localdate()
        if last is not None and not self.has_error("date_to") and last >= today:
            self.add_error("date_to", PERIOD_NOT_CLOSED.format(today=today.isoformat()))
        return cleaned
