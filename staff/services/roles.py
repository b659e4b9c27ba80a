"""Money roles take two administrators: one asks, another approves.

A role that moves or approves money, or administers users (core.roles.MONEY_ROLES), is given
only by `role_grant_approve` of a grant that another administrator asked for with
`role_grant_request`; nobody changes their own roles. Every request, decision and refusal is
recorded in staff activity. staff.signals refuses any other way of adding a money role during a
person's request (the admin's user form asks for the grant instead).
"""

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.actors import ActorLike, as_actor
from core.models import RoleGrant
from core.roles import MONEY_ROLES, Role
from staff.models import Kind
from staff.services.events import staff_event_record

if TYPE_CHECKING:
    from django.contrib.auth.models import User

OWN_ROLES = "Nobody changes their own roles: ask another administrator."
NOT_A_MONEY_ROLE = "{} is not a money role: give it on the user's page."
ALREADY_HELD = "{} already holds {}."
ALREADY_ASKED = "{} for {} is already waiting for approval."
OWN_GRANT = "You asked for this role yourself: another administrator approves it."
GRANT_FOR_YOU = "This role is for you: another administrator decides."
NOT_WAITING = "This grant was already decided."
NOT_AN_ADMINISTRATOR = "Only an administrator who may change users decides on roles."

# Set while an approved grant adds its group, so that staff.signals lets it through.
granting: ContextVar[bool] = ContextVar("staff_granting", default=False)


def refuse(
    actor: ActorLike, user: "User", reason: str, address: str | None = None
) -> ValidationError:
    """Record a refused role change in staff activity and return the error to raise."""
    staff_event_record(
        kind=Kind.ROLE_CHANGE_REFUSED,
        actor=actor,
        subject=user,
        details={"reason": reason},
        address=address,
    )
    return ValidationError(reason)


class _Refused(Exception):
    """A refusal to record once the transaction that found it has rolled back."""

    def __init__(self, user: "User", reason: str) -> None:
        super().__init__(reason)
        self.user, self.reason = user, reason


def _recording_refusals(actor: ActorLike, address: str | None, work: Any) -> Any:
    """Run `work` in its own transaction; a refusal it finds is recorded after the rollback
    (so that it stays) and raised as a ValidationError."""
    try:
        with transaction.atomic():
            return work()
    except _Refused as refused:
        raise refuse(actor, refused.user, refused.reason, address) from None


def _money_role(role: str) -> Role:
    try:
        found = Role(role)
    except ValueError:
        raise ValidationError(NOT_A_MONEY_ROLE.format(role)) from None
    if found not in MONEY_ROLES:
        raise ValidationError(NOT_A_MONEY_ROLE.format(role))
    return found


def role_grant_request(
    *, actor: ActorLike, user: "User", role: str, address: str | None = None
) -> RoleGrant:
    """Ask for `role` (a money role) for `user`; it waits for another administrator. `address`:
    where the request came from, for staff activity."""
    return _recording_refusals(actor, address, lambda: _request(actor, user, role, address))


def _request(actor: ActorLike, user: "User", role: str, address: str | None) -> RoleGrant:
    who = as_actor(actor)
    found = _money_role(role)
    if who.user_id is not None and who.user_id == user.pk:
        raise _Refused(user, OWN_ROLES)
    if user.groups.filter(name=found.value).exists():
        raise ValidationError(ALREADY_HELD.format(user.get_username(), found.value))
    try:
        with transaction.atomic():
            grant = RoleGrant.objects.create(
                user=user, role=found.value, requested_by=who.user, requested_by_name=who.name
            )
    except IntegrityError:
        raise ValidationError(ALREADY_ASKED.format(found.value, user.get_username())) from None
    staff_event_record(
        kind=Kind.ROLE_GRANT_REQUESTED,
        actor=actor,
        subject=user,
        details={"role": found.value},
        address=address,
    )
    return grant


def _decidable(actor: ActorLike, grant: RoleGrant) -> None:
    who = as_actor(actor)
    user = who.user
    if user is None or not user.is_active or not user.has_perm("auth.change_user"):
        raise _Refused(grant.user, NOT_AN_ADMINISTRATOR)
    if grant.state != RoleGrant.State.PENDING:
        raise ValidationError(NOT_WAITING)
    if grant.requested_by_id == user.pk:
        raise _Refused(grant.user, OWN_GRANT)
    if grant.user_id == user.pk:
        raise _Refused(grant.user, GRANT_FOR_YOU)


def _locked(grant: RoleGrant) -> RoleGrant:
    return RoleGrant.objects.select_for_update().select_related("user").get(pk=grant.pk)


def role_grant_approve(
    *, actor: ActorLike, grant: RoleGrant, address: str | None = None
) -> RoleGrant:
    """Give the role: a second administrator agrees."""
    return _recording_refusals(
        actor, address, lambda: _decide(actor, grant, address, RoleGrant.State.APPROVED)
    )


def role_grant_refuse(
    *, actor: ActorLike, grant: RoleGrant, address: str | None = None
) -> RoleGrant:
    """Do not give the role."""
    return _recording_refusals(
        actor, address, lambda: _decide(actor, grant, address, RoleGrant.State.REFUSED)
    )


def _decide(actor: ActorLike, grant: RoleGrant, address: str | None, state: str) -> RoleGrant:
    grant = _locked(grant)
    _decidable(actor, grant)
    who = as_actor(actor)
    grant.state = state
    grant.decided_by, grant.decided_by_name = who.user, who.name
    grant.decided_at = timezone.now()
    grant.save()
    approved = state == RoleGrant.State.APPROVED
    if approved:
        token = granting.set(True)
        try:
            grant.user.groups.add(Group.objects.get(name=grant.role))
        finally:
            granting.reset(token)
    staff_event_record(
        kind=Kind.ROLE_GRANT_APPROVED if approved else Kind.ROLE_GRANT_REFUSED,
        actor=actor,
        subject=grant.user,
        details={"role": grant.role, "requested_by": grant.requested_by_name},
        address=address,
    )
    return grant
