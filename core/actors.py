"""Who did it: one value for the author of every write, and the abstract model of every record
that keeps its author (timeline events, ledger entries, CSV downloads, legacy imports).

An `Actor` is a person (a signed-in user, or — for history migrated from the old product — a
person known only by a name), an integration of the API (with the scope its idempotency keys
live in), or the system. It carries the name a record keeps beside it: a snapshot, so that the
record still says who acted after the user is renamed or deleted.

Services take `actor=`: an Actor, or for short a user (that person) or None (the system), which
`as_actor` turns into one. Nothing else names the actor: there is no second, label argument.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Union, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser, User

SYSTEM_ACTOR = "System"
MAX_ACTOR_NAME = 150
ACTOR_TOO_LONG = f"An actor's name is at most {MAX_ACTOR_NAME} characters."
NOT_SIGNED_IN = "Only a signed-in user can act."


class ActorKind(StrEnum):
    PERSON = "person"
    INTEGRATION = "integration"
    SYSTEM = "system"


def _label(name: str) -> str:
    """A name as given (trimmed); refused when longer than a record keeps, never cut."""
    name = (name or "").strip()
    if len(name) > MAX_ACTOR_NAME:
        raise ValidationError({"actor": ACTOR_TOO_LONG})
    return name


@dataclass(frozen=True)
class Actor:
    """Who did it: what kind of actor, the name records keep, the user (a person who signed
    in), and for an integration the scope of its idempotency keys."""

    kind: ActorKind
    name: str
    user: "User | None" = None
    key_scope: str = ""

    @classmethod
    def person(cls, user: "AbstractBaseUser | AnonymousUser") -> "Actor":
        """A signed-in user, named by full name, or by username when the full name is empty
        or longer than a name may be (a username always fits). An anonymous user never acts:
        every write has someone, or the system, behind it."""
        if not user.is_authenticated:
            raise ValidationError({"actor": NOT_SIGNED_IN})
        person = cast("User", user)
        full = person.get_full_name().strip()
        name = full if full and len(full) <= MAX_ACTOR_NAME else person.get_username()
        return cls(ActorKind.PERSON, name, user=person)

    @classmethod
    def named(cls, name: str) -> "Actor":
        """A person known by name only (who wrote old history, and has no user here)."""
        return cls(ActorKind.PERSON, _label(name) or SYSTEM_ACTOR)

    @classmethod
    def integration(cls, name: str, key_scope: str = "") -> "Actor":
        """An integration of the API: its name, and the scope its keys are kept in (a key of
        one integration never meets another's)."""
        return cls(ActorKind.INTEGRATION, _label(name) or SYSTEM_ACTOR, key_scope=key_scope)

    @classmethod
    def system(cls, label: str = SYSTEM_ACTOR) -> "Actor":
        """The back-office itself, or a job of it named by `label` (a command, the demo)."""
        return cls(ActorKind.SYSTEM, _label(label) or SYSTEM_ACTOR)

    @property
    def is_person(self) -> bool:
        return self.kind == ActorKind.PERSON

    @property
    def user_id(self) -> int | None:
        return self.user.pk if self.user is not None else None

    def scoped_key(self, key: str) -> str:
        """An idempotency key in this actor's scope (an integration's), as it is stored."""
        return f"{self.key_scope}:{key}" if self.key_scope else key

    def as_fields(self) -> dict[str, Any]:
        """The author's fields of an `Attributed` record."""
        return {"actor": self.user, "actor_name": self.name}


# What a service's `actor=` takes: an Actor, a user (that person), or None (the system).
ActorLike = Union[Actor, "AbstractBaseUser", "AnonymousUser", None]  # noqa: UP007


def as_actor(actor: ActorLike) -> Actor:
    """The Actor of a service's `actor=` argument: as given, the person of a user, or the
    system for None. Refuses an anonymous user (ValidationError on `actor`)."""
    if isinstance(actor, Actor):
        return actor
    if actor is None:
        return SYSTEM
    return Actor.person(actor)


SYSTEM = Actor.system()


class Attributed(models.Model):
    """The acting user and the name shown for them (or the name of a system actor)."""

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
