"""Grants by Customer Service, of SEK and of tokens: within the single and the daily limits
a grant runs at once, over them it waits for another person's approval."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from activity.models import ActivityEvent
from config import roles
from credits import services
from credits.models import (
    ApprovalOperation,
    ApprovalState,
    CreditApproval,
    CreditEntry,
    CreditWallet,
)
from tests.credits.conftest import SEK, TOKENS
from tests.credits.limits_helpers import ask, use_limits

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def limits(settings):
    use_limits(settings)


# --- Grants by Customer Service -------------------------------------------------------------


def test_a_grant_within_the_limit_runs_at_once(account, agent):
    submitted = ask(agent, account, "500")

    assert not submitted.waiting
    entry = CreditEntry.objects.get()
    assert submitted.result == entry
    assert (entry.amount, entry.actor, entry.approved_by, entry.approved_by_name) == (
        Decimal("500"),
        agent,
        None,
        "",
    )
    assert ActivityEvent.objects.filter(type="manual_credit_added").count() == 1
    assert not CreditApproval.objects.exists()


def test_a_grant_over_the_single_grant_limit_waits_for_approval(account, agent):
    submitted = ask(agent, account, "500.01", note="Missed delivery")

    assert submitted.waiting and submitted.result is None
    approval = CreditApproval.objects.get()
    assert submitted.approval == approval
    assert (approval.state, approval.operation, approval.amount, approval.currency) == (
        ApprovalState.PENDING,
        ApprovalOperation.GRANT,
        Decimal("500.01"),
        "SEK",
    )
    assert (approval.actor, approval.actor_name, approval.reason) == (
        agent,
        "Sara Lind",
        "Missed delivery",
    )
    assert not CreditEntry.objects.exists() and not CreditWallet.objects.exists()
    assert not ActivityEvent.objects.filter(type="manual_credit_added").exists()


def test_a_waiting_grant_records_credit_request_submitted_with_its_attributes(account, agent):
    approval = ask(agent, account, "600", note="Missed delivery").approval

    event = ActivityEvent.objects.get(type="credit_request_submitted")
    assert (event.account, event.actor) == (account, agent)
    assert event.data == {
        "request_id": str(approval.pk),
        "operation": "Grant",
        "amount": {"amount": "600.00", "currency": "SEK"},
        "reason": "Missed delivery",
        "limit": "over the limit of 500.00 SEK per grant",
    }


def test_the_request_expires_after_the_configured_days(account, agent, settings):
    settings.APPROVAL_EXPIRY_DAYS = 3
    approval = ask(agent, account, "600").approval

    assert approval.expires_at - approval.requested_at == dt.timedelta(days=3)


def test_grants_over_the_daily_limit_wait_for_approval(account, agent):
    for _ in range(4):
        assert not ask(agent, account, "500").waiting

    submitted = ask(agent, account, "0.01")

    assert submitted.waiting
    assert submitted.approval.limit_reason == (
        "over the daily limit of 2000.00 SEK (2000.00 SEK granted today)"
    )
    assert CreditWallet.objects.get().balance == Decimal("2000")


def test_the_daily_limit_counts_grants_on_every_account(account, agent):
    from tests.factories import AccountFactory

    other = AccountFactory()
    ask(agent, account, "500")
    ask(agent, account, "500")
    ask(agent, other, "500")
    ask(agent, other, "500")

    assert ask(agent, other, "1").waiting


def test_the_daily_limit_counts_each_persons_own_grants(account, agent, make_user):
    colleague = make_user(roles.CUSTOMER_SERVICE)
    for _ in range(4):
        ask(colleague, account, "500")

    assert not ask(agent, account, "500").waiting


def test_grants_made_on_earlier_days_do_not_count_toward_the_daily_limit(account, agent):
    with time_machine.travel(timezone.now() - dt.timedelta(days=1)):
        for _ in range(4):
            ask(agent, account, "500")

    assert not ask(agent, account, "500").waiting


def test_backdated_grants_count_on_the_day_they_are_made(account, agent):
    yesterday = timezone.now() - dt.timedelta(days=1)
    for _ in range(4):
        services.credit_grant(
            actor=agent, account=account, amount="500", note="Goodwill", created_at=yesterday, **SEK
        )

    assert ask(agent, account, "500").waiting


def test_grants_approved_by_someone_else_do_not_count_toward_the_daily_limit(
    account, agent, finance
):
    approval = ask(agent, account, "500.01").approval
    services.approval_approve(actor=finance, approval=approval)
    assert CreditEntry.objects.get().actor == agent

    for _ in range(4):
        assert not ask(agent, account, "500").waiting
    assert ask(agent, account, "1").waiting


def test_the_daily_limit_of_one_unit_leaves_the_others_alone(account, agent):
    for _ in range(4):
        ask(agent, account, "500")

    assert not ask(agent, account, 100, **TOKENS).waiting


# --- Tokens ---------------------------------------------------------------------------------


def test_a_token_grant_within_the_limit_runs_at_once(account, agent):
    assert not ask(agent, account, 100, **TOKENS).waiting
    assert CreditEntry.objects.get().amount == 100


def test_a_token_grant_over_the_single_grant_limit_waits(account, agent):
    submitted = ask(agent, account, 101, **TOKENS)

    assert submitted.waiting
    assert submitted.approval.limit_reason == "over the limit of 100 tokens per grant"
    assert ActivityEvent.objects.get(type="credit_request_submitted").data["tokens"] == 101
    assert not CreditEntry.objects.exists()


def test_token_grants_over_the_daily_limit_wait(account, agent):
    for _ in range(4):
        assert not ask(agent, account, 100, **TOKENS).waiting

    submitted = ask(agent, account, 1, **TOKENS)

    assert submitted.waiting
    assert submitted.approval.limit_reason == (
        "over the daily limit of 400 tokens (400 tokens granted today)"
    )
