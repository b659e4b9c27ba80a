import django_filters
from django import forms

from accounts.models import Account
from accounts.selectors import account_search
from core.filters import FilterSet
from core.forms import LongSelect, country_choices


class AccountFilter(FilterSet):
    q = django_filters.CharFilter(
        label="Search",
        method="search",
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "placeholder": "Name, e-mail, customer number, order ID, phone or card digits",
                "autofocus": True,
            }
        ),
    )
    status = django_filters.ChoiceFilter(choices=Account.Status.choices, empty_label="Any status")
    country = django_filters.ChoiceFilter(
        choices=country_choices, empty_label="Any country", label="Country", widget=LongSelect
    )

    class Meta:
        model = Account
        fields = ["q", "status", "country"]

    def search(self, queryset, name, value):
        return queryset & account_search(q=value)
