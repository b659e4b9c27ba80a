"""A user's own settings and saved views: the time zone they read times in, the columns they
hide, and the filters they saved under a name. Each write records who made it: the rows keep
their actor, and a change of time zone or of a saved view is in the staff activity."""

import zoneinfo
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.actors import Actor, ActorLike, as_actor
from core.roles import Role, user_roles
from staff.models import Kind, Preferences, SavedView
from staff.services.events import staff_event_record

if TYPE_CHECKING:
    from django.contrib.auth.models import User

UNKNOWN_TIME_ZONE = "Unknown time zone: “{}”. Choose one from the list."
UNKNOWN_COLUMN = "Unknown column: {}."
NO_COLUMN_LEFT = "Keep at least one column shown."
NAME_NEEDED = "Give the view a name."
NAME_TOO_LONG = "A view's name is at most 80 characters."
NAME_TAKEN = "You already have a view named “{}” on this page: choose another name."
QUERY_TOO_LONG = "These filters are too long to save (at most 2,000 characters)."
NOT_YOUR_ROLE = "You can share a view only with a role you hold."
NOT_YOUR_VIEW = "Only the person who saved a view can delete it."
MAX_QUERY = 2000


def time_zone_names() -> list[str]:
    """Every zone a user may choose (the IANA names the machine knows), sorted."""
    return sorted(zoneinfo.available_timezones() - {"localtime"})


@dataclass(frozen=True)
class Settings:
    """What a session keeps of a user's preferences (plain values, for the session's JSON)."""

    time_zone: str = ""
    hidden_columns: dict[str, list[str]] = field(default_factory=dict)

    @property
    def zone_name(self) -> str:
        return self.time_zone or settings.TIME_ZONE

    def as_session(self) -> dict[str, Any]:
        return {"time_zone": self.time_zone, "hidden_columns": self.hidden_columns}

    @classmethod
    def from_session(cls, value: Any) -> "Settings | None":
        if not isinstance(value, dict):
            return None
        zone = value.get("time_zone")
        hidden = value.get("hidden_columns")
        if not isinstance(zone, str) or not isinstance(hidden, dict):
            return None
        return cls(time_zone=zone, hidden_columns=hidden)


def preferences_of(user: "User") -> Settings:
    """The user's settings (the defaults when they have changed none): one query."""
    row = Preferences.objects.filter(user=user).values("time_zone", "hidden_columns").first()
    if row is None:
        return Settings()
    return Settings(time_zone=row["time_zone"], hidden_columns=row["hidden_columns"] or {})


def _row(user: "User", actor: Actor) -> Preferences:
    row, _ = Preferences.objects.select_for_update().get_or_create(
        user=user, defaults=actor.as_fields()
    )
    return row


@transaction.atomic
def time_zone_choose(
    *, actor: ActorLike, user: "User", time_zone: str, address: str | None = None
) -> Settings:
    """Set the zone `user` reads times in (an IANA name; "" for the site's). Recorded in the
    staff activity when it changes (with the address it was changed from)."""
    acting = as_actor(actor)
    time_zone = time_zone.strip()
    if time_zone and time_zone not in time_zone_names():
        raise ValidationError({"time_zone": UNKNOWN_TIME_ZONE.format(time_zone[:64])})
    row = _row(user, acting)
    before = row.time_zone or settings.TIME_ZONE
    after = time_zone or settings.TIME_ZONE
    row.time_zone = time_zone
    row.actor, row.actor_name = acting.user, acting.name
    row.updated_at = timezone.now()
    row.save()
    if before != after:
        staff_event_record(
            kind=Kind.TIME_ZONE_CHANGED,
            actor=acting,
            subject=user,
            details={"from": before, "to": after},
            address=address,
        )
    return Settings(time_zone=row.time_zone, hidden_columns=row.hidden_columns or {})


@transaction.atomic
def columns_choose(
    *, actor: ActorLike, user: "User", page: str, columns: list[tuple[str, str]], shown: list[str]
) -> Settings:
    """Keep the columns of `page` (its (name, label) pairs) that `user` hides: every one not
    in `shown`. At least one stays shown."""
    acting = as_actor(actor)
    names = [name for name, _ in columns]
    unknown = sorted(set(shown) - set(names))
    if unknown:
        raise ValidationError({"columns": UNKNOWN_COLUMN.format(", ".join(unknown)[:200])})
    if not shown:
        raise ValidationError({"columns": NO_COLUMN_LEFT})
    row = _row(user, acting)
    hidden = dict(row.hidden_columns or {})
    hidden[page] = [name for name in names if name not in shown]
    row.hidden_columns = hidden
    row.actor, row.actor_name = acting.user, acting.name
    row.updated_at = timezone.now()
    row.save()
    return Settings(time_zone=row.time_zone, hidden_columns=hidden)


def _role_label(group: Group | None) -> str:
    return group.name if group is not None else ""


@transaction.atomic
def saved_view_save(
    *,
    actor: ActorLike,
    page: str,
    page_label: str,
    name: str,
    query: str,
    shared_with: str = "",
    address: str | None = None,
) -> SavedView:
    """Save the filters `query` of `page` under `name` for the acting user, or shared with the
    role named `shared_with` (one the user holds). A second view of the same name on the page
    is refused."""
    acting = as_actor(actor)
    user = acting.user
    if user is None:
        raise ValidationError({"actor": "Only a signed-in person saves views."})
    name = name.strip()
    if not name:
        raise ValidationError({"name": NAME_NEEDED})
    if len(name) > SavedView._meta.get_field("name").max_length:  # type: ignore[operator]
        raise ValidationError({"name": NAME_TOO_LONG})
    if len(query) > MAX_QUERY:
        raise ValidationError({"query": QUERY_TOO_LONG})
    role = None
    if shared_with:
        held = _held(user) | ({r.value for r in Role} if user.is_superuser else set())
        role = Group.objects.filter(name=shared_with).first() if shared_with in held else None
        if role is None:
            raise ValidationError({"shared_with": NOT_YOUR_ROLE})
    if SavedView.objects.filter(actor=user, page=page, name=name).exists():
        raise ValidationError({"name": NAME_TAKEN.format(name)})
    try:
        with transaction.atomic():
            view = SavedView.objects.create(
                page=page, name=name, query=query, shared_with=role, **acting.as_fields()
            )
    except IntegrityError as exc:  # saved twice at once
        raise ValidationError({"name": NAME_TAKEN.format(name)}) from exc
    staff_event_record(
        kind=Kind.SAVED_VIEW_SAVED,
        actor=acting,
        subject=user,
        details={"name": name, "page": page_label, "shared_with": _role_label(role)},
        address=address,
    )
    return view


def _held(user: Any) -> set[str]:
    return {role.value for role in user_roles(user)}


@transaction.atomic
def saved_view_delete(
    *, actor: ActorLike, view: SavedView, page_label: str, address: str | None = None
) -> None:
    """Delete a saved view: only its owner may."""
    acting = as_actor(actor)
    if acting.user is None or view.actor_id != acting.user.pk:
        raise ValidationError({"view": NOT_YOUR_VIEW})
    name = view.name
    view.delete()
    staff_event_record(
        kind=Kind.SAVED_VIEW_DELETED,
        actor=acting,
        subject=acting.user,
        details={"name": name, "page": page_label},
        address=address,
    )
