import django_tables2 as tables
from django.utils.safestring import SafeString, mark_safe

from core.marks import marked
from core.tables import BaseTable
from legacy_history.models import LegacyEntry


class LegacyEntryTable(BaseTable):
    """The Legacy mode list: as the old product showed it, newest first, no sorting."""

    created_at = tables.DateTimeColumn(verbose_name="Created", format="Y-m-d H:i")
    event_name = tables.Column(verbose_name="Event")
    type = tables.Column(verbose_name="Type")
    message = tables.Column(verbose_name="Message", default="")
    producer = tables.Column(
        verbose_name="Producer", accessor="producer_display", attrs={"td": {"class": "producer"}}
    )
    updated_at = tables.DateTimeColumn(verbose_name="Updated", format="Y-m-d H:i", default="")
    # The words of Legacy mode's search, marked in the messages (the view sets them).
    search_term = ""

    class Meta(BaseTable.Meta):
        model = LegacyEntry
        fields = ("created_at", "event_name", "type", "message", "producer", "updated_at")
        orderable = False
        empty_text = "This account has no legacy history outside Recent Activity."
        attrs = {"class": "table legacy-entries"}
        row_attrs = {"data-source-id": lambda record: record.source_id}

    def render_message(self, value: str) -> SafeString:
        # Escaped by `marked`, with the words searched for in <mark>.
        return mark_safe(marked(value, self.search_term))  # noqa: S308
