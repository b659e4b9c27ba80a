"""The base of the filter forms that take a range of days (Recent Activity, Credit Activity)."""

from typing import Any, ClassVar

import django_filters
from django import forms
from django.db.models import QuerySet

from core.dates import local_day_range, validate_filter_day
from core.forms import DateInput

END_BEFORE_START = "The end date is before the start date."


class DateRangeForm(forms.Form):
    """Refuses a range whose end comes before its start, on the end's field."""

    date_range_fields: ClassVar[tuple[str, str]]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start_name, end_name = self.date_range_fields
        start, end = cleaned.get(start_name), cleaned.get(end_name)
        if start and end and start > end:
            self.add_error(end_name, END_BEFORE_START)
        return cleaned


def date_filter(label: str) -> django_filters.DateFilter:
    """One bound of the range; both are applied together by `DateRangeFilterSet`."""
    return django_filters.DateFilter(
        label=label,
        method="filter_dates",
        widget=DateInput(),
        validators=[validate_filter_day],
    )


class FilterSet(django_filters.FilterSet):
    """django-filter builds a new form class for every filterset it makes, and a form field for
    each of its filters (about 1.5 ms a page). No filterset here changes its filters per
    request, so each builds its form class once and every request makes a form of it."""

    _form_classes: ClassVar[dict[type, type[forms.Form]]] = {}

    def get_form_class(self) -> type[forms.Form]:
        form_class = self._form_classes.get(type(self))
        if form_class is None:
            form_class = self._form_classes[type(self)] = self.build_form_class()
        return form_class

    def build_form_class(self) -> type[forms.Form]:
        return super().get_form_class()


class DateRangeFilterSet(FilterSet):
    """A FilterSet with an inclusive range of local days (in the reader's time zone) on one time
    field. Subclasses declare the two bounds with `date_filter` and name them, with the field,
    in `date_range = (from_name, to_name, field)`."""

    date_range: ClassVar[tuple[str, str, str]]

    def build_form_class(self) -> type[forms.Form]:
        form_class = super().build_form_class()
        start, end, _field = self.date_range
        return type(
            form_class.__name__, (form_class, DateRangeForm), {"date_range_fields": (start, end)}
        )

    def filter_dates(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        # Both bounds are applied together in filter_queryset, from the cleaned form.
        return queryset

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        start, end, field = self.date_range
        data = self.form.cleaned_data
        return queryset.filter(local_day_range(data.get(start), data.get(end), field=field))

    def used_filters(self) -> dict[str, str]:
        """The filters given, as typed (what a CSV download records)."""
        return {name: self.data[name] for name in self.filters if self.data.get(name)}
