"""Reads of the ledger, shared by the pages, the CSV download and the API."""

from decimal import Decimal

from django.db.models import F, Q, QuerySet, Sum

from accounts.models import Account, Product, Subscription
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
