import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from config.tables import BaseTable
from credits.models import Activity, CreditEntry


def _transaction_url(record):
    return reverse("credits:transaction", args=[record.transaction_id])


class CreditEntryTable(BaseTable):
    """The Credit Activity columns. Only the date sorts: every other order would defeat the
    (filter, created_at) indexes on a ledger of millions of entries."""

    created_at = tables.DateTimeColumn(
        verbose_name="Date",
        format="Y-m-d H:i",
        order_by=("created_at", "id"),
        attrs={"td": {"class": "nowrap"}},
    )
    account = tables.Column(
        verbose_name="Account",
        accessor="account__name",
        linkify=lambda record: record.account.get_absolute_url(),
        orderable=False,
    )
    credit_type = tables.Column(verbose_name="Type", orderable=False)
    activity = tables.Column(orderable=False)
    amount = tables.TemplateColumn(
        template_name="credits/_amount_cell.html",
        orderable=False,
        attrs={"td": {"class": "num"}, "th": {"class": "num"}},
    )
    balance_after = tables.Column(
        verbose_name="Balance",
        accessor="display_balance",
        orderable=False,
        attrs={"td": {"class": "num"}, "th": {"class": "num"}},
    )
    transaction_id = tables.Column(
        verbose_name="Transaction",
        linkify=_transaction_url,
        orderable=False,
        empty_values=("",),
        attrs={"td": {"class": "nowrap"}},
    )
    subscription = tables.Column(
        verbose_name="Subscription",
        accessor="subscription__order_id",
        linkify=lambda record: record.subscription.get_absolute_url(),
        orderable=False,
        attrs={"td": {"class": "nowrap"}},
    )
    note = tables.Column(orderable=False, empty_values=("",))

    class Meta(BaseTable.Meta):
        model = CreditEntry
        fields = (
            "created_at",
            "account",
            "credit_type",
            "activity",
            "amount",
            "balance_after",
            "transaction_id",
            "subscription",
            "note",
        )
        order_by = ("-created_at",)
        order_by_field = "sort"
        empty_text = "No credit activity matches these filters."

    def render_activity(self, record, value):
        if record.activity == Activity.GIFT_CARD_STATUS_INQUIRY:
            return format_html(
                '{} <span class="badge">{}</span>', value, record.get_gift_card_status_display()
            )
        return value
