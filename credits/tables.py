import django_tables2 as tables
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html

from config import money
from config.tables import DirectCellsTable, path_builder
from credits.models import Activity, CreditApproval, CreditEntry, CreditType, GiftCardStatus

TYPE_LABELS = dict(CreditType.choices)
ACTIVITY_LABELS = dict(Activity.choices)
STATUS_LABELS = dict(GiftCardStatus.choices)


# As credits/_amount.html writes it: the unit's SVG flag, named by the unit (alt and title).
AMOUNT_HTML = (
    '<span class="amount"><img class="flag" src="{}" alt="{}" title="{}" width="20"'
    ' height="15"> {}</span>'
)
AMOUNT_WITH_CODE_HTML = (
    AMOUNT_HTML.removesuffix("</span>") + ' <span class="muted">{}</span></span>'
)


class CreditEntryTable(DirectCellsTable):
    """The Credit Activity columns. Only the date sorts: every other order would defeat the
    (filter, created_at) indexes on a ledger of millions of entries. The cells are written by
    the `cell_` methods below (see DirectCellsTable): the page is this table, 25 rows at a
    time, on every visit."""

    created_at = tables.Column(
        verbose_name="Date", order_by=("created_at", "id"), attrs={"td": {"class": "nowrap"}}
    )
    account = tables.Column(verbose_name="Account", orderable=False)
    credit_type = tables.Column(verbose_name="Type", orderable=False)
    activity = tables.Column(orderable=False)
    amount = tables.Column(orderable=False, attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    balance_after = tables.Column(
        verbose_name="Balance",
        orderable=False,
        attrs={"td": {"class": "num"}, "th": {"class": "num"}},
    )
    transaction_id = tables.Column(
        verbose_name="Transaction", orderable=False, attrs={"td": {"class": "nowrap"}}
    )
    subscription = tables.Column(
        verbose_name="Subscription", orderable=False, attrs={"td": {"class": "nowrap"}}
    )
    note = tables.Column(orderable=False)
    actor_name = tables.Column(verbose_name="By", orderable=False)

    class Meta(DirectCellsTable.Meta):
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
            "actor_name",
        )
        order_by = ("-created_at",)
        order_by_field = "sort"
        empty_text = "No credit activity matches these filters."

    # --- the cells (DirectCellsTable) ----------------------------------------------------

    # One reverse per page for each kind of link, not one per row.
    @cached_property
    def account_path(self):
        return path_builder("accounts:detail")

    @cached_property
    def transaction_path(self):
        return path_builder("credits:transaction")

    def cell_created_at(self, record):
        return timezone.localtime(record.created_at).strftime("%Y-%m-%d %H:%M")

    def cell_account(self, record):
        account = record.account
        return format_html(
            '<a href="{}">{}</a>', self.account_path(account.customer_number), account.name
        )

    def cell_credit_type(self, record):
        return TYPE_LABELS[record.credit_type]

    def cell_activity(self, record):
        label = ACTIVITY_LABELS[record.activity]
        if record.activity == Activity.GIFT_CARD_STATUS_INQUIRY:
            status = STATUS_LABELS[record.gift_card_status]
            return format_html('{} <span class="badge">{}</span>', label, status)
        return label

    def cell_amount(self, record):
        currency = record.currency
        name = money.currency_name(currency)
        flag = self.flag_url(currency)
        if not currency:
            return format_html(AMOUNT_HTML, flag, name, name, record.display_amount)
        return format_html(AMOUNT_WITH_CODE_HTML, flag, name, name, record.display_amount, currency)

    def flag_url(self, currency: str) -> str:
        # One static() look-up per unit a page shows, not one per row.
        urls = self.__dict__.setdefault("_flag_urls", {})
        if currency not in urls:
            urls[currency] = static(money.currency_flag(currency))
        return urls[currency]

    def cell_balance_after(self, record):
        return record.display_balance

    def cell_transaction_id(self, record):
        if not record.transaction_id:
            return None
        return format_html(
            '<a href="{}">{}</a>',
            self.transaction_path(record.transaction_id),
            record.transaction_id,
        )

    def cell_subscription(self, record):
        if record.subscription_id is None:
            return None
        # A subscription's link is on its account's page: the entry's own account.
        order_id = record.subscription.order_id
        return format_html(
            '<a href="{}#subscription-{}">{}</a>',
            self.account_path(record.account.customer_number),
            order_id,
            order_id,
        )

    def cell_note(self, record):
        return record.note

    def cell_actor_name(self, record):
        if record.approved_by_name:
            return format_html(
                '{} <span class="muted">approved by {}</span>',
                record.actor_name,
                record.approved_by_name,
            )
        return record.actor_name


class CreditApprovalTable(DirectCellsTable):
    """Requests for approval, newest first."""

    id = tables.Column(verbose_name="Request", orderable=False)
    requested_at = tables.Column(verbose_name="Asked", attrs={"td": {"class": "nowrap"}})
    account = tables.Column(verbose_name="Account", orderable=False)
    operation = tables.Column(orderable=False)
    amount = tables.Column(orderable=False, attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    reason = tables.Column(orderable=False)
    actor_name = tables.Column(verbose_name="Requested by", orderable=False)
    state = tables.Column(orderable=False)
    expires_at = tables.Column(verbose_name="Expires", attrs={"td": {"class": "nowrap"}})

    class Meta(DirectCellsTable.Meta):
        model = CreditApproval
        fields = (
            "id",
            "requested_at",
            "account",
            "operation",
            "amount",
            "reason",
            "actor_name",
            "state",
            "expires_at",
        )
        order_by = ("-requested_at",)
        order_by_field = "sort"
        empty_text = "No request matches these filters."

    @cached_property
    def account_path(self):
        return path_builder("accounts:detail")

    @cached_property
    def approval_prefix(self):
        # One reverse per page: the address of request 0, less its number.
        return reverse("credits:approval", args=[0]).removesuffix("0/")

    def cell_id(self, record):
        return format_html(
            '<a href="{}{}/">Request {}</a>', self.approval_prefix, record.pk, record.pk
        )

    def cell_requested_at(self, record):
        return timezone.localtime(record.requested_at).strftime("%Y-%m-%d %H:%M")

    def cell_expires_at(self, record):
        return timezone.localtime(record.expires_at).strftime("%Y-%m-%d %H:%M")

    def cell_account(self, record):
        account = record.account
        return format_html(
            '<a href="{}">{}</a>', self.account_path(account.customer_number), account.name
        )

    def cell_operation(self, record):
        return record.get_operation_display()

    def cell_amount(self, record):
        return record.display_amount

    def cell_reason(self, record):
        return record.reason

    def cell_actor_name(self, record):
        return record.actor_name

    def cell_state(self, record):
        if record.overdue:
            return "Expired"
        label = record.get_state_display()
        if record.decided_by_name:
            return format_html('{} <span class="muted">by {}</span>', label, record.decided_by_name)
        return label
