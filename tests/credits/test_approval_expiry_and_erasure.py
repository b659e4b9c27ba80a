"""Four eyes on credit: a request nobody decides expires, and erasing the customer closes
the waiting requests and redacts the reasons of the decided ones."""

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from accounts import services as accounts
from activity.models import ActivityEvent
from core.personal_data import REDACTED
from credits import services
from credits.models import ApprovalState, CreditApproval, CreditEntry
from tests.credits.approvals_helpers import ask, overdue
from tests.credits.limits_helpers import use_limits

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def limits(settings):
    use_limits(settings)


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
