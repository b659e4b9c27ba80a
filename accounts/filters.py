import django_filters
from django import forms
from django.db.models import Q, QuerySet

from accounts.models import Account, AccountAccess
from accounts.selectors import account_search
from core.filters import DateRangeFilterSet, FilterSet, date_filter
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


class AccessLogFilter(DateRangeFilterSet):
    """The filters of an account's access log: who (a username, or any part of the name the
    record keeps), which page (`kind`), and an inclusive range of local days."""

    date_range = ("date_from", "date_to", "created_at")

    user = django_filters.CharFilter(label="Who", method="filter_user", max_length=150)
    # Not `page`: that is the table's page number.
    kind = django_filters.ChoiceFilter(
        field_name="page", label="Page", choices=AccountAccess.Page.choices, empty_label="Any page"
    )
    date_from = date_filter("From")
    date_to = date_filter("To")

    class Meta:
        model = AccountAccess
        fields = ["user", "kind", "date_from", "date_to"]

    def filter_user(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(actor__username__iexact=value) | Q(actor_name__icontains=value))
