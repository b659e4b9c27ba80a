"""Administrators' actions on users' access (from the admin's user list and the commands).

Changes of a user's roles, flags and password are recorded wherever they are made — the admin's
forms, `createsuperuser`, `changepassword`, these services — by staff.signals, which watches
Django's own User model (whose forms and commands are Django's, not ours)."""

from typing import TYPE_CHECKING

from axes.utils import reset
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from core.actors import ActorLike, as_actor
from staff.models import Kind
from staff.services.events import staff_event_record

if TYPE_CHECKING:
    from django.contrib.auth.models import User


NOT_YOURSELF = "You cannot deactivate your own user."


@transaction.atomic
def user_deactivate(*, actor: ActorLike, user: "User") -> bool:
    """Deactivate `user`: they cannot sign in, and their open sessions end at their next
    request. Returns whether anything changed. Refuses to deactivate the acting user."""
    if as_actor(actor).user_id == user.pk:
        raise ValidationError({"user": NOT_YOURSELF})
    if not user.is_active:
        return False
    user.is_active = False
    user.save(update_fields=["is_active"])
    return True


@transaction.atomic
def sign_in_unlock(
    *,
    actor: ActorLike,
    username: str | None = None,
    ip: str | None = None,
    address: str | None = None,
) -> int:
    """Clear the failed sign-ins (django-axes' attempts) of `username` and/or of the address
    `ip` — of everyone when neither is given — which lifts their lockout. Returns how many
    attempt records were removed."""
    count = reset(ip=ip, username=username)
    subject = get_user_model().objects.filter(username=username).first() if username else None
    staff_event_record(
        kind=Kind.UNLOCKED,
        actor=actor,
        subject=subject,
        subject_name=username or "",
        details={"username": username or "", "ip": ip or "", "attempts": count},
        address=address,
    )
    return count
