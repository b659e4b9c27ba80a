"""The filters of Legacy mode: the same range of days as Recent Activity, and the old types."""

import django_filters
from django import forms

from core.filters import DateRangeFilterSet, date_filter
from legacy_history.models import LegacyEntry


class LegacyFilter(DateRangeFilterSet):
    """Dates are inclusive local days of the entry's creation, as on Recent Activity."""

    date_range = ("date_from", "date_to", "created_at")

    q = django_filters.CharFilter(
        label="Search messages",
        field_name="message",
        lookup_expr="fcontains",
        help_text="Words in the old messages",
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    date_from = date_filter("From")
    date_to = date_filter("To")
    type = django_filters.MultipleChoiceFilter(
        label="Types",
        choices=LegacyEntry.Type.choices,
        widget=forms.CheckboxSelectMultiple,
        distinct=False,
    )

    class Meta:
        model = LegacyEntry
        fields = ["q", "date_from", "date_to", "type"]
