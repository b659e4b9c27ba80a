"""The credit liability roll-forward: what the customers' credit was worth at the start of a
period, how each activity moved it during the period, and what it was worth at the end, per
credit type and currency. Shared by the Credit Balances page, its CSV files and
`verify_ledger`.

A balance *as of* an instant is read from the running balances, never summed from the ledger:
for each wallet, the `balance_after` of its last entry before the instant, in (created_at, seq)
order. The index `credit_entry_wallet_asof_idx` on (wallet, created_at, seq) INCLUDE
(balance_after, amount) makes that one backward step of an index-only scan per wallet. When the
ledger is partitioned by month (core.partitions), that step would read one partition's index
for every month back to the wallet's last entry; there it is bounded by the instant's UTC month
(that month's partition alone), and a wallet without an entry in it has its balance from its
newest month-end balance before that month (credits.models.CreditWalletMonth, one step of its
key's index). On a plain table the one step is the cheaper (measured: the two bounded steps
took 1.5 to 2 times as long there). Either way the cost of an opening or closing balance grows
with the number of wallets, not of entries or months. The movements are the period's entries
only (through the time index).

Opening + movements = closing holds for every line of a sound ledger, whatever the period: a
wallet's balances follow its entries in seq order, and the services date every entry no
earlier than the wallet's newest one. A line that does not reconcile means a stored balance
drifted, or an entry was dated out of order: `verify_ledger` reports it.
"""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from core import citus, partitions
from core.money import Unit
from credits.models import (
    Activity,
    CreditAllocation,
    CreditEntry,
    CreditLot,
    CreditType,
    CreditWallet,
    CreditWalletMonth,
    draw_down_key,
)
from credits.operations import MOVING
from credits.selectors import account_wallets

# The activities that move a balance (the registry's, in its order) are the report's columns.
ZERO = Decimal(0)
AMOUNT: DecimalField = DecimalField(max_digits=18, decimal_places=4)


@dataclass(frozen=True)
class Period:
    """Inclusive local days, in the site's time zone: [first 00:00, the day after last 00:00)."""

    first: dt.date
    last: dt.date

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time.min, tzinfo=timezone.get_current_timezone())

    @property
    def end(self) -> dt.datetime:
        after = self.last + dt.timedelta(days=1)
        return dt.datetime.combine(after, dt.time.min, tzinfo=timezone.get_current_timezone())

    @classmethod
    def month(cls, year: int, month: int) -> "Period":
        first = dt.date(year, month, 1)
        following = (first + dt.timedelta(days=32)).replace(day=1)
        return cls(first, following - dt.timedelta(days=1))

    def __str__(self) -> str:
        return f"{self.first.isoformat()} to {self.last.isoformat()}"


@dataclass
class RollForwardLine:
    """One credit type and currency over a period."""

    credit_type: str
    currency: str
    opening: Decimal = ZERO
    # Every activity of MOVING, in that order: the net amount of its entries in the period.
    movements: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(MOVING, ZERO))
    closing: Decimal = ZERO

    @property
    def moved(self) -> Decimal:
        return sum(self.movements.values(), ZERO)

    @property
    def difference(self) -> Decimal:
        """What the closing balance has that opening + movements do not (0 when it reconciles)."""
        return self.closing - self.opening - self.moved

    @property
    def reconciles(self) -> bool:
        return self.difference == 0

    @property
    def unit(self) -> Unit:
        return Unit.of(self.credit_type, self.currency)


def _unit(credit_type: str = "", currency: str = "") -> Q:
    q = Q()
    if credit_type:
        q &= Q(credit_type=credit_type)
    if currency:
        q &= Q(currency=currency)
    return q


def _unit_order(key: tuple[str, str]) -> tuple[bool, str]:
    """A (credit type, currency) key's place: tokens first, then currencies by code."""
    return (key[0] != CreditType.TOKEN, key[1])


def _same_node() -> dict[str, Any]:
    """On Citus, the account of a wallet's entries too: the wallet and its entries are then
    joined on the node that holds the account (both are distributed by it). Not elsewhere: the
    as-of index does not hold the account, and the probe would leave it for the table."""
    return {"account": OuterRef("account")} if citus.active() else {}


def by_month() -> bool:
    """Whether the ledger is partitioned by month (how `balance_as_of` reads it): one query."""
    return partitions.is_partitioned(connection, CreditEntry._meta.db_table)


def balance_as_of(instant: dt.datetime, *, monthly: bool = False) -> Coalesce:
    """For each wallet of the outer query, its balance just before `instant`: the balance after
    its last entry dated earlier (0 if none). With `monthly` (a ledger partitioned by month,
    `by_month`), from its entries of the instant's UTC month or else its month-end balance of
    the month before (see the module's text)."""
    last = CreditEntry.objects.filter(wallet=OuterRef("pk"), created_at__lt=instant, **_same_node())
    if not monthly:
        newest = last.order_by("-created_at", "-seq").values("balance_after")[:1]
        return Coalesce(Subquery(newest, output_field=AMOUNT), Value(ZERO), output_field=AMOUNT)
    month = partitions.month_of(instant)
    start = dt.datetime.combine(month, dt.time(), tzinfo=dt.UTC)
    newest = (
        last.filter(created_at__gte=start).order_by("-created_at", "-seq").values("balance_after")
    )[:1]
    before = (
        CreditWalletMonth.objects.filter(wallet=OuterRef("pk"), month__lt=month, **_same_node())
        .order_by("-month")
        .values("balance_after")[:1]
    )
    return Coalesce(
        Subquery(newest, output_field=AMOUNT),
        Subquery(before, output_field=AMOUNT),
        Value(ZERO),
        output_field=AMOUNT,
    )


def credit_rollforward(
    period: Period, *, credit_type: str = "", currency: str = ""
) -> list[RollForwardLine]:
    """The roll-forward of `period`, one line per credit type and currency that has a wallet
    (narrowed to `credit_type` and `currency` when given), tokens first, then currencies by
    code. Three queries: whether the ledger is partitioned (`by_month`), the opening and closing
    balances of every wallet summed per unit (index probes a wallet), and the period's entries
    summed per unit and activity."""
    monthly = by_month()
    balances = (
        CreditWallet.objects.filter(_unit(credit_type, currency))
        .values("credit_type", "currency")
        .annotate(
            opening=Sum(balance_as_of(period.start, monthly=monthly), output_field=AMOUNT),
            closing=Sum(balance_as_of(period.end, monthly=monthly), output_field=AMOUNT),
        )
        .order_by()
    )
    lines = {
        (row["credit_type"], row["currency"]): RollForwardLine(
            row["credit_type"], row["currency"], opening=row["opening"], closing=row["closing"]
        )
        for row in balances
    }
    movements = (
        CreditEntry.objects.filter(
            _unit(credit_type, currency),
            created_at__gte=period.start,
            created_at__lt=period.end,
            activity__in=MOVING,
        )
        .values("credit_type", "currency", "activity")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for row in movements:
        key = (row["credit_type"], row["currency"])
        # An entry's unit is its wallet's, so its wallet's line exists; setdefault all the same.
        line = lines.setdefault(key, RollForwardLine(*key))
        line.movements[Activity(row["activity"])] = row["total"]
    return [lines[key] for key in sorted(lines, key=_unit_order)]


def wallet_rollforward(period: Period, *, credit_type: str, currency: str) -> QuerySet:
    """The wallets of one unit that held credit or moved during `period`, oldest wallet first,
    each annotated with `opening`, `moved` (the net of its entries in the period) and
    `closing`, with its account and subscription: the drill-down of one roll-forward line.
    Per wallet, three probes of `credit_entry_wallet_asof_idx`; page it without a count."""
    monthly = by_month()
    in_period = CreditEntry.objects.filter(
        wallet=OuterRef("pk"),
        created_at__gte=period.start,
        created_at__lt=period.end,
        **_same_node(),
    )
    moved = in_period.order_by().values("wallet").annotate(total=Sum("amount")).values("total")
    return (
        CreditWallet.objects.filter(credit_type=credit_type, currency=currency)
        .select_related("account", "subscription")
        .only(
            "credit_type",
            "currency",
            "account__customer_number",
            "account__name",
            "subscription__order_id",
        )
        .annotate(
            opening=balance_as_of(period.start, monthly=monthly),
            closing=balance_as_of(period.end, monthly=monthly),
            moved=Coalesce(Subquery(moved, output_field=AMOUNT), Value(ZERO), output_field=AMOUNT),
        )
        # Balances are never negative: a wallet that held nothing at either end and has no
        # entry in the period has nothing to show.
        .filter(Q(opening__gt=0) | Q(closing__gt=0) | Exists(in_period))
        .order_by("pk")
    )


def ledger_months() -> Iterator[Period]:
    """Every month of the ledger's life, in the site's time zone: from its first entry's month
    to its newest entry's (two index reads)."""
    dates = CreditEntry.objects.order_by("created_at").values_list("created_at", flat=True)
    first, last = dates.first(), dates.last()
    if first is None or last is None:
        return
    first_day, last_day = timezone.localdate(first), timezone.localdate(last)
    year, month = first_day.year, first_day.month
    while (year, month) <= (last_day.year, last_day.month):
        yield Period.month(year, month)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def balances_at(
    instant: dt.datetime,
    *,
    account: Any = None,
    credit_type: str = "",
    currency: str = "",
    monthly: bool | None = None,
) -> QuerySet[CreditWallet]:
    """Wallets annotated with `then`, their balance just before `instant` (the roll-forward's
    closing balance, wallet by wallet): the wallets of `account` (its own first, then its
    subscriptions'), or else every wallet of the unit that held credit then, oldest wallet
    first (page it without a count: the probe stops at a page)."""
    then = balance_as_of(instant, monthly=by_month() if monthly is None else monthly)
    if account is not None:
        wallets = account_wallets(account=account).filter(_unit(credit_type, currency))
        return wallets.select_related("account").annotate(then=then)
    return (
        CreditWallet.objects.filter(_unit(credit_type, currency))
        .select_related("account", "subscription")
        .annotate(then=then)
        .filter(then__gt=0)
        .order_by("pk")
    )


def unit_balances_at(
    instant: dt.datetime,
    *,
    account: Any = None,
    credit_type: str = "",
    currency: str = "",
    monthly: bool | None = None,
) -> list[tuple[Unit, Decimal]]:
    """The sum of `balances_at` per unit, tokens first, then currencies by code (for a period
    that ends at `instant`, the roll-forward's closing balances). `monthly`: `by_month()`, when
    the caller has asked already."""
    wallets = CreditWallet.objects.filter(_unit(credit_type, currency))
    if account is not None:
        wallets = wallets.filter(account=account)
    rows = (
        wallets.values("credit_type", "currency")
        .annotate(
            total=Sum(
                balance_as_of(instant, monthly=by_month() if monthly is None else monthly),
                output_field=AMOUNT,
            )
        )
        .order_by()
    )
    sums = {(row["credit_type"], row["currency"]): row["total"] for row in rows}
    ordered = sorted(sums, key=_unit_order)
    return [(Unit.of(*key), sums[key]) for key in ordered]


def lots_at(instant: dt.datetime, *, account: Any) -> list[CreditLot]:
    """The lots of `account` as they stood just before `instant`, each annotated with `then`,
    what remained of it (its amount plus the allocations of entries dated earlier): those with
    credit left then, in the order they were to be drawn down (one query). Credit held before
    lots were kept is in an opening lot dated at its wallet's last entry then."""
    # Every join on the account too: on Citus each runs on the node that holds the account.
    taken = (
        CreditAllocation.objects.filter(
            lot=OuterRef("pk"),
            account=OuterRef("account"),
            entry__account=OuterRef("account"),
            entry__created_at__lt=instant,
        )
        .order_by()
        .values("lot")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    then = F("amount") + Coalesce(Subquery(taken, output_field=AMOUNT), Value(ZERO))
    lots = list(
        CreditLot.objects.filter(account=account, wallet__account=account, created_at__lt=instant)
        .select_related("wallet__subscription")
        .annotate(then=ExpressionWrapper(then, output_field=AMOUNT))
        .filter(then__gt=0)
    )
    return sorted(lots, key=lambda lot: (lot.wallet_id, draw_down_key(lot)))
