"""Four eyes on credit: a request over its requester's limit runs once, when another person
approves it, as the requester with the approver recorded beside; a rejection changes
nothing but the request; a request's key returns it again."""

from decimal import Decimal

import pgtrigger
import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from activity.models import ActivityEvent
from core.actors import Actor
from core.errors import KEY_REUSED, Conflict
from credits import services
from credits.models import (
    APPEND_ONLY_TRIGGER,
    ApprovalOperation,
    ApprovalState,
    CreditApproval,
    CreditEntry,
    CreditWallet,
)
from credits.services.approvals import ALREADY_REJECTED, REJECTION_REASON_REQUIRED
from credits.services.limits import OWN_REQUEST
from tests.credits.approvals_helpers import ask, refused, state_of
from tests.credits.conftest import SEK
from tests.credits.limits_helpers import INTEGRATION, use_limits
from tests.factories import PaymentMethodFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def limits(settings):
    use_limits(settings)


# --- Approving ------------------------------------------------------------------------------


def test_approving_runs_the_grant_as_the_requester_with_the_approver_beside(
    waiting, agent, approver
):
    services.approval_approve(actor=approver, approval=waiting)

    entry = CreditEntry.objects.get()
    assert (entry.amount, entry.note) == (Decimal("600"), "Missed delivery")
    assert (entry.actor, entry.actor_name) == (agent, "Sara Lind")
    assert (entry.approved_by, entry.approved_by_name) == (approver, "Per Holm")
    assert CreditWallet.objects.get().balance == Decimal("600")


def test_approving_records_manual_credit_added_with_the_approver(waiting, agent, approver):
    services.approval_approve(actor=approver, approval=waiting)

    event = ActivityEvent.objects.get(type="manual_credit_added")
    assert event.actor == agent
    assert event.data["approved_by"] == "Per Holm"
    assert event.data["amount"] == {"amount": "600.00", "currency": "SEK"}


def test_approving_records_credit_request_approved(waiting, account, approver):
    services.approval_approve(actor=approver, approval=waiting)

    event = ActivityEvent.objects.get(type="credit_request_approved")
    assert (event.account, event.actor) == (account, approver)
    assert event.data == {
        "request_id": str(waiting.pk),
        "operation": "Grant",
        "amount": {"amount": "600.00", "currency": "SEK"},
        "requested_by": "Sara Lind",
    }


def test_an_approved_request_keeps_the_decision_and_its_entry(waiting, approver):
    returned = services.approval_approve(actor=approver, approval=waiting.pk)

    waiting.refresh_from_db()
    assert waiting.state == ApprovalState.APPROVED
    assert (waiting.decided_by, waiting.decided_by_name) == (approver, "Per Holm")
    assert waiting.decided_at is not None
    assert waiting.entry == CreditEntry.objects.get()
    assert returned.pk == waiting.pk


def test_the_ledger_verifies_after_an_approved_grant(waiting, approver, capsys):
    services.approval_approve(actor=approver, approval=waiting)

    call_command("verify_ledger")

    assert "every hash chain intact" in capsys.readouterr().out


def test_the_hash_covers_the_approvers_name(waiting, approver, capsys):
    services.approval_approve(actor=approver, approval=waiting)
    with pgtrigger.ignore(APPEND_ONLY_TRIGGER):
        CreditEntry.objects.update(approved_by_name="Someone Else")

    with pytest.raises(CommandError):
        call_command("verify_ledger")
    assert "hash chain broken at entry 1" in capsys.readouterr().out


def test_an_integrations_request_runs_as_the_integration(account, approver):
    approval = ask(Actor.integration(INTEGRATION), account, "5000.01", note="").approval

    services.approval_approve(actor=approver, approval=approval)

    entry = CreditEntry.objects.get()
    assert (entry.actor, entry.actor_name, entry.approved_by_name) == (
        None,
        INTEGRATION,
        "Per Holm",
    )


def test_a_service_refuses_an_approver_who_is_the_actor(account, finance):
    with pytest.raises(ValidationError) as caught:
        services.credit_grant(
            actor=finance, account=account, amount="1", note="x", approved_by=finance, **SEK
        )
    assert caught.value.message_dict == {"approved_by": [OWN_REQUEST]}
    assert not CreditEntry.objects.exists()


# --- Rejecting ------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_rejection_needs_a_reason(waiting, approver, reason):
    before = state_of(waiting)
    with pytest.raises(ValidationError) as caught:
        services.approval_reject(actor=approver, approval=waiting, reason=reason)
    assert caught.value.message_dict == {"reason": [REJECTION_REASON_REQUIRED]}
    assert state_of(waiting) == before


def test_rejecting_records_credit_request_rejected_with_the_reason(waiting, account, approver):
    services.approval_reject(actor=approver, approval=waiting, reason=" No such delivery ")

    waiting.refresh_from_db()
    assert (waiting.state, waiting.decided_by, waiting.decision_note) == (
        ApprovalState.REJECTED,
        approver,
        "No such delivery",
    )
    event = ActivityEvent.objects.get(type="credit_request_rejected")
    assert (event.account, event.actor) == (account, approver)
    assert event.data == {
        "request_id": str(waiting.pk),
        "operation": "Grant",
        "amount": {"amount": "600.00", "currency": "SEK"},
        "requested_by": "Sara Lind",
        "reason": "No such delivery",
    }
    assert not CreditEntry.objects.exists()


def test_a_rejected_request_cannot_be_rejected_again(waiting, approver, finance):
    services.approval_reject(actor=approver, approval=waiting, reason="No")

    messages = refused(services.approval_reject, waiting, actor=finance, reason="No again")

    assert messages == [ALREADY_REJECTED]


# --- Charges and manual refunds -------------------------------------------------------------


def test_approving_a_manual_charge_records_the_approver_on_its_event(account, finance, approver):
    services.credit_grant(actor=None, account=account, amount="100", **SEK)
    approval = ask(finance, account, "30000", operation=ApprovalOperation.CHARGE).approval
    assert approval is not None and not CreditEntry.objects.filter(amount__lt=0).exists()

    services.approval_approve(actor=approver, approval=approval)

    event = ActivityEvent.objects.get(type="manual_charge_added")
    assert (event.actor, event.data["approved_by"]) == (finance, "Per Holm")
    approval.refresh_from_db()
    assert approval.event_id == event.pk
    consumed = CreditEntry.objects.get(amount__lt=0)
    assert approval.entry == consumed
    assert (consumed.amount, consumed.approved_by_name) == (Decimal("-100"), "Per Holm")


def test_approving_a_manual_refund_records_the_approver_on_its_event(account, finance, approver):
    method = PaymentMethodFactory(account=account, brand="Visa", masked_details="•••• 4242")
    approval = ask(
        finance, account, "30000", operation=ApprovalOperation.MANUAL_REFUND, refunded_to=method
    ).approval
    assert approval is not None
    assert not ActivityEvent.objects.filter(type="manual_refund_issued").exists()

    services.approval_approve(actor=approver, approval=approval)

    event = ActivityEvent.objects.get(type="manual_refund_issued")
    assert (event.actor, event.data["approved_by"]) == (finance, "Per Holm")
    assert event.data["refunded_to"] == "Visa •••• 4242"
    approval.refresh_from_db()
    assert (approval.event_id, approval.entry) == (event.pk, None)


# --- Idempotency ----------------------------------------------------------------------------


def test_the_same_key_and_request_return_the_same_waiting_request(account, agent):
    first = ask(agent, account, idempotency_key="k-1")

    again = ask(agent, account, idempotency_key="k-1")

    assert again.replayed and not first.replayed
    assert again.approval.pk == first.approval.pk
    assert CreditApproval.objects.count() == 1
    assert ActivityEvent.objects.filter(type="credit_request_submitted").count() == 1


def test_the_same_key_with_another_request_is_a_conflict(account, agent):
    ask(agent, account, idempotency_key="k-1")

    with pytest.raises(Conflict) as caught:
        ask(agent, account, "700", idempotency_key="k-1")

    assert caught.value.message_dict == {"idempotency_key": [KEY_REUSED]}
    assert CreditApproval.objects.count() == 1


def test_after_approval_the_key_replays_the_entry(account, agent, approver):
    approval = ask(agent, account, idempotency_key="k-1").approval
    services.approval_approve(actor=approver, approval=approval)

    again = ask(agent, account, idempotency_key="k-1")

    assert again.replayed and not again.waiting
    assert again.result == CreditEntry.objects.get()


def test_after_rejection_the_key_returns_the_rejected_request(account, agent, approver):
    approval = ask(agent, account, idempotency_key="k-1").approval
    services.approval_reject(actor=approver, approval=approval, reason="No")

    again = ask(agent, account, idempotency_key="k-1")

    assert again.replayed and again.approval.state == ApprovalState.REJECTED
    assert not CreditEntry.objects.exists()
