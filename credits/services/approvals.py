"""Four eyes on credit: deciding on the requests that wait for a second person.

`credit_request` (credits.services.requests) keeps an operation over its asker's limit as a
`CreditApproval`. `approval_approve` runs the operation then, once, through the same service,
as the requester and with the approver recorded beside; `approval_reject` turns it down with a
reason; `approvals_expire` ends what nobody decided on within APPROVAL_EXPIRY_DAYS. Each change
of state is an event on the account's timeline. Deciding locks the request's row, so two
approvers cannot both run it.
"""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account
from activity.models import ActivityEvent
from activity.services import activity_record
from core.actors import Actor, ActorLike, as_actor
from core.models import RoleGrant
from core.roles import MONEY_ROLE_NAMES, duty_refused
from credits.models import ApprovalState, CreditApproval, CreditEntry
from credits.operations import OPERATION
from credits.services.billing import ManualCharge
from credits.services.limits import OWN_REQUEST
from credits.services.requests import event_data, service_call
from credits.services.validation import MAX_NOTE_LENGTH, NOTE_TOO_LONG

APPROVE_PERMISSION = "credits.approve_credit"

NOT_AN_APPROVER = "You may not decide on credit requests."
ALREADY_APPROVED = (
    "This request was already approved: its operation ran once and will not run again."
)
ALREADY_REJECTED = "This request was rejected: it cannot be decided on again."
ALREADY_EXPIRED = "This request expired: nothing was done. Ask again if it is still needed."
NOW_EXPIRED = (
    "This request expired on {when}: nothing was done, and it is now marked expired. "
    "Ask again if it is still needed."
)
REQUESTER_GONE = (
    "The person who asked can no longer do this (their user was removed, deactivated or lost "
    "the permission): reject the request."
)
GRANTED_BY_REQUESTER = (
    "The person who asked gave you your money role (they asked for it or approved it): another "
    "approver decides."
)
TOO_NEW_A_ROLE = (
    "Your money role is newer than {hours} hours (given {since}): another approver decides."
)
REJECTION_REASON_REQUIRED = "Give a reason for the rejection: the requester will read it."
NOT_PENDING = {
    ApprovalState.APPROVED: ALREADY_APPROVED,
    ApprovalState.REJECTED: ALREADY_REJECTED,
    ApprovalState.EXPIRED: ALREADY_EXPIRED,
}


class NotASecondPerson(ValidationError):
    """A refusal because the decision would not be a second person's: recorded in staff
    activity (core.roles.duty_refused) once the decision's transaction has rolled back."""


@contextmanager
def _recording_refusals(actor: ActorLike, approval: CreditApproval | int) -> Iterator[None]:
    try:
        yield
    except NotASecondPerson as refused:
        pk = approval.pk if isinstance(approval, CreditApproval) else approval
        duty_refused.send(
            sender=CreditApproval,
            actor=as_actor(actor),
            reason=refused.messages[0],
            request=f"credit request {pk}",
        )
        raise


def _decidable(actor: ActorLike, approval: CreditApproval) -> None:
    """Refuse a decision that is not this person's to make, or not to be made any more."""
    user = as_actor(actor).user
    # Through a role only: a superuser holds every permission, but deciding on money stays with
    # the roles the matrix gives it to (config.roles.NOT_FOR_ADMINISTRATORS).
    if user is None or not user.is_active or not _approves_by_role(user):
        raise ValidationError(NOT_AN_APPROVER)
    if approval.actor_id is not None and approval.actor_id == user.pk:
        raise NotASecondPerson(OWN_REQUEST)
    if approval.state != ApprovalState.PENDING:
        raise ValidationError(NOT_PENDING[ApprovalState(approval.state)])
    _independent(user, approval.actor_id)


def _independent(approver: Any, requester_id: int | None) -> None:
    """The second pair of eyes must be someone else's: refuse an approver whose money role the
    requester asked for or approved (a puppet), or whose money role is younger than the
    cooling-off period (MONEY_ROLE_COOLING_OFF_HOURS). Roles held before grants were kept
    count as old."""
    grants = RoleGrant.objects.filter(
        user=approver, state=RoleGrant.State.APPROVED, role__in=MONEY_ROLE_NAMES
    )
    if (
        requester_id is not None
        and grants.filter(Q(requested_by_id=requester_id) | Q(decided_by_id=requester_id)).exists()
    ):
        raise NotASecondPerson(GRANTED_BY_REQUESTER)
    cooling_off = dt.timedelta(hours=settings.MONEY_ROLE_COOLING_OFF_HOURS)
    newest = grants.order_by("-decided_at").values_list("decided_at", flat=True).first()
    if newest is not None and newest > timezone.now() - cooling_off:
        raise NotASecondPerson(
            TOO_NEW_A_ROLE.format(
                hours=settings.MONEY_ROLE_COOLING_OFF_HOURS,
                since=timezone.localtime(newest).strftime("%Y-%m-%d %H:%M"),
            )
        )


def _approves_by_role(user: Any) -> bool:
    """Whether one of the user's roles holds the approve permission (a superuser's implicit
    permissions do not count: Django's get_group_permissions gives a superuser all of them)."""
    app_label, codename = APPROVE_PERMISSION.split(".")
    return user.groups.filter(
        permissions__content_type__app_label=app_label, permissions__codename=codename
    ).exists()


def _locked(approval: CreditApproval | int) -> CreditApproval:
    """The request, locked for a decision. Its account is locked first (FOR NO KEY UPDATE,
    which ledger writes do not wait for), as erasure locks the account before its requests:
    the same order everywhere, so that the two cannot deadlock."""
    pk = approval.pk if isinstance(approval, CreditApproval) else approval
    account_id = CreditApproval.objects.filter(pk=pk).values_list("account_id", flat=True).get()
    list(Account.objects.select_for_update(no_key=True).filter(pk=account_id).values("pk"))
    return (
        CreditApproval.objects.select_for_update(of=("self",))
        .select_related("account", "subscription__product")
        .get(pk=pk)
    )


def _decide(approval: CreditApproval, actor: ActorLike, state: str, **fields: Any) -> None:
    approval.state = state
    who = as_actor(actor)
    approval.decided_by = who.user
    approval.decided_by_name = who.name
    approval.decided_at = timezone.now()
    for name, value in fields.items():
        setattr(approval, name, value)
    approval.save()


def _expire(approval: CreditApproval) -> None:
    _decide(approval, None, ApprovalState.EXPIRED)
    activity_record(
        account=approval.account,
        type="credit_request_expired",
        subscription=approval.subscription,
        data=event_data(approval),
    )


def _requester(approval: CreditApproval) -> Actor:
    """The requester, who the operation runs as; refused when they can no longer act."""
    if approval.actor_id is None:
        # An integration, by its name; the request's key is stored in its scope already.
        return Actor.integration(approval.actor_name)
    user = get_user_model().objects.filter(pk=approval.actor_id, is_active=True).first()
    if user is None or not user.has_perm(OPERATION[approval.operation].permission):
        raise ValidationError(REQUESTER_GONE)
    return Actor.person(user)


def _made(result: Any) -> dict[str, Any]:
    """What an approved operation wrote, as its request keeps it: its entry (a charge: the
    first entry of the credit it consumed, if any) and its event, where it has them."""
    if isinstance(result, CreditEntry):
        return {"entry": result}
    if isinstance(result, ManualCharge):
        entries = result.application.entries if result.application else []
        return {"entry": entries[0] if entries else None, "event": result.event}
    if isinstance(result, ActivityEvent):
        return {"event": result}
    raise TypeError(f"An approved operation returned {type(result).__name__}.")


def _expired_now(approval: CreditApproval) -> ValidationError:
    when = timezone.localtime(approval.expires_at).strftime("%Y-%m-%d %H:%M")
    return ValidationError(NOW_EXPIRED.format(when=when))


def approval_approve(*, actor: ActorLike, approval: CreditApproval | int) -> CreditApproval:
    """Approve a waiting request: run its operation now, once, through its service, as the
    requester with `actor` recorded as approver; record Credit Request Approved.

    Refused (nothing changed) when `actor` may not approve or asked for it themselves, when
    it was decided on already, when the requester can no longer act, or when the operation
    itself is refused now (a revocation the wallet no longer covers). An overdue request is
    marked expired instead, and the approval refused. A refusal because `actor` is not a
    second person is recorded in staff activity.
    """
    with _recording_refusals(actor, approval), transaction.atomic():
        found = _locked(approval)
        _decidable(actor, found)
        if found.overdue:
            _expire(found)
            expired = True
        else:
            expired = False
            service, kwargs = service_call(found)
            result = service(
                actor=_requester(found),
                approved_by=as_actor(actor).user,
                **kwargs,
            )
            _decide(found, actor, ApprovalState.APPROVED, **_made(result))
            activity_record(
                account=found.account,
                type="credit_request_approved",
                actor=actor,
                subscription=found.subscription,
                data=event_data(found) | {"requested_by": found.actor_name},
            )
    if expired:
        raise _expired_now(found)
    return found


def approval_reject(
    *, actor: ActorLike, approval: CreditApproval | int, reason: str
) -> CreditApproval:
    """Turn a waiting request down with a reason; nothing else changes. Record Credit Request
    Rejected. Refused as `approval_approve` is; an overdue request is marked expired."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": REJECTION_REASON_REQUIRED})
    if len(reason) > MAX_NOTE_LENGTH:
        raise ValidationError({"reason": NOTE_TOO_LONG})
    with _recording_refusals(actor, approval), transaction.atomic():
        found = _locked(approval)
        _decidable(actor, found)
        if found.overdue:
            _expire(found)
            expired = True
        else:
            expired = False
            _decide(found, actor, ApprovalState.REJECTED, decision_note=reason)
            activity_record(
                account=found.account,
                type="credit_request_rejected",
                actor=actor,
                subscription=found.subscription,
                data=event_data(found) | {"requested_by": found.actor_name, "reason": reason},
            )
    if expired:
        raise _expired_now(found)
    return found


def approvals_expire(*, now: dt.datetime | None = None) -> int:
    """Mark every overdue waiting request expired (with its event); return how many. Requests
    that someone is deciding on at this moment are left to that decision."""
    now = now or timezone.now()
    expired = 0
    overdue = CreditApproval.objects.filter(
        state=ApprovalState.PENDING, expires_at__lte=now
    ).order_by("pk")
    for pk in overdue.values_list("pk", flat=True):
        with transaction.atomic():
            approval = _locked(pk)  # the account first, then the request (see _locked)
            if approval.state == ApprovalState.PENDING and approval.expires_at <= now:
                _expire(approval)
                expired += 1
    return expired


def close_waiting(account: Account) -> int:
    """End the account's waiting requests as expired (with their events): erasing the customer
    erases the reasons they would run with. Returns how many."""
    waiting = (
        CreditApproval.objects.select_for_update(of=("self",))
        .select_related("account", "subscription")
        .filter(account=account, state=ApprovalState.PENDING)
        .order_by("pk")
    )
    closed = 0
    for approval in waiting:
        _expire(approval)
        closed += 1
    return closed
