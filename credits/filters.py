import django_filters
from django import forms

from activity.selectors import local_day_range
from config.forms import DateInput
from credits.models import Activity, CreditEntry, CreditType


class CreditActivityFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("created_from"), cleaned.get("created_to")
        if start and end and start > end:
            self.add_error("created_to", "The end date is before the start date.")
        return cleaned


class CreditActivityFilter(django_filters.FilterSet):
    """The filters of the Credit Activity page and its CSV download; the query parameter names
    are part of the public surface (DESIGN section 11). Dates are inclusive local days."""

    account_name = django_filters.CharFilter(
        label="Account name", field_name="account__name", lookup_expr="icontains", max_length=200
    )
    account_id = django_filters.CharFilter(
        label="Account ID", field_name="account__customer_number", max_length=20
    )
    account_email = django_filters.CharFilter(
        label="Account e-mail", field_name="account__email", lookup_expr="iexact", max_length=254
    )
    subscription_id = django_filters.CharFilter(
        label="Subscription ID",
        field_name="subscription__order_id",
        lookup_expr="iexact",
        max_length=40,
    )
    subscription_name = django_filters.CharFilter(
        label="Subscription name",
        field_name="subscription__product__name",
        lookup_expr="icontains",
        max_length=200,
    )
    created_from = django_filters.DateFilter(
        label="Created from", method="filter_dates", widget=DateInput()
    )
    created_to = django_filters.DateFilter(
        label="Created to", method="filter_dates", widget=DateInput()
    )
    activity = django_filters.ChoiceFilter(choices=Activity.choices, empty_label="Any activity")
    type = django_filters.ChoiceFilter(
        label="Type", field_name="credit_type", choices=CreditType.choices, empty_label="Any type"
    )

    class Meta:
        model = CreditEntry
        fields = [
            "account_name",
            "account_id",
            "account_email",
            "subscription_id",
            "subscription_name",
            "created_from",
            "created_to",
            "activity",
            "type",
        ]
        form = CreditActivityFilterForm

    def filter_dates(self, queryset, name, value):
        # Both bounds are applied together in filter_queryset, from the cleaned form.
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        return queryset.filter(
            local_day_range(data.get("created_from"), data.get("created_to"), field="created_at")
        )

    def used_filters(self) -> dict[str, str]:
        """The filters given, as typed (what a CSV download records)."""
        return {name: self.data[name] for name in self.filters if self.data.get(name)}
