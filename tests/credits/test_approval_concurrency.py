"""Four eyes under concurrency, each thread on its own PostgreSQL connection: a request runs
once however many approvers press at once, and one person's grants at once never get past
their daily limit together."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection

from activity.models import ActivityEvent
from config import roles
from core.actors import Actor
from credits import services
from credits.models import ApprovalOperation, ApprovalState, CreditApproval, CreditEntry
from credits.services.approvals import ALREADY_APPROVED, ALREADY_REJECTED
from tests.credits.conftest import SEK
from tests.credits.ledger_checks import assert_ledger_consistent
from tests.credits.test_limits import INTEGRATION, use_limits
from tests.threads import run_together

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def limits(settings):
    use_limits(settings)


@pytest.fixture
def approvers(make_user):
    return [make_user(roles.FINANCE) for _ in range(2)]


def ask(actor, account, amount, **kwargs):
    return services.credit_request(
        actor=actor,
        operation=ApprovalOperation.GRANT,
        account=account,
        amount=amount,
        note=kwargs.pop("note", "Missed delivery"),
        **{**SEK, **kwargs},
    )


def collect(outcomes, call):
    """A worker that records what `call` returned, or the messages it was refused with."""

    def work():
        try:
            outcomes.append(call())
        except ValidationError as exc:
            outcomes.append(exc.messages)

    return work


def test_two_approvers_at_once_run_the_request_once(account, agent, approvers):
    assert connection.vendor == "postgresql"
    approval = ask(agent, account, "600").approval
    outcomes: list = []

    run_together(
        [
            collect(
                outcomes,
                lambda user=user: services.approval_approve(actor=user, approval=approval.pk),
            )
            for user in approvers
        ]
    )

    refusals = [o for o in outcomes if isinstance(o, list)]
    approved = [o for o in outcomes if isinstance(o, CreditApproval)]
    assert (len(approved), refusals) == (1, [[ALREADY_APPROVED]])
    entry = CreditEntry.objects.get()
    approval.refresh_from_db()
    assert (approval.state, approval.entry, approval.decided_by) == (
        ApprovalState.APPROVED,
        entry,
        approved[0].decided_by,
    )
    assert entry.approved_by == approval.decided_by
    assert ActivityEvent.objects.filter(type="credit_request_approved").count() == 1
    assert_ledger_consistent()
    call_command("verify_ledger")


def test_an_approval_and_a_rejection_at_once_make_one_decision(account, agent, approvers):
    approval = ask(agent, account, "600").approval
    first, second = approvers
    outcomes: list = []

    run_together(
        [
            collect(outcomes, lambda: services.approval_approve(actor=first, approval=approval.pk)),
            collect(
                outcomes,
                lambda: services.approval_reject(actor=second, approval=approval.pk, reason="No"),
            ),
        ]
    )

    approval.refresh_from_db()
    refusals = [o for o in outcomes if isinstance(o, list)]
    if approval.state == ApprovalState.APPROVED:
        assert refusals == [[ALREADY_APPROVED]]
        assert CreditEntry.objects.count() == 1
    else:
        assert approval.state == ApprovalState.REJECTED
        assert refusals == [[ALREADY_REJECTED]]
        assert not CreditEntry.objects.exists()


def test_grants_at_once_never_get_past_the_daily_limit_together(account, agent):
    outcomes: list = []

    def grants():
        for _ in range(2):
            outcomes.append(ask(agent, account, "400"))

    run_together([grants] * 6)

    # Twelve grants of 400, each within the single limit of 500: exactly five fit under the
    # daily limit of 2,000; the other seven wait for approval.
    direct = [o for o in outcomes if not o.waiting]
    assert (len(direct), len(outcomes)) == (5, 12)
    total = sum(CreditEntry.objects.filter(actor=agent).values_list("amount", flat=True))
    assert total == Decimal("2000")
    assert CreditApproval.objects.filter(state=ApprovalState.PENDING).count() == 7
    assert_ledger_consistent()


def test_retries_at_once_with_one_key_make_one_request(account):
    outcomes: list = []

    def retry():
        outcomes.append(
            ask(Actor.integration(INTEGRATION), account, "6000", note="", idempotency_key="k")
        )

    run_together([retry] * 4)

    assert {o.approval.pk for o in outcomes} == {CreditApproval.objects.get().pk}
    assert sum(not o.replayed for o in outcomes) == 1
    assert ActivityEvent.objects.filter(type="credit_request_submitted").count() == 1
