"""Helpers of the approval tests: a request of 600 SEK, and what a refused decision must
leave as it was."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from activity.models import ActivityEvent
from credits import services
from credits.models import ApprovalOperation, CreditApproval, CreditEntry, CreditWallet
from tests.credits.conftest import SEK


def ask(actor, account, amount="600", operation=ApprovalOperation.GRANT, **kwargs):
    return services.credit_request(
        actor=actor,
        operation=operation,
        account=account,
        amount=amount,
        note=kwargs.pop("note", "Missed delivery"),
        **{**SEK, **kwargs},
    )


def state_of(approval):
    """What a refusal must leave as it was: the request, the ledger and the timeline."""
    approval.refresh_from_db()
    return (
        approval.state,
        approval.decided_by_id,
        approval.decided_at,
        approval.entry_id,
        CreditEntry.objects.count(),
        list(CreditWallet.objects.values_list("balance", flat=True)),
        ActivityEvent.objects.count(),
    )


def refused(call, approval, **kwargs) -> list[str]:
    before = state_of(approval)
    with pytest.raises(ValidationError) as caught:
        call(approval=approval, **kwargs)
    assert state_of(approval) == before, "a refused decision changed something"
    return caught.value.messages


def overdue(approval):
    """Move a waiting request's expiry into the past (allowed while it is pending)."""
    CreditApproval.objects.filter(pk=approval.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    approval.refresh_from_db()
