"""The journal for the books: the credit ledger of a closed period, summarised as double-entry
lines that accounting software imports, per currency and kind of movement.

The mapping is a declaration (`POSTINGS`): for each activity of the ledger, and for a grant each
kind of lot it made, which account is debited and which credited. Each line's amount is the
absolute sum of its entries' amounts, so a movement that adds credit credits the customer
credit liability and one that takes credit away debits it. The accounts are roles (`ACCOUNTS`)
whose codes the books use are set in `settings.JOURNAL_ACCOUNTS`.

- Tokens have no money value: they are not in the journal (the page and the docs say so).
- Grants are split by the kind of the lot each made (a lot's `entry` is the grant's entry); a
  grant that made no lot (older than lots) is posted on its own line. Every other movement —
  consumption, revocation, gift card reversal, expiry — is posted against the liability as a
  whole, not split by the kinds of the lots it drew from.
- Reconciliation: per currency, the journal's net change to the liability account equals the
  roll-forward's closing − opening balance of the same period, and the signed amounts of an
  activity's lines equal the roll-forward's movement of that activity.

Two queries: the period's entries summed per currency and activity (the roll-forward's own
query, from the time index), and the lots that the period's grants made, summed per kind.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, F, Sum

from core.money import CreditType
from credits.models import CreditEntry, CreditLot, LotKind
from credits.operations import ACTIVITY, MOVING
from credits.rollforward import Period, credit_rollforward

ZERO = Decimal(0)

PERIOD_NOT_CLOSED = (
    "The journal is for closed periods only: choose a period whose last day is before today "
    "({today})."
)
# An entry of an activity the mapping does not name (tests/credits/test_journal.py keeps the
# mapping complete, so this is only ever a deployment without its code).
UNMAPPED = "The journal has no mapping for the activity “{activity}”: add it to POSTINGS."


# --- The accounts ------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerAccount:
    """An account of the books that the journal posts to: its role here, its name, and the
    code it has by default (`settings.JOURNAL_ACCOUNTS` sets the code the books use)."""

    role: str
    name: str
    default_code: str


ACCOUNTS: tuple[LedgerAccount, ...] = (
    LedgerAccount("credit_liability", "Customer credit liability", "2410"),
    LedgerAccount("gift_card_liability", "Gift card liability", "2420"),
    LedgerAccount("cash_clearing", "Cash and receivables clearing", "1580"),
    LedgerAccount("revenue", "Revenue from charges paid by credit", "3010"),
    LedgerAccount("refunds", "Refunds of charges paid by credit", "3090"),
    LedgerAccount("breakage", "Breakage income (expired credit)", "3950"),
    LedgerAccount("goodwill_expense", "Goodwill credit expense", "6910"),
    LedgerAccount("promotional_expense", "Promotional credit expense", "6920"),
    LedgerAccount("revocations", "Revoked credit", "6930"),
    LedgerAccount("unclassified_grants", "Credit granted, kind not recorded", "6990"),
)
ACCOUNT = {account.role: account for account in ACCOUNTS}
LIABILITY = "credit_liability"
DEFAULT_CODES = {account.role: account.default_code for account in ACCOUNTS}


def account_code(role: str) -> str:
    """The code of the account of `role` in the books (JOURNAL_ACCOUNTS, else the default)."""
    return str(settings.JOURNAL_ACCOUNTS.get(role, ACCOUNT[role].default_code))


# --- The mapping -------------------------------------------------------------------------


@dataclass(frozen=True)
class Posting:
    """How the entries of one activity (and, for a split activity, of one lot kind) are
    posted: the debited and the credited account's roles, and the line's memo. `lot_kind` ""
    is every entry of the activity that no kind-specific posting takes."""

    activity: str
    lot_kind: str
    debit: str
    credit: str
    memo: str

    @property
    def adds(self) -> bool:
        """Whether it posts credit added to the customers' balances (credits the liability)."""
        return self.credit == LIABILITY


POSTINGS: tuple[Posting, ...] = (
    Posting("grant", LotKind.PAID, "cash_clearing", LIABILITY, "Paid credit granted"),
    Posting("grant", LotKind.PROMOTIONAL, "promotional_expense", LIABILITY, "Promotional credit"),
    Posting("grant", LotKind.GOODWILL, "goodwill_expense", LIABILITY, "Goodwill credit"),
    # Grants older than lots made none: their kind was not recorded.
    Posting("grant", "", "unclassified_grants", LIABILITY, "Credit granted (kind not recorded)"),
    Posting("consumption", "", LIABILITY, "revenue", "Charges paid by credit"),
    Posting("refund", "", "refunds", LIABILITY, "Credit refunded to customers"),
    Posting("revocation", "", LIABILITY, "revocations", "Credit revoked"),
    Posting("gift_card_redemption", "", "gift_card_liability", LIABILITY, "Gift cards redeemed"),
    Posting(
        "gift_card_reversal", "", LIABILITY, "gift_card_liability", "Gift card redemptions reversed"
    ),
    # Breakage: the credit left in a lot when it expires.
    Posting("expiry", "", LIABILITY, "breakage", "Credit expired (breakage)"),
)
POSTING = {(posting.activity, posting.lot_kind): posting for posting in POSTINGS}
# The activities whose grants are split by the kind of the lot each made.
SPLIT_BY_KIND = tuple(dict.fromkeys(p.activity for p in POSTINGS if p.lot_kind))
KIND_ORDER = {kind: n for n, kind in enumerate(["", *LotKind.values])}


def activity_label(code: str) -> str:
    """The registry's label of an activity (its code, for one the registry does not hold)."""
    activity = ACTIVITY.get(code)
    return activity.label if activity else code.replace("_", " ").capitalize()


def movement_label(line: "JournalLine") -> str:
    """`Grant (goodwill lots)`: the line's activity, and the kind of lots of a split one."""
    label = activity_label(line.activity)
    if line.activity in SPLIT_BY_KIND:
        return f"{label} ({line.lot_kind} lots)" if line.lot_kind else f"{label} (no lot)"
    return label


# --- The lines ---------------------------------------------------------------------------


@dataclass(frozen=True)
class JournalLine:
    """One line of the journal: the entries of a currency, activity and (for a grant) lot kind
    in the period, posted to two accounts."""

    period: Period
    currency: str
    posting: Posting
    # The sum of the entries' amounts (signed, as in the ledger) and how many there were.
    movement: Decimal
    entries: int

    @property
    def amount(self) -> Decimal:
        return abs(self.movement)

    @property
    def activity(self) -> str:
        return self.posting.activity

    @property
    def lot_kind(self) -> str:
        return self.posting.lot_kind

    @property
    def debit_code(self) -> str:
        return account_code(self.posting.debit)

    @property
    def credit_code(self) -> str:
        return account_code(self.posting.credit)

    @property
    def debit_name(self) -> str:
        return ACCOUNT[self.posting.debit].name

    @property
    def credit_name(self) -> str:
        return ACCOUNT[self.posting.credit].name

    @property
    def memo(self) -> str:
        count = "1 entry" if self.entries == 1 else f"{self.entries} entries"
        return f"{self.posting.memo}, {self.period} ({count})"

    @property
    def liability_change(self) -> Decimal:
        """What the line does to the liability account: + when it credits it, − when it
        debits it (from the accounts, not from the ledger's sign)."""
        if self.posting.credit == LIABILITY:
            return self.amount
        if self.posting.debit == LIABILITY:
            return -self.amount
        return ZERO


def _posting(activity: str, lot_kind: str) -> Posting:
    posting = POSTING.get((activity, lot_kind))
    if posting is None:
        raise LookupError(UNMAPPED.format(activity=activity))
    return posting


def credit_journal(period: Period, *, currency: str = "") -> list[JournalLine]:
    """The journal of `period` (narrowed to `currency` when given): one line per currency,
    activity and, for a grant, lot kind, that had entries in the period; currencies by code,
    then in the mapping's order. Tokens are left out. Two queries (see the module)."""
    unit = {"credit_type": CreditType.CURRENCY} | ({"currency": currency} if currency else {})
    in_period = {"created_at__gte": period.start, "created_at__lt": period.end}
    totals = (
        CreditEntry.objects.filter(activity__in=MOVING, **unit, **in_period)
        .values("currency", "activity")
        .annotate(total=Sum("amount"), count=Count("id"))
        .order_by()
    )
    kinds = (
        # The entry joined on its account too: on Citus, on the node that holds the account.
        CreditLot.objects.filter(
            entry__account=F("account"),
            entry__activity__in=SPLIT_BY_KIND,
            **unit,
            **{f"entry__{name}": value for name, value in in_period.items()},
        )
        .values("currency", "entry__activity", "kind")
        .annotate(total=Sum("entry__amount"), count=Count("entry"))
        .order_by()
    )
    split: dict[tuple[str, str], list[tuple[str, Decimal, int]]] = {}
    for row in kinds:
        key = (row["currency"], row["entry__activity"])
        split.setdefault(key, []).append((row["kind"], row["total"], row["count"]))
    lines = []
    for row in totals:
        code, activity = row["currency"], row["activity"]
        rest, left = row["total"], row["count"]
        for kind, total, count in split.get((code, activity), []):
            lines.append(JournalLine(period, code, _posting(activity, kind), total, count))
            rest, left = rest - total, left - count
        if left:
            lines.append(JournalLine(period, code, _posting(activity, ""), rest, left))
    order = {posting: n for n, posting in enumerate(POSTINGS)}
    return sorted(lines, key=lambda line: (line.currency, order[line.posting]))


@dataclass(frozen=True)
class Reconciliation:
    """One currency: the journal's net change to the liability account beside the
    roll-forward's closing − opening balance of the same period."""

    currency: str
    journal_net: Decimal
    opening: Decimal
    closing: Decimal

    @property
    def rollforward_net(self) -> Decimal:
        return self.closing - self.opening

    @property
    def difference(self) -> Decimal:
        return self.journal_net - self.rollforward_net

    @property
    def reconciles(self) -> bool:
        return self.difference == 0


def reconcile(
    period: Period, lines: list[JournalLine], *, currency: str = ""
) -> list[Reconciliation]:
    """Per currency that has a wallet, the journal's net to the liability (from its lines'
    accounts) against the roll-forward's balances (read from the running balances, not from
    the journal's sums): three queries, the roll-forward's."""
    net: dict[str, Decimal] = {}
    for line in lines:
        net[line.currency] = net.get(line.currency, ZERO) + line.liability_change
    rollforward = credit_rollforward(period, credit_type=CreditType.CURRENCY, currency=currency)
    return [
        Reconciliation(line.currency, net.get(line.currency, ZERO), line.opening, line.closing)
        for line in rollforward
    ]
