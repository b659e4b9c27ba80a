"""Reads of the ledger, shared by the pages, the CSV download and the API."""

import datetime as dt
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Account, Product, Subscription
from core.money import Unit
from core.paging import MAX_PER_PAGE
from credits.models import (
    CreditAllocation,
    CreditApproval,
    CreditDayTotal,
    CreditEntry,
    CreditExportJob,
    CreditLot,
    CreditType,
    CreditUnitTotal,
    CreditWallet,
    draw_down_key,
)

PANEL_ENTRIES = 10
# What a Credit Activity row shows (credits.tables.CreditEntryTable).
PAGE_FIELDS = (
    "created_at",
    "account__name",
    "account__customer_number",
    "credit_type",
    "currency",
    "activity",
    "gift_card_status",
    "amount",
    "balance_after",
    "transaction_id",
    "subscription__order_id",
    "note",
    "actor_name",
    "approved_by_name",
)


def credit_activity() -> QuerySet[CreditEntry]:
    """Every entry, newest first, with the account and the subscription joined and only the
    columns the page shows: a page of entries is one query, planned and read quickly. (The
    subscription's link is on the entry's own account page, so its account is not joined.)"""
    return (
        CreditEntry.objects.select_related("account", "subscription")
        .only(*PAGE_FIELDS)
        .newest_first()
    )


@dataclass(frozen=True)
class CreditTotal:
    """The entries of one credit type and currency among those a filter selects."""

    credit_type: str
    currency: str
    count: int
    added: Decimal  # the sum of the positive amounts
    subtracted: Decimal  # the sum of the negative amounts (zero or less)

    @property
    def net(self) -> Decimal:
        return self.added + self.subtracted

    @property
    def unit(self) -> Unit:
        return Unit.of(self.credit_type, self.currency)


# Credit Activity's first page in its default order is read from a time that at least the
# largest page and one more entries were made since (when that holds more than the page: see
# core.paging.WindowedLazyPaginator), so that on a ledger partitioned by month only the newest
# months are planned and read. That time comes from the day totals and is kept by the process
# for NEWEST_WINDOW_SECONDS: entries are only ever added, so a time once right stays right
# (later ones only make the window longer than it needs to be).
NEWEST_WINDOW_SECONDS = 300
NEWEST_WINDOW_DAYS = 400  # the day totals read at most; a ledger quieter than that: no window
_newest_window: tuple[float, dt.datetime | None] | None = None


def newest_entries_since(entries: int = MAX_PER_PAGE + 1) -> dt.datetime | None:
    """A time since which at least `entries` ledger entries were made (the start of a day in
    the site's time zone, from the day totals), or None when the newest NEWEST_WINDOW_DAYS days
    hold fewer. One query every NEWEST_WINDOW_SECONDS, none in between."""
    global _newest_window
    now = time.monotonic()
    if _newest_window is not None and now - _newest_window[0] < NEWEST_WINDOW_SECONDS:
        return _newest_window[1]
    days = (
        CreditDayTotal.objects.order_by("-day")
        .values("day")
        .annotate(entries=Sum("count"))
        .values_list("day", "entries")[:NEWEST_WINDOW_DAYS]
    )
    since, seen = None, 0
    for day, count in days:
        seen += count
        if seen >= entries:
            midnight = dt.datetime.combine(day, dt.time.min)
            since = timezone.make_aware(midnight, timezone.get_default_timezone())
            break
    _newest_window = (now, since)
    return since


def forget_newest_window() -> None:
    """Read the window's start again at the next page (after the ledger lost entries: a
    test's database emptied, or retention)."""
    global _newest_window
    _newest_window = None


def credit_totals(entries: QuerySet[CreditEntry]) -> list[CreditTotal]:
    """Per credit type and currency of `entries` (a filtered `credit_activity()`): how many, the
    sum of the positive amounts, of the negative ones, and the net. One aggregate query, tokens
    first, then currencies by code."""
    zero = Decimal(0)
    rows = (
        entries.order_by()
        .values("credit_type", "currency")
        .annotate(
            count=Count("pk"),
            added=Sum("amount", filter=Q(amount__gt=0), default=zero),
            subtracted=Sum("amount", filter=Q(amount__lt=0), default=zero),
        )
    )
    return _totals(rows)


def wallet_totals(wallets: QuerySet[CreditWallet]) -> list[CreditTotal]:
    """`credit_totals` of every entry of `wallets`, from the wallets' running totals (their
    entry count, `added` and `removed`) instead of the ledger: one aggregate over the wallets,
    however many entries they hold."""
    return _summed(wallets, count="last_seq", added="added", subtracted="removed")


def day_totals_sum(days: QuerySet[CreditDayTotal] | QuerySet[CreditUnitTotal]) -> list[CreditTotal]:
    """`credit_totals` of the entries counted in `days` (rows of the day totals, or of the
    unit totals): one aggregate over a row per day (or all days), unit, activity and product
    instead of over the entries."""
    return _summed(days, count="count", added="added", subtracted="subtracted")


def _summed(rows: QuerySet, *, count: str, added: str, subtracted: str) -> list[CreditTotal]:
    """Per unit, the sums of rows that each hold a count and the two sums of some entries."""
    summed = (
        rows.order_by()
        .values("credit_type", "currency")
        .annotate(count=Sum(count), added=Sum(added), subtracted=Sum(subtracted))
        .filter(count__gt=0)
    )
    return _totals(summed)


def _totals(rows: QuerySet) -> list[CreditTotal]:
    """The aggregate's rows as totals: tokens first, then currencies by code."""
    totals = [
        CreditTotal(r["credit_type"], r["currency"], r["count"], r["added"], r["subtracted"])
        for r in rows
    ]
    return sorted(totals, key=lambda t: (t.credit_type != CreditType.TOKEN, t.currency))


def with_allocations(entries: QuerySet[CreditEntry]) -> QuerySet[CreditEntry]:
    """`entries` with the lots each took from or gave back to ("paid from: goodwill lot of
    2026-03-01, 120.00 SEK", `CreditEntry.lots_text`): one query more for a page of them,
    whatever its size."""
    return entries.prefetch_related(
        Prefetch(
            "allocations",
            # The lot joined on its account too: on Citus the two are joined on the node that
            # holds the account.
            queryset=CreditAllocation.objects.select_related("lot")
            .filter(lot__account=F("account"))
            .order_by("pk"),
        )
    )


def transaction_entries(*, transaction_id: str) -> QuerySet[CreditEntry]:
    """The entries of one transaction (a consumption may draw on two wallets; refunds follow),
    with the lots they moved."""
    return with_allocations(credit_activity().filter(transaction_id=transaction_id))


def account_wallets(*, account: Account) -> QuerySet[CreditWallet]:
    """The account's wallets: its own first, then its subscriptions', each unit in turn."""
    return (
        CreditWallet.objects.for_account(account)
        .select_related("subscription")
        .order_by(F("subscription_id").asc(nulls_first=True), "credit_type", "currency")
    )


def account_wallets_with_lots(*, account: Account) -> list[CreditWallet]:
    """`account_wallets`, each with its open lots in the order they are drawn down
    (`wallet.open_lots`; two queries)."""
    wallets: list[CreditWallet] = list(
        account_wallets(account=account).prefetch_related(
            Prefetch(
                "lots",
                queryset=CreditLot.objects.open().filter(account=account).order_by("pk"),
                to_attr="open_lots",
            )
        )
    )
    for wallet in wallets:
        wallet.open_lots.sort(key=draw_down_key)  # type: ignore[attr-defined]
    return wallets


def account_credit_history(*, account: Account, limit: int = PANEL_ENTRIES) -> list[CreditEntry]:
    """The account's newest entries, for the panel on the account page, with the lots they
    moved (two queries)."""
    return list(
        with_allocations(
            CreditEntry.objects.for_account(account).select_related("subscription").newest_first()
        )[:limit]
    )


def account_credit_balance(
    *, account: Account, currency: str, subscription: Subscription | None = None
) -> Decimal:
    """What a transaction in `currency` could consume: the account's wallet of that currency
    and, when the transaction is a subscription's, that subscription's wallet."""
    scope = Q(subscription__isnull=True)
    if subscription is not None:
        scope |= Q(subscription=subscription)
    total = (
        CreditWallet.objects.for_account(account)
        .filter(scope, credit_type=CreditType.CURRENCY, currency=currency)
        .aggregate(total=Sum("balance"))["total"]
    )
    return total or Decimal(0)


def currencies_in_use() -> list[str]:
    """The currency codes products are sold in or credit is held in (one query), for the
    currency pickers of the credit forms."""
    # No ORDER BY inside the union (SQLite refuses one in its parts; the models order by
    # default).
    codes = (
        Product.objects.order_by()
        .values_list("currency", flat=True)
        .union(
            CreditWallet.objects.exclude(currency="").order_by().values_list("currency", flat=True)
        )
    )
    return sorted(set(codes))


def credit_approvals() -> QuerySet[CreditApproval]:
    """Requests for approval, newest first, with their accounts (a page is one query)."""
    return CreditApproval.objects.select_related("account").order_by("-requested_at", "-id")


def own_requests(user: Any) -> QuerySet[CreditApproval]:
    """The requests `user` made, newest first, with their accounts."""
    return credit_approvals().filter(actor_id=user.pk)


def credit_approval(*, pk: int) -> CreditApproval:
    """One request, with what the detail page shows of it (404 when there is none)."""
    return get_object_or_404(
        CreditApproval.objects.select_related("account", "subscription__product", "entry"),
        pk=pk,
    )


def approvals_waiting_count(user: Any) -> int:
    """How many requests wait for a decision that `user` may make (not their own)."""
    return CreditApproval.objects.waiting().exclude(actor_id=user.pk).count()


def own_export_jobs(*, user: Any) -> QuerySet[CreditExportJob]:
    """The user's Credit Activity downloads written in the background, newest first."""
    return CreditExportJob.objects.filter(owner=user).select_related("record")


def own_export_job(*, user: Any, pk: int) -> CreditExportJob:
    """One of the user's background downloads; 404 for anyone else's (whose existence is not
    confirmed)."""
    return get_object_or_404(own_export_jobs(user=user), pk=pk)
