import django_tables2 as tables
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe

from core import money
from core.html import format_html
from core.money import money_cell
from core.tables import DirectCellsTable, path_builder
from credits.journal import movement_label
from credits.models import (
    Activity,
    CreditApproval,
    CreditEntry,
    CreditExportJob,
    CreditType,
    GiftCardStatus,
)
from credits.operations import ACTIVITY, MOVING

TYPE_LABELS = dict(CreditType.choices)
ACTIVITY_LABELS = dict(Activity.choices)
STATUS_LABELS = dict(GiftCardStatus.choices)


class AccountLinks:
    """The account column of a table of a record with an account: its name, to its page (one
    reverse per page for the links, not one per row)."""

    @cached_property
    def account_path(self):
        return path_builder("accounts:detail")

    def cell_account(self, record):
        account = record.account
        return format_html(
            '<a href="{}">{}</a>', self.account_path(account.customer_number), account.name
        )


class CreditEntryTable(AccountLinks, DirectCellsTable):
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
    # Which lots a draw-down took from, or a refund gave back to (prefetched with the page:
    # credits.selectors.with_allocations).
    lots = tables.Column(verbose_name="Lots", orderable=False, empty_values=())
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
            "lots",
            "transaction_id",
            "subscription",
            "note",
            "actor_name",
        )
        order_by = ("-created_at",)
        order_by_field = "sort"
        empty_text = "No credit activity matches these filters."

    @classmethod
    def choosable_columns(cls) -> tuple[tuple[str, str], ...]:
        """(name, label) of every column, for the page's column chooser."""
        return tuple(
            (name, str(column.verbose_name or name.replace("_", " ").capitalize()))
            for name, column in cls.base_columns.items()
        )

    # --- the cells (DirectCellsTable) ----------------------------------------------------

    # One reverse per page for each kind of link, not one per row.
    @cached_property
    def transaction_path(self):
        return path_builder("credits:transaction")

    def cell_created_at(self, record):
        return timezone.localtime(record.created_at).strftime("%Y-%m-%d %H:%M")

    def cell_credit_type(self, record):
        return TYPE_LABELS[record.credit_type]

    def cell_activity(self, record):
        label = ACTIVITY_LABELS[record.activity]
        if record.activity == Activity.GIFT_CARD_STATUS_INQUIRY:
            status = STATUS_LABELS[record.gift_card_status]
            return format_html('{} <span class="badge">{}</span>', label, status)
        return label

    def cell_amount(self, record):
        return money_cell(record.amount, record.unit, flag_url=self.flag_url)

    def flag_url(self, path: str) -> str:
        # One static() look-up per unit a page shows, not one per row.
        urls = self.__dict__.setdefault("_flag_urls", {})
        if path not in urls:
            urls[path] = static(path)
        return urls[path]

    def cell_balance_after(self, record):
        return record.unit.plain(record.balance_after)

    def cell_lots(self, record):
        return record.lots_text

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


class CreditApprovalTable(AccountLinks, DirectCellsTable):
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

    def cell_operation(self, record):
        return record.get_operation_display()

    def cell_amount(self, record):
        return record.described_amount

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


class OwnRequestTable(CreditApprovalTable):
    """The requester's own requests: the same columns but who asked (themself)."""

    class Meta(CreditApprovalTable.Meta):
        exclude = ("actor_name",)
        empty_text = "You have asked for no approval yet."


class ExportJobTable(DirectCellsTable):
    """The user's Credit Activity downloads written in the background, newest first."""

    id = tables.Column(verbose_name="Download", orderable=False)
    created_at = tables.Column(verbose_name="Asked", orderable=False)
    filters = tables.Column(accessor="record__filters", orderable=False)
    state = tables.Column(orderable=False)
    rows_written = tables.Column(
        verbose_name="Rows", orderable=False, attrs={"td": {"class": "num"}, "th": {"class": "num"}}
    )
    expires_at = tables.Column(verbose_name="Until", orderable=False)

    class Meta(DirectCellsTable.Meta):
        model = CreditExportJob
        fields = ("id", "created_at", "filters", "state", "rows_written", "expires_at")
        empty_text = "You have asked for no download too large to stream."

    def cell_id(self, record):
        return format_html('<a href="{}">Download {}</a>', record.get_absolute_url(), record.pk)

    def cell_created_at(self, record):
        return timezone.localtime(record.created_at).strftime("%Y-%m-%d %H:%M")

    def cell_filters(self, record):
        filters = record.record.filters
        return ", ".join(f"{key}={value}" for key, value in filters.items()) or "none"

    def cell_state(self, record):
        return record.get_state_display()

    def cell_rows_written(self, record):
        if record.total_rows is None:
            return None
        return f"{record.rows_written:,} of {record.total_rows:,}"

    def cell_expires_at(self, record):
        if record.expires_at is None or record.state != "ready":
            return None
        return timezone.localtime(record.expires_at).strftime("%Y-%m-%d %H:%M")


# --- The credit roll-forward (/credits/balances/) -----------------------------------------

RECONCILED_HTML = (
    '<span class="reconciled"><span aria-hidden="true">✓</span>'
    '<span class="sr-only">Reconciles</span></span>'
)
UNRECONCILED_HTML = '<span class="unreconciled">Does not reconcile: off by {}</span>'


def _num(**attrs):
    return {"td": {"class": "num", **attrs}, "th": {"class": "num"}}


class RollForwardTable(DirectCellsTable):
    """One line per credit type and currency: opening balance, the period's movements per
    activity, closing balance, and whether opening + movements = closing. A unit links to its
    wallets over the same period (`query`: the period's query string)."""

    credit_type = tables.Column(verbose_name="Type", orderable=False)
    unit = tables.Column(verbose_name="Unit", orderable=False, empty_values=())
    opening = tables.Column(verbose_name="Opening balance", orderable=False, attrs=_num())
    closing = tables.Column(verbose_name="Closing balance", orderable=False, attrs=_num())
    check = tables.Column(verbose_name="Check", orderable=False, empty_values=())

    class Meta(DirectCellsTable.Meta):
        empty_text = "No credit is held in this unit."

    def __init__(self, *args, query: str = "", **kwargs):
        # One column per activity that moves a balance, in the registry's order.
        movements = [
            (
                code,
                tables.Column(
                    verbose_name=ACTIVITY[code].label,
                    orderable=False,
                    empty_values=(),
                    attrs=_num(),
                ),
            )
            for code in MOVING
        ]
        sequence = ("credit_type", "unit", "opening", *MOVING, "closing", "check")
        super().__init__(*args, extra_columns=movements, sequence=sequence, **kwargs)
        self.query = query

    def cell_method(self, name):
        if name in MOVING:
            return lambda line: money.plain(line.movements[name], line.currency)
        return super().cell_method(name)

    @cached_property
    def unit_path(self):
        return path_builder("credits:balances-unit")

    def cell_credit_type(self, line):
        return TYPE_LABELS[line.credit_type]

    def cell_unit(self, line):
        unit = line.unit
        name = unit.name
        # The flag's title names the currency on hover; a screen reader hears it once.
        spoken = format_html(' <span class="sr-only">({})</span>', name) if line.currency else ""
        return format_html(
            '<a href="{}?{}"><img class="flag" src="{}" alt="" title="{}" width="20"'
            ' height="15"> {}</a>{}',
            self.unit_path(unit.key),
            self.query,
            static(unit.flag),
            name,
            unit.label,
            spoken,
        )

    def cell_opening(self, line):
        return money.plain(line.opening, line.currency)

    def cell_closing(self, line):
        return money.plain(line.closing, line.currency)

    def cell_check(self, line):
        if line.reconciles:
            return mark_safe(RECONCILED_HTML)
        return format_html(UNRECONCILED_HTML, money.plain(line.difference, line.currency))


class WalletColumns(AccountLinks, DirectCellsTable):
    """A wallet's account and subscription, each linked to the account page; and a link to
    its entries on Credit Activity (`activity_query`: more of that page's filters)."""

    account = tables.Column(verbose_name="Account", orderable=False)
    subscription = tables.Column(verbose_name="Subscription", orderable=False)

    def __init__(self, *args, activity_query: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.activity_query = activity_query

    @cached_property
    def activity_path(self):
        return reverse("credits:activity")

    def cell_account(self, wallet):
        account = wallet.account
        return format_html(
            '<a href="{}">{}</a> <span class="muted">{}</span>',
            self.account_path(account.customer_number),
            account.name,
            account.customer_number,
        )

    def cell_subscription(self, wallet):
        if wallet.subscription_id is None:
            return None
        order_id = wallet.subscription.order_id
        return format_html(
            '<a href="{}#subscription-{}">{}</a>',
            self.account_path(wallet.account.customer_number),
            order_id,
            order_id,
        )

    def cell_entries(self, wallet):
        return format_html(
            '<a href="{}?wallet={}&amp;{}">Entries<span class="sr-only"> of wallet {}</span></a>',
            self.activity_path,
            wallet.pk,
            self.activity_query,
            wallet.pk,
        )


class WalletRollForwardTable(WalletColumns):
    """One unit's wallets over a period (`credits.rollforward.wallet_rollforward`), each with a
    link to its entries on Credit Activity over the same days (`activity_query`)."""

    opening = tables.Column(verbose_name="Opening balance", orderable=False, attrs=_num())
    moved = tables.Column(verbose_name="Movements", orderable=False, attrs=_num())
    closing = tables.Column(verbose_name="Closing balance", orderable=False, attrs=_num())
    entries = tables.Column(verbose_name="Entries", orderable=False, empty_values=())

    class Meta(DirectCellsTable.Meta):
        empty_text = "No wallet of this unit held credit or moved in this period."

    def cell_opening(self, wallet):
        return money.plain(wallet.opening, wallet.currency)

    def cell_moved(self, wallet):
        return money.plain(wallet.moved, wallet.currency)

    def cell_closing(self, wallet):
        return money.plain(wallet.closing, wallet.currency)


class WalletBalanceTable(WalletColumns):
    """Wallets' balances at a moment (`credits.rollforward.balances_at`) beside their balances
    now, each with a link to its entries up to the moment's day (`activity_query`)."""

    unit = tables.Column(verbose_name="Unit", orderable=False, empty_values=())
    then = tables.Column(verbose_name="Balance then", orderable=False, attrs=_num())
    balance = tables.Column(verbose_name="Balance now", orderable=False, attrs=_num())
    entries = tables.Column(verbose_name="Entries", orderable=False, empty_values=())

    class Meta(DirectCellsTable.Meta):
        empty_text = "No wallet held credit then."

    def cell_unit(self, wallet):
        return wallet.unit.label

    def cell_then(self, wallet):
        return money.plain(wallet.then, wallet.currency)

    def cell_balance(self, wallet):
        return money.plain(wallet.balance, wallet.currency)


class LotsThenTable(DirectCellsTable):
    """An account's lots as they stood at a moment (`credits.rollforward.lots_at`), wallet by
    wallet in the order they were to be drawn down, beside what remains of them now."""

    wallet = tables.Column(verbose_name="Wallet", orderable=False, empty_values=())
    lot = tables.Column(verbose_name="Lot", orderable=False, empty_values=())
    expires_on = tables.Column(verbose_name="Expires", orderable=False)
    amount = tables.Column(verbose_name="Added", orderable=False, attrs=_num())
    then = tables.Column(verbose_name="Remaining then", orderable=False, attrs=_num())
    remaining = tables.Column(verbose_name="Remaining now", orderable=False, attrs=_num())

    class Meta(DirectCellsTable.Meta):
        empty_text = "No lot held credit then."

    def cell_wallet(self, lot):
        subscription = lot.wallet.subscription
        owner = subscription.order_id if subscription is not None else "Account"
        return f"{owner} · {lot.unit.label}"

    def cell_lot(self, lot):
        return lot.label

    def cell_expires_on(self, lot):
        return lot.expires_on.isoformat() if lot.expires_on else "Does not expire"

    def cell_amount(self, lot):
        return money.plain(lot.amount, lot.currency)

    def cell_then(self, lot):
        return money.plain(lot.then, lot.currency)

    def cell_remaining(self, lot):
        return money.plain(lot.remaining, lot.currency)


# --- The journal for the books (/credits/journal/) -----------------------------------------


class JournalTable(DirectCellsTable):
    """The journal's lines (`credits.journal.JournalLine`): per currency and kind of movement,
    the debited and credited accounts, the amount and how many entries it sums."""

    currency = tables.Column(verbose_name="Currency", orderable=False)
    debit = tables.Column(verbose_name="Debit", orderable=False, empty_values=())
    credit = tables.Column(verbose_name="Credit", orderable=False, empty_values=())
    amount = tables.Column(verbose_name="Amount", orderable=False, attrs=_num())
    entries = tables.Column(verbose_name="Entries", orderable=False, attrs=_num())
    movement = tables.Column(verbose_name="Movement", orderable=False, empty_values=())
    memo = tables.Column(verbose_name="Memo", orderable=False)

    class Meta(DirectCellsTable.Meta):
        empty_text = "No credit in a currency moved in this period."

    def cell_debit(self, line):
        return format_html('{} <span class="muted">{}</span>', line.debit_code, line.debit_name)

    def cell_credit(self, line):
        return format_html('{} <span class="muted">{}</span>', line.credit_code, line.credit_name)

    def cell_amount(self, line):
        return money.plain(line.amount, line.currency)

    def cell_entries(self, line):
        return str(line.entries)

    def cell_movement(self, line):
        return movement_label(line)

    def cell_memo(self, line):
        return line.memo


class JournalReconciliationTable(DirectCellsTable):
    """Per currency: the journal's net change to the liability account beside the
    roll-forward's closing − opening balance (`credits.journal.Reconciliation`)."""

    currency = tables.Column(verbose_name="Currency", orderable=False)
    journal_net = tables.Column(
        verbose_name="Journal net to liability", orderable=False, attrs=_num()
    )
    rollforward_net = tables.Column(
        verbose_name="Roll-forward closing − opening", orderable=False, attrs=_num()
    )
    check = tables.Column(verbose_name="Check", orderable=False, empty_values=())

    class Meta(DirectCellsTable.Meta):
        empty_text = "No credit is held in a currency."

    def cell_journal_net(self, check):
        return money.plain(check.journal_net, check.currency)

    def cell_rollforward_net(self, check):
        return money.plain(check.rollforward_net, check.currency)

    def cell_check(self, check):
        if check.reconciles:
            return mark_safe(RECONCILED_HTML)
        return format_html(UNRECONCILED_HTML, money.plain(check.difference, check.currency))


class JournalAccountsTable(DirectCellsTable):
    """The accounts the journal posts to, with the codes JOURNAL_ACCOUNTS gives them."""

    code = tables.Column(verbose_name="Code", orderable=False)
    name = tables.Column(verbose_name="Account", orderable=False)
    role = tables.Column(verbose_name="Role (JOURNAL_ACCOUNTS key)", orderable=False)
