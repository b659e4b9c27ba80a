"""Reads of legacy history, for the Legacy mode page."""

from django.db.models import QuerySet

from accounts.models import Account
from legacy_history.models import LegacyEntry


def legacy_entries_pending(account: Account) -> QuerySet[LegacyEntry]:
    """The account's legacy entries that are not part of the typed timeline, newest first.

    Rows carry everything the page shows, so no join is needed; the partial index on
    (account, created_at, id) of unmigrated entries serves both the count and the page.
    """
    return LegacyEntry.objects.for_account(account).not_migrated().order_by("-created_at", "-id")
