import django_filters
from django import forms

from activity.models import ActivityEvent
from activity.registry import Category, types_by_category
from activity.selectors import local_day_range
from config.forms import DateInput


def _type_choices():
    return [
        (category.value, [(t.code, t.title) for t in types])
        for category, types in types_by_category()
    ]


class ActivityFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned


class ActivityFilter(django_filters.FilterSet):
    """Filters of the Recent Activity page and the events API. Dates are inclusive local days."""

    date_from = django_filters.DateFilter(label="From", method="filter_dates", widget=DateInput())
    date_to = django_filters.DateFilter(label="To", method="filter_dates", widget=DateInput())
    # No DISTINCT: no join can repeat an event, and DISTINCT makes PostgreSQL read and sort every
    # matching row before it can take one page, instead of reading the page from the index.
    type = django_filters.MultipleChoiceFilter(
        label="Activity types",
        choices=_type_choices(),
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
        fields = ["date_from", "date_to", "type", "category", "actor"]
        form = ActivityFilterForm

    def filter_dates(self, queryset, name, value):
        # Both bounds are applied together in filter_queryset, from the cleaned form.
        return queryset

    def filter_category(self, queryset, name, value):
        codes = [t.code for c, types in types_by_category() if c.code == value for t in types]
        return queryset.filter(type__in=codes)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        return queryset.filter(local_day_range(data.get("date_from"), data.get("date_to")))
