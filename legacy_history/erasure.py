"""Legacy history's part of erasing a customer: the old entries' messages and proprietor (the
customer's e-mail as the old product kept it), redacted in place. The proprietor becomes the
customer number, which still names the account."""

from typing import TYPE_CHECKING

import pgtrigger
from django.db.models import Q, QuerySet

from core.personal_data import REDACTED
from legacy_history.models import LegacyEntry

if TYPE_CHECKING:
    from accounts.models import Account

TRIGGER = "legacy_history.LegacyEntry:written_once"


def _entries(account: "Account") -> QuerySet[LegacyEntry]:
    return LegacyEntry.objects.for_account(account).filter(
        ~Q(message__in=("", REDACTED)) | ~Q(proprietor=account.customer_number)
    )


def count(account: "Account") -> dict[str, int]:
    return {"legacy entries": _entries(account).count()}


def erase(account: "Account") -> dict[str, int]:
    entries = _entries(account)
    with pgtrigger.ignore(TRIGGER):
        changed = entries.count()
        entries.filter(~Q(message="")).update(message=REDACTED)
        LegacyEntry.objects.for_account(account).update(proprietor=account.customer_number)
    return {"legacy entries": changed}
