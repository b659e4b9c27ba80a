from typing import Any, cast

from django import forms

from accounts.models import Account, Product
from accounts.services import MAX_PAUSE_MONTHS
from accounts.services.anonymise import MAX_REASON_LENGTH
from core.forms import DateInput, LongSelect, country_choices

CONFIRM_MISMATCH = "This is not the account's customer number: nothing was erased."


class AddressForm(forms.ModelForm):
    # The countries worked out once per language and written in Python: translated for each
    # form and rendered through Django's option templates they cost the account page 60 ms.
    country = forms.ChoiceField(choices=country_choices, widget=LongSelect, label="Country")

    class Meta:
        model = Account
        fields = ["street", "postcode", "city", "country"]


class BillingDayForm(forms.Form):
    billing_day = forms.IntegerField(min_value=1, max_value=28, label="Billing day")


class ScheduleCancellationForm(forms.Form):
    cancel_on = forms.DateField(label="Cancel on", widget=DateInput())


class ProductForm(forms.Form):
    """A product to move a subscription to: only those offered (`choices`, from
    `selectors.product_choices`) are valid; the services check the same rule again."""

    product = forms.ModelChoiceField(queryset=Product.objects.filter(is_active=True))

    def __init__(self, *args, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if choices is not None:
            field = cast(forms.ModelChoiceField, self.fields["product"])
            field.queryset = Product.objects.filter(pk__in=[p.pk for p in choices])
            field.error_messages["invalid_choice"] = (
                "That product is not offered for this subscription: choose one from the list."
            )


class ScheduleDowngradeForm(ProductForm):
    downgrade_on = forms.DateField(label="Downgrade on", widget=DateInput())


class SchedulePauseForm(forms.Form):
    pause_on = forms.DateField(label="Pause from", widget=DateInput())
    months = forms.IntegerField(min_value=1, max_value=MAX_PAUSE_MONTHS)


class AnonymiseForm(forms.Form):
    """The confirmation of an erasure: the customer number typed again, and a reason."""

    confirm = forms.CharField(label="Type the customer number to confirm", max_length=20)
    reason = forms.CharField(
        label="Reason",
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept with the Customer Anonymised event, e.g. the request's reference.",
    )

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account = account

    def clean_confirm(self) -> str:
        typed = self.cleaned_data["confirm"].strip()
        if typed != self.account.customer_number:
            raise forms.ValidationError(CONFIRM_MISMATCH)
        return typed
