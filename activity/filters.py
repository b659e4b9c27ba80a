import functools

import django_filters
from django import forms
from django.db.models import QuerySet

from activity.models import ActivityEvent
from activity.registry import Category, types_by_category
from activity.selectors import search_events
from core.filters import DateRangeFilterSet, date_filter

SEARCH_MAX_LENGTH = 200


@functools.cache
def _type_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The event types by category. Given to the filter as a function, so that the filter and
    its form field, copied for every request, share one list instead of copying its ~60 types."""
    return [
        (category.value, [(t.code, t.title) for t in types])
        for category, types in types_by_category()
    ]


class ActivityFilter(DateRangeFilterSet):
    """Filters of the Recent Activity page and the events API. Dates are inclusive local days."""

    date_range = ("date_from", "date_to", "occurred_at")

    q = django_filters.CharFilter(
        label="Search events",
        method="filter_search",
        help_text="Words in comments and in the events' details",
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    date_from = date_filter("From")
    date_to = date_filter("To")
    # No DISTINCT: no join can repeat an event, and DISTINCT makes PostgreSQL read and sort every
    # matching row before it can take one page, instead of reading the page from the index.
    type = django_filters.MultipleChoiceFilter(
        label="Activity types",
        choices=_type_choices,
        widget=forms.CheckboxSelectMultiple,
        distinct=False,
    )
    category = django_filters.ChoiceFilter(
        label="Category",
        choices=[(c.code, c.value) for c in Category],
        method="filter_category",
        empty_label="All categories",
    )
    actor = django_filters.ChoiceFilter(
        label="Actor",
        field_name="actor_kind",
        choices=[
            (ActivityEvent.ActorKind.AGENT, "Agent"),
            (ActivityEvent.ActorKind.SYSTEM, "System"),
        ],
        empty_label="Anyone",
    )

    class Meta:
        model = ActivityEvent
        fields = ["q", "date_from", "date_to", "type", "category", "actor"]

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        term = value.strip()
        return search_events(queryset, term) if term else queryset

    def filter_category(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(type__in=_category_codes(value))

    def chosen_types(self) -> set[str] | None:
        """The types a valid filter lets through (the chosen types within the chosen category),
        or None for every type."""
        data = self.form.cleaned_data
        types = set(data.get("type") or ()) or None
        if data.get("category"):
            codes = set(_category_codes(data["category"]))
            types = codes if types is None else types & codes
        return types


def _category_codes(category: str) -> list[str]:
    return [t.code for c, types in types_by_category() if c.code == category for t in types]
