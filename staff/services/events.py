"""The one write path of the staff activity record."""

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core.actors import MAX_ACTOR_NAME, SYSTEM_ACTOR, acting_user, actor_name
from core.downloads import download_start
from staff.models import SPECS, StaffActivityExport, StaffEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from core.actors import Actor

# The label of whoever acted without being signed in (a failed sign-in, a lockout).
NOT_SIGNED_IN = "Not signed in"
UNKNOWN_KIND = "Unknown kind of staff activity: {}."
UNKNOWN_DETAILS = "Unknown details for {}: {}."
MISSING_DETAILS = "Missing details for {}: {}."


@transaction.atomic
def staff_event_record(
    *,
    kind: str,
    actor: "Actor",
    subject: "User | None" = None,
    subject_name: str = "",
    details: dict[str, Any] | None = None,
    address: str | None = None,
    actor_label: str = SYSTEM_ACTOR,
) -> StaffEvent:
    """Record that `actor` (a user, or None for `actor_label`: System, or NOT_SIGNED_IN) did
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
        actor=acting_user(actor),
        actor_name=actor_name(actor, actor_label),
        subject=subject,
        subject_name=name[:MAX_ACTOR_NAME],
        details=details,
        address=address or None,
    )


def staff_activity_export_start(*, actor: "Actor", filters: dict[str, Any]) -> StaffActivityExport:
    """Record that `actor` started a staff activity download with these filters (as typed); the
    row count follows when the last row has gone out (core.downloads.recorded)."""
    return download_start(StaffActivityExport, actor=actor, filters=filters)
