import django_tables2 as tables

from core.tables import BaseTable
from staff.models import StaffEvent


class StaffEventTable(BaseTable):
    """Newest first; only the time sorts (the index's order)."""

    occurred_at = tables.DateTimeColumn(
        verbose_name="When", format="Y-m-d H:i:s", order_by=("occurred_at", "id")
    )
    kind = tables.Column(verbose_name="Kind", orderable=False)
    actor_name = tables.Column(verbose_name="Who", orderable=False)
    subject_name = tables.Column(verbose_name="Whom", orderable=False, empty_values=("",))
    description = tables.Column(verbose_name="What", orderable=False, empty_values=())
    address = tables.Column(verbose_name="From address", orderable=False)

    class Meta(BaseTable.Meta):
        model = StaffEvent
        fields = ("occurred_at", "kind", "actor_name", "subject_name", "description", "address")
        order_by = ("-occurred_at",)
        order_by_field = "sort"
        empty_text = "No staff activity matches these filters."
