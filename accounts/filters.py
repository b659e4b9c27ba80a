import django_filters
from django import forms
from django_countries import countries

from accounts.models import Account
from accounts.selectors import account_search
from core.forms import LongSelect


def _country_choices() -> list[tuple[str, str]]:
    """The countries by name in the current language. A function, so that the filter and its
    form field, copied for every request, do not copy ~250 pairs each time."""
    return list(countries)


class AccountFilter(django_filters.FilterSet):
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
        choices=_country_choices, empty_label="Any country", label="Country", widget=LongSelect
    )

    class Meta:
        model = Account
        fields = ["q", "status", "country"]

    def search(self, queryset, name, value):
        return queryset & account_search(q=value)
