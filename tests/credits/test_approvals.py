"""Four eyes on credit: a request over its requester's limit runs once, when another person
approves it, as the requester with the approver recorded beside; a rejection, an expiry or a
refusal changes nothing but the request."""

import datetime as dt
import io
from decimal import Decimal

import pgtrigger
import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts import services as accounts
from activity.models import ActivityEvent
from config import roles
from core.actors import Actor
from core.errors import KEY_REUSED, Conflict
from core.personal_data import REDACTED
from credits import services
from credits.models import (
    APPEND_ONLY_TRIGGER,
    Activity,
    ApprovalOperation,
    ApprovalState,
    CreditApproval,
    CreditEntry,
    CreditWallet,
)
from credits.services.approvals import (
    ALREADY_APPROVED,
    ALREADY_EXPIRED,
    ALREADY_REJECTED,
    NOT_AN_APPROVER,
    NOW_EXPIRED,
    REJECTION_REASON_REQUIRED,
    REQUESTER_GONE,
)
from credits.services.limits import OWN_REQUEST
from tests.credits.conftest import SEK
from tests.credits.test_limits import INTEGRATION, use_limits
from tests.factories import PaymentMethodFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def limits(settings):
    use_limits(settings)


@pytest.fixture
def approver(make_user):
    """A second Finance user, who decides on the requests."""
    return make_user(roles.FINANCE, first_name="Per", last_name="Holm")


def ask(actor, account, amount="600", operation=ApprovalOperation.GRANT, **kwargs):
    return services.credit_request(
        actor=actor,
        operation=operation,
        account=account,
        amount=amount,
        note=kwargs.pop("note", "Missed delivery"),
        **{**SEK, **kwargs},
    )


@pytest.fixture
def waiting(account, agent):
    """Sara's (Customer Service) grant of 600 SEK, over her limit of 500."""
    submitted = ask(agent, account)
    assert submitted.waiting
    return submitted.approval


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


# --- Refusals -------------------------------------------------------------------------------


def test_approving_twice_is_refused_and_runs_nothing_again(waiting, approver, finance):
    services.approval_approve(actor=approver, approval=waiting)

    messages = refused(services.approval_approve, waiting, actor=finance)

    assert messages == [ALREADY_APPROVED]
    assert CreditEntry.objects.count() == 1


def test_a_rejected_request_cannot_be_approved(waiting, approver, finance):
    services.approval_reject(actor=approver, approval=waiting, reason="No such delivery")

    assert refused(services.approval_approve, waiting, actor=finance) == [ALREADY_REJECTED]
    assert not CreditEntry.objects.exists()


def test_an_expired_request_cannot_be_approved(waiting, approver):
    overdue(waiting)
    services.approvals_expire()

    assert refused(services.approval_approve, waiting, actor=approver) == [ALREADY_EXPIRED]


def test_an_overdue_request_is_marked_expired_instead_of_approved(waiting, approver):
    later = waiting.expires_at + dt.timedelta(seconds=1)
    with time_machine.travel(later), pytest.raises(ValidationError) as caught:
        services.approval_approve(actor=approver, approval=waiting)

    when = timezone.localtime(waiting.expires_at).strftime("%Y-%m-%d %H:%M")
    assert caught.value.messages == [NOW_EXPIRED.format(when=when)]
    waiting.refresh_from_db()
    assert (waiting.state, waiting.decided_by) == (ApprovalState.EXPIRED, None)
    assert ActivityEvent.objects.filter(type="credit_request_expired").count() == 1
    assert not CreditEntry.objects.exists()


def test_an_overdue_request_is_marked_expired_instead_of_rejected(waiting, approver):
    overdue(waiting)

    with pytest.raises(ValidationError) as caught:
        services.approval_reject(actor=approver, approval=waiting, reason="Too late")

    assert caught.value.messages[0].startswith("This request expired on ")
    waiting.refresh_from_db()
    assert (waiting.state, waiting.decision_note) == (ApprovalState.EXPIRED, "")


def test_nobody_approves_their_own_request(account, finance):
    approval = ask(finance, account, "10000.01").approval

    assert refused(services.approval_approve, approval, actor=finance) == [OWN_REQUEST]


def test_nobody_rejects_their_own_request(account, finance):
    approval = ask(finance, account, "10000.01").approval

    messages = refused(services.approval_reject, approval, actor=finance, reason="Changed my mind")

    assert messages == [OWN_REQUEST]


@pytest.mark.parametrize("role", [roles.SYSTEM_ADMINISTRATOR, roles.CUSTOMER_SERVICE])
def test_a_user_without_the_approve_permission_may_not_approve(waiting, make_user, role):
    user = make_user(role)

    assert refused(services.approval_approve, waiting, actor=user) == [NOT_AN_APPROVER]


def test_the_system_may_not_approve(waiting):
    assert refused(services.approval_approve, waiting, actor=None) == [NOT_AN_APPROVER]


def test_a_revocation_the_wallet_no_longer_covers_is_refused_and_keeps_waiting(
    account, finance, approver
):
    services.credit_grant(actor=None, account=account, amount="15000", **SEK)
    approval = ask(finance, account, "12000", operation=ApprovalOperation.REVOKE).approval
    assert approval is not None
    services.apply_credits(account=account, amount="5000", transaction_id="BILL-1", **SEK)

    messages = refused(services.approval_approve, approval, actor=approver)

    assert messages == ["Not enough credit: 12000.00 SEK is more than the balance of 10000.00 SEK."]
    assert approval.state == ApprovalState.PENDING
    assert CreditWallet.objects.get().balance == Decimal("10000")


def test_a_deactivated_requester_cannot_have_their_request_run(waiting, agent, approver):
    agent.is_active = False
    agent.save()

    assert refused(services.approval_approve, waiting, actor=approver) == [REQUESTER_GONE]


def test_a_requester_who_lost_the_permission_cannot_have_their_request_run(
    waiting, agent, approver
):
    agent.groups.clear()

    assert refused(services.approval_approve, waiting, actor=approver) == [REQUESTER_GONE]


def test_a_request_of_a_deactivated_requester_may_still_be_rejected(waiting, agent, approver):
    agent.is_active = False
    agent.save()

    services.approval_reject(actor=approver, approval=waiting, reason="Sara has left")

    waiting.refresh_from_db()
    assert waiting.state == ApprovalState.REJECTED


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


# --- Expiry ---------------------------------------------------------------------------------


def test_approvals_expire_marks_overdue_requests_expired_and_leaves_fresh_ones(account, agent):
    old = ask(agent, account, "600").approval
    fresh = ask(agent, account, "700").approval
    overdue(old)

    assert services.approvals_expire() == 1

    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.state, fresh.state) == (ApprovalState.EXPIRED, ApprovalState.PENDING)
    assert old.decided_at is not None and old.decided_by is None
    event = ActivityEvent.objects.get(type="credit_request_expired")
    assert event.data == {
        "request_id": str(old.pk),
        "operation": "Grant",
        "amount": {"amount": "600.00", "currency": "SEK"},
    }


def test_approvals_expire_at_a_given_time(account, agent):
    approval = ask(agent, account, "600").approval

    assert services.approvals_expire(now=approval.expires_at - dt.timedelta(seconds=1)) == 0
    assert services.approvals_expire(now=approval.expires_at) == 1


def test_the_expire_command_expires_requests_older_than_the_expiry_days(account, agent):
    ask(agent, account, "600")
    out = io.StringIO()

    call_command("expire_credit_approvals", stdout=out)
    assert out.getvalue().strip() == "0 request(s) expired (after 7 days)."

    with time_machine.travel(timezone.now() + dt.timedelta(days=7, minutes=1)):
        call_command("expire_credit_approvals", stdout=out)

    assert "1 request(s) expired (after 7 days)." in out.getvalue()
    assert CreditApproval.objects.get().state == ApprovalState.EXPIRED


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


# --- Erasure --------------------------------------------------------------------------------


def test_erasing_the_customer_closes_waiting_requests_as_expired(account, agent, waiting):
    accounts.account_anonymise(account=account, actor=None, reason="Request GDPR-77")

    waiting.refresh_from_db()
    assert waiting.state == ApprovalState.EXPIRED
    assert waiting.reason == REDACTED and waiting.redacted_at is not None
    assert ActivityEvent.objects.filter(type="credit_request_expired").count() == 1
    assert not CreditEntry.objects.exists()


def test_erasing_the_customer_redacts_the_reasons_of_decided_requests(account, agent, approver):
    rejected = ask(agent, account, note="Karin's dog ate the card").approval
    services.approval_reject(actor=approver, approval=rejected, reason="Karin has had enough")

    accounts.account_anonymise(account=account, actor=None, reason="Request GDPR-77")

    rejected.refresh_from_db()
    assert (rejected.state, rejected.reason, rejected.decision_note) == (
        ApprovalState.REJECTED,
        REDACTED,
        REDACTED,
    )


def test_a_superuser_without_the_finance_role_may_not_approve(waiting, make_user):
    superuser = make_user(None, is_superuser=True, is_staff=True)

    assert refused(services.approval_approve, waiting, actor=superuser) == [NOT_AN_APPROVER]


def test_a_revocation_larger_than_the_balance_is_refused_before_it_waits(account, finance):
    services.credit_grant(actor=None, account=account, amount="15000", **SEK)

    with pytest.raises(ValidationError) as caught:
        ask(finance, account, "20000", operation=ApprovalOperation.REVOKE)

    assert caught.value.message_dict == {
        "amount": ["Not enough credit: 20000.00 SEK is more than the balance of 15000.00 SEK."]
    }
    assert not CreditApproval.objects.exists()


def test_an_operation_that_would_wait_cannot_be_backdated(account, agent):
    yesterday = timezone.now() - dt.timedelta(days=1)

    with pytest.raises(ValidationError) as caught:
        ask(agent, account, created_at=yesterday)

    assert list(caught.value.message_dict) == ["created_at"]
    assert "dated when approved" in caught.value.message_dict["created_at"][0]
    assert not CreditApproval.objects.exists()


def test_the_daily_limit_indexes_cover_the_grants():
    grant_indexes = [
        i for i in CreditEntry._meta.indexes if i.name.startswith("credit_entry_grant")
    ]
    assert len(grant_indexes) == 2
    for index in grant_indexes:
        assert dict(index.condition.children)["activity"] in Activity.values
