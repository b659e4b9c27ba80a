"""The one write path of the staff activity record."""

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core.actors import MAX_ACTOR_NAME, Actor, ActorLike, as_actor
from core.downloads import download_start
from staff.models import SPECS, StaffActivityExport, StaffEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Whoever acted without being signed in (a failed sign-in, a lockout): a person with no user.
NOT_SIGNED_IN = "Not signed in"
VISITOR = Actor.named(NOT_SIGNED_IN)
UNKNOWN_KIND = "Unknown kind of staff activity: {}."
UNKNOWN_DETAILS = "Unknown details for {}: {}."
MISSING_DETAILS = "Missing details for {}: {}."


@transaction.atomic
def staff_event_record(
    *,
    kind: str,
    actor: ActorLike,
    subject: "User | None" = None,
    subject_name: str = "",
    details: dict[str, Any] | None = None,
    address: str | None = None,
) -> StaffEvent:
    """Record that `actor` (a user, the system, or VISITOR: someone not signed in) did
    `kind` to `subject` (a user; or only `subject_name`, a username that may name nobody), from
    `address`. The details must hold exactly the keys the kind declares (models.SPECS)."""
    spec = SPECS.get(kind)
    if spec is None:
        raise ValidationError({"kind": UNKNOWN_KIND.format(kind)})
    details = dict(details or {})
    unknown = sorted(set(details) - spec.keys)
    if unknown:
        raise ValidationError({"details": UNKNOWN_DETAILS.format(kind, ", ".join(unknown))})
    missing = sorted(spec.keys - spec.optional - set(details))
    if missing:
        raise ValidationError({"details": MISSING_DETAILS.format(kind, ", ".join(missing))})
    name = subject.get_username() if subject is not None else subject_name
    return StaffEvent.objects.create(
        kind=kind,
        **as_actor(actor).as_fields(),
        subject=subject,
        subject_name=name[:MAX_ACTOR_NAME],
        details=details,
        address=address or None,
    )


def staff_activity_export_start(
    *, actor: ActorLike, filters: dict[str, Any]
) -> StaffActivityExport:
    """Record that `actor` started a staff activity download with these filters (as typed); the
    row count follows when the last row has gone out (core.downloads.recorded)."""
    return download_start(StaffActivityExport, actor=actor, filters=filters)
