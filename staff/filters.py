import django_filters
from django.db.models import Q, QuerySet

from core.filters import DateRangeFilterSet, date_filter
from staff.models import Kind, StaffEvent


class StaffActivityFilter(DateRangeFilterSet):
    """The filters of the staff activity page and its CSV download. Dates are inclusive local
    days; `user` is a username, matched as the one who acted or the one it concerned."""

    date_range = ("date_from", "date_to", "occurred_at")

    user = django_filters.CharFilter(label="User", method="filter_user", max_length=150)
    kind = django_filters.ChoiceFilter(label="Kind", choices=Kind.choices, empty_label="Any kind")
    date_from = date_filter("From")
    date_to = date_filter("To")

    class Meta:
        model = StaffEvent
        fields = ["user", "kind", "date_from", "date_to"]

    def filter_user(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(subject_name__iexact=value) | Q(actor__username__iexact=value))
