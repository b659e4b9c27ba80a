"""The ledger's part of erasing a customer: the notes and gift card codes of the account's
entries (and of the keyed requests that made them), the download records whose filters name
the customer, and the files of background downloads still offered (any may hold the
customer). Amounts, balances, times and the order of entries stay as they were; each entry's
digest of its text stays too, so that the hash chain holds (`redacted_at` tells
`verify_ledger` not to compare the redacted text with it)."""

from typing import TYPE_CHECKING

import pgtrigger
from django.db.models import Q, QuerySet
from django.utils import timezone

from core.downloads import redact_filters
from core.personal_data import REDACTED
from credits.models import (
    APPEND_ONLY_TRIGGER,
    CreditApproval,
    CreditEntry,
    CreditExport,
    CreditExportJob,
    CreditOperation,
    ExportState,
)
from credits.services.approvals import close_waiting
from credits.services.export_jobs import credit_export_files_erase

if TYPE_CHECKING:
    from accounts.models import Account

OPERATION_TRIGGER = "credits.CreditOperation:written_once"
APPROVAL_TRIGGER = "credits.CreditApproval:written_once"
TEXT_KEYS = ("note", "gift_card")


def _entries(account: "Account") -> QuerySet[CreditEntry]:
    return CreditEntry.objects.for_account(account).filter(
        Q(redacted_at__isnull=True) & (~Q(note="") | ~Q(gift_card=""))
    )


def _operations(account: "Account") -> list[CreditOperation]:
    found = CreditOperation.objects.filter(request__account=account.pk)
    return [op for op in found if any(op.request.get(key) for key in TEXT_KEYS)]


def _approvals(account: "Account") -> QuerySet[CreditApproval]:
    return CreditApproval.objects.filter(account=account, redacted_at__isnull=True)


def names_customer(account: "Account", filters: dict) -> list[str]:
    """The filters of a Credit Activity download that name this customer."""
    named = []
    email = (filters.get("account_email") or "").strip().casefold()
    if email and email == account.email.casefold():
        named.append("account_email")
    part = (filters.get("account_name") or "").strip().casefold()
    if len(part) >= 3 and part in account.name.casefold():
        named.append("account_name")
    return named


def count(account: "Account") -> dict[str, int]:
    return {
        "ledger entries": _entries(account).count(),
        "keyed credit requests": len(_operations(account)),
        "requests for approval": _approvals(account).count(),
        "credit downloads": sum(
            1
            for record in CreditExport.objects.exclude(filters={})
            if names_customer(account, record.filters)
        ),
        "background download files": CreditExportJob.objects.filter(
            state=ExportState.READY
        ).count(),
    }


def erase(account: "Account") -> dict[str, int]:
    entries = _entries(account)
    # A request still waiting would run with its reason erased: it ends now, as expired.
    close_waiting(account)
    with pgtrigger.ignore(APPEND_ONLY_TRIGGER, OPERATION_TRIGGER, APPROVAL_TRIGGER):
        # The reasons of requests for approval; the requested operation and amount stay.
        approvals = _approvals(account).update(
            reason=REDACTED, decision_note=REDACTED, redacted_at=timezone.now()
        )
        changed = entries.filter(~Q(note="")).update(note=REDACTED, redacted_at=timezone.now())
        changed += entries.filter(~Q(gift_card="")).update(
            gift_card=REDACTED, redacted_at=timezone.now()
        )
        operations = _operations(account)
        for operation in operations:
            for key in TEXT_KEYS:
                if operation.request.get(key):
                    operation.request[key] = REDACTED
        CreditOperation.objects.bulk_update(operations, ["request"])
    exports = redact_filters(CreditExport, lambda filters: names_customer(account, filters))
    return {
        "ledger entries": changed,
        "keyed credit requests": len(operations),
        "requests for approval": approvals,
        "credit downloads": exports,
        # Any file still offered may hold the customer: every one goes.
        "background download files": credit_export_files_erase(),
    }
