"""Who did it: the one abstract model and the one naming rule for every record that keeps its
author (timeline events, ledger entries, CSV downloads, legacy imports).

A record keeps the acting user (when a person acted) and, beside it, the name to show: a
snapshot, so that the record still says who acted after the user is renamed or deleted. When no
person acted, the name is a label: `System`, or the integration's name.
"""

from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser, User

    # Who acts, as the services take it: a signed-in user (a view's `request.user`), or None for
    # the system (System, or an integration named by a label).
    Actor = AbstractBaseUser | AnonymousUser | None

SYSTEM_ACTOR = "System"
MAX_ACTOR_NAME = 150
ACTOR_TOO_LONG = f"An actor's name is at most {MAX_ACTOR_NAME} characters."
NOT_SIGNED_IN = "Only a signed-in user can act."


class Attributed(models.Model):
    """The acting user and the name shown for them (or the label of a system actor)."""

    # No database constraint: a user may be deleted while the record keeps the name below.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_name = models.CharField(max_length=MAX_ACTOR_NAME)

    class Meta:
        abstract = True


def acting_user(actor: "Actor") -> "User | None":
    """The user a record keeps as its actor (None for a system actor). An anonymous user never
    acts: every write has someone, or the system, behind it."""
    if actor is None:
        return None
    if not actor.is_authenticated:
        raise ValidationError({"actor": NOT_SIGNED_IN})
    return cast("User", actor)


def actor_name(actor: "Actor" = None, label: str = SYSTEM_ACTOR) -> str:
    """The name to keep for `actor` (a user), or for a system actor called `label`.

    The one rule: a user is shown by full name, or by username when the full name is empty or
    longer than a name may be (a username always fits); a label is kept as given, and a label
    longer than MAX_ACTOR_NAME is refused (ValidationError on `actor`), never cut.
    """
    user = acting_user(actor)
    if user is not None:
        full = user.get_full_name().strip()
        if full and len(full) <= MAX_ACTOR_NAME:
            return full
        return user.get_username()
    label = (label or "").strip() or SYSTEM_ACTOR
    if len(label) > MAX_ACTOR_NAME:
        raise ValidationError({"actor": ACTOR_TOO_LONG})
    return label
