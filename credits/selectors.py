"""Reads of the ledger, shared by the pages, the CSV download and the API."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum

from accounts.models import Account, Product, Subscription
from config import money
from credits.models import CreditEntry, CreditType, CreditWallet

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
    def unit_label(self) -> str:
        return self.currency or "Tokens"

    # As the page shows amounts: the unit's minor units, tokens whole.
    @property
    def display_added(self) -> str:
        return money.plain(self.added, self.currency)

    @property
    def display_subtracted(self) -> str:
        return money.plain(self.subtracted, self.currency)

    @property
    def display_net(self) -> str:
        return money.plain(self.net, self.currency)


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
    totals = [
        CreditTotal(r["credit_type"], r["currency"], r["count"], r["added"], r["subtracted"])
        for r in rows
    ]
    return sorted(totals, key=lambda t: (t.credit_type != CreditType.TOKEN, t.currency))


def transaction_entries(*, transaction_id: str) -> QuerySet[CreditEntry]:
    """The entries of one transaction (a consumption may draw on two wallets; refunds follow)."""
    return credit_activity().filter(transaction_id=transaction_id)


def account_wallets(*, account: Account) -> QuerySet[CreditWallet]:
    """The account's wallets: its own first, then its subscriptions', each unit in turn."""
    return (
        CreditWallet.objects.for_account(account)
        .select_related("subscription")
        .order_by(F("subscription_id").asc(nulls_first=True), "credit_type", "currency")
    )


def account_credit_history(*, account: Account, limit: int = PANEL_ENTRIES) -> list[CreditEntry]:
    """The account's newest entries, for the panel on the account page."""
    return list(
        CreditEntry.objects.for_account(account)
        .select_related("subscription")
        .newest_first()[:limit]
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
    codes = Product.objects.values_list("currency", flat=True).union(
        CreditWallet.objects.exclude(currency="").values_list("currency", flat=True)
    )
    return sorted(set(codes))
