"""The access log's part of erasing a customer: the records of who opened the account stay
(who, when, which page), and whatever in their filters quotes the customer (an e-mail, a name
typed into a filter) is redacted in place (core.personal_data.redact_known)."""

import re
from typing import Any

import pgtrigger

from accounts.models import Account, AccountAccess
from core.personal_data import redact_known, redact_values, terms_of

TRIGGER = "accounts.AccountAccess:append_only"
BATCH = 1000


def _redacted(filters: dict[str, Any], terms: re.Pattern[str] | None) -> dict[str, Any]:
    return {
        key: redact_values(value, terms)
        if isinstance(value, list)
        else redact_known(value, terms)
        if isinstance(value, str)
        else value
        for key, value in filters.items()
    }


def _quoting(account: Account) -> list[AccountAccess]:
    """The account's access records whose filters quote the customer, redacted in memory."""
    terms = terms_of(account)
    found = []
    records = AccountAccess.objects.filter(account=account).exclude(filters={})
    for record in records.only("id", "filters").iterator(BATCH):
        redacted = _redacted(record.filters, terms)
        if redacted != record.filters:
            record.filters = redacted
            found.append(record)
    return found


def count(account: Account) -> dict[str, int]:
    """How many of the account's access records quote the customer in their filters."""
    return {"access log records": len(_quoting(account))}


def erase(account: Account) -> dict[str, int]:
    """Redact what quotes the customer in the filters of the account's access records; the
    one path past the log's append-only trigger but retention's."""
    quoting = _quoting(account)
    with pgtrigger.ignore(TRIGGER):
        AccountAccess.objects.bulk_update(quoting, ["filters"], batch_size=BATCH)
    return {"access log records": len(quoting)}
