"""The second pair of eyes on money is someone else's: not a user whose money role the requester
asked for or approved (a puppet), and not a user whose money role is younger than the
cooling-off period. Replays the attack of 2026-12-05 (an administrator's 20,000 SEK grant over
their limit, approved by a Finance user they had just made)."""

import datetime as dt

import pgtrigger
import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from config import roles
from core.models import RoleGrant
from credits import services
from credits.models import CreditEntry
from credits.services.approvals import GRANTED_BY_REQUESTER, TOO_NEW_A_ROLE
from staff import services as staff
from staff.models import Kind, StaffEvent
from tests.credits.approvals_helpers import ask, refused

pytestmark = pytest.mark.django_db


@pytest.fixture
def mallory(make_user):
    """An administrator who wants money."""
    return make_user(roles.SYSTEM_ADMINISTRATOR, username="mallory", is_staff=True)


@pytest.fixture
def colleague(make_user):
    """A second administrator, who approves the role Mallory asks for."""
    return make_user(roles.SYSTEM_ADMINISTRATOR, username="colleague", is_staff=True)


def make_finance(user, *, asked_by, approved_by, days_ago=0):
    grant = staff.role_grant_request(actor=asked_by, user=user, role=roles.FINANCE)
    staff.role_grant_approve(actor=approved_by, grant=grant)
    if days_ago:
        age(user, dt.timedelta(days=days_ago))
    return user


def age(user, by):
    """Date the user's grants back (past the trigger that keeps a decided grant as it was)."""
    with pgtrigger.ignore("core.RoleGrant:written_once"):
        RoleGrant.objects.filter(user=user).update(decided_at=timezone.now() - by)


def waiting(actor, account, amount="600"):
    submitted = ask(actor, account, amount=amount)
    assert submitted.waiting
    return submitted.approval


def test_a_puppet_made_at_the_requesters_request_cannot_approve(
    account, make_user, mallory, colleague
):
    puppet = make_finance(
        make_user(None, username="puppet"), asked_by=mallory, approved_by=colleague, days_ago=30
    )
    request = waiting(mallory, account, amount="20000")

    assert refused(services.approval_approve, request, actor=puppet) == [GRANTED_BY_REQUESTER]
    assert refused(services.approval_reject, request, actor=puppet, reason="no") == [
        GRANTED_BY_REQUESTER
    ]
    assert not CreditEntry.objects.exists()
    # Both refusals stay in staff activity, though the decisions rolled back.
    recorded = StaffEvent.objects.filter(kind=Kind.DECISION_REFUSED).order_by("pk")
    assert [(e.actor_id, e.subject_id) for e in recorded] == [(puppet.pk, puppet.pk)] * 2
    assert recorded[0].details == {
        "request": f"credit request {request.pk}",
        "reason": GRANTED_BY_REQUESTER,
    }
    assert GRANTED_BY_REQUESTER in recorded[0].description


def test_a_user_whose_money_role_the_requester_approved_cannot_approve(
    account, make_user, mallory, colleague
):
    puppet = make_finance(
        make_user(None, username="puppet"), asked_by=colleague, approved_by=mallory, days_ago=30
    )
    request = waiting(mallory, account, amount="20000")

    assert refused(services.approval_approve, request, actor=puppet) == [GRANTED_BY_REQUESTER]


def test_a_money_role_younger_than_the_cooling_off_cannot_approve(
    account, make_user, agent, mallory, colleague, settings
):
    settings.MONEY_ROLE_COOLING_OFF_HOURS = 72
    newcomer = make_finance(
        make_user(None, username="new"), asked_by=mallory, approved_by=colleague
    )
    request = waiting(agent, account)

    [message] = refused(services.approval_approve, request, actor=newcomer)
    assert message.startswith(TOO_NEW_A_ROLE.split("{")[0])
    assert "72 hours" in message
    [recorded] = StaffEvent.objects.filter(kind=Kind.DECISION_REFUSED)
    assert recorded.details["reason"] == message

    age(newcomer, dt.timedelta(hours=73))
    services.approval_approve(actor=newcomer, approval=request)
    assert CreditEntry.objects.count() == 1


def test_an_administrator_cannot_give_themselves_finance_to_approve(mallory):
    with pytest.raises(Exception, match="Nobody changes their own roles"):
        staff.role_grant_request(actor=mallory, user=mallory, role=roles.FINANCE)
    assert not mallory.groups.filter(name=roles.FINANCE).exists()
    assert Group.objects.get(name=roles.FINANCE).user_set.count() == 0
