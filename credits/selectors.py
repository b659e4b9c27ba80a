"""Reads of the ledger, shared by the pages, the CSV download and the API."""

from django.db.models import F, QuerySet

from accounts.models import Account
from credits.models import CreditEntry, CreditWallet

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
