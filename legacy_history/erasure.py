"""Legacy history's part of erasing a customer: the old entries' messages and proprietor (the
customer's e-mail as the old product kept it), redacted in place, and whatever quotes the
customer in their event names (core.personal_data.redact_known). The proprietor becomes the
customer number, which still names the account."""

from typing import TYPE_CHECKING

import pgtrigger
from django.db.models import Q, QuerySet

from core.personal_data import REDACTED, redact_known, terms_of
from legacy_history.models import LegacyEntry

if TYPE_CHECKING:
    from accounts.models import Account

TRIGGER = "legacy_history.LegacyEntry:written_once"


def _entries(account: "Account") -> QuerySet[LegacyEntry]:
    return LegacyEntry.objects.for_account(account).filter(
        ~Q(message__in=("", REDACTED)) | ~Q(proprietor=account.customer_number)
    )


def _quoting(account: "Account") -> list[LegacyEntry]:
    """The entries whose event name quotes the customer, with it redacted (in memory)."""
    terms = terms_of(account)
    found = []
    for entry in LegacyEntry.objects.for_account(account).only("id", "event_name").iterator():
        redacted = redact_known(entry.event_name, terms)
        if redacted != entry.event_name:
            entry.event_name = redacted
            found.append(entry)
    return found


def count(account: "Account") -> dict[str, int]:
    quoting = {entry.pk for entry in _quoting(account)}
    return {"legacy entries": len(quoting | set(_entries(account).values_list("pk", flat=True)))}


def erase(account: "Account") -> dict[str, int]:
    entries = _entries(account)
    quoting = _quoting(account)
    with pgtrigger.ignore(TRIGGER):
        changed = {entry.pk for entry in quoting} | set(entries.values_list("pk", flat=True))
        LegacyEntry.objects.bulk_update(quoting, ["event_name"], batch_size=1000)
        entries.filter(~Q(message="")).update(message=REDACTED)
        LegacyEntry.objects.for_account(account).update(proprietor=account.customer_number)
    return {"legacy entries": len(changed)}
