"""Four eyes on credit: a decision refused (twice, too late, by the requester, by someone
without the permission) changes nothing but the request, and a request that could never
run is refused before it waits."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from activity.models import ActivityEvent
from config import roles
from credits import services
from credits.models import (
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
    REQUESTER_GONE,
)
from credits.services.limits import OWN_REQUEST
from tests.credits.approvals_helpers import ask, overdue, refused
from tests.credits.conftest import SEK
from tests.credits.limits_helpers import use_limits

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def limits(settings):
    use_limits(settings)


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
