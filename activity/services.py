"""The one write path of the timeline. Every service that changes an account calls
`activity_record` inside its own transaction, so the change and its event commit together."""

import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from activity.models import ActivityEvent
from activity.registry import validate_attributes

SYSTEM_ACTOR = "System"
MAX_ACTOR_NAME = 150


def actor_display_name(user) -> str:
    return (user.get_full_name() or user.get_username())[:MAX_ACTOR_NAME]


def build_event(
    *,
    account,
    type: str,
    actor=None,
    actor_label: str = SYSTEM_ACTOR,
    actor_kind: str | None = None,
    occurred_at=None,
    subscription=None,
    data: dict | None = None,
    origin: str | None = None,
    id: uuid.UUID | None = None,
    message: str = "",
) -> ActivityEvent:
    """Validate and build (not save) an event; `activity_record` and bulk ingestion share it.

    With a user as `actor` the event is an agent's; otherwise `actor_label` (System, or an
    integration's name) is shown as the actor, as a system actor unless `actor_kind` says
    "agent" (a migrated entry written by a person who has no user here).
    Raises ValidationError naming each bad field.
    """
    if origin is None:
        origin = ActivityEvent.Origin.AGENT if actor else ActivityEvent.Origin.SYSTEM
    elif origin not in ActivityEvent.Origin.values:
        raise ValidationError({"origin": f"Unknown origin “{origin}”."})
    cleaned = validate_attributes(type, data, allow_missing=origin == ActivityEvent.Origin.LEGACY)
    occurred_at = occurred_at or timezone.now()
    if timezone.is_naive(occurred_at):
        raise ValidationError({"occurred_at": "The time must include its UTC offset."})
    if subscription is not None and subscription.account_id != account.pk:
        raise ValidationError({"subscription": "The subscription belongs to another account."})
    if actor_kind not in (None, *ActivityEvent.ActorKind.values):
        raise ValidationError({"actor_kind": f"Unknown actor kind “{actor_kind}”."})
    if actor is not None:
        kind, name = ActivityEvent.ActorKind.AGENT, actor_display_name(actor)
    else:
        label = (actor_label or SYSTEM_ACTOR).strip()
        if len(label) > MAX_ACTOR_NAME:
            raise ValidationError({"actor": f"At most {MAX_ACTOR_NAME} characters."})
        kind, name = actor_kind or ActivityEvent.ActorKind.SYSTEM, label
    return ActivityEvent(
        id=id or uuid.uuid4(),
        account=account,
        type=type,
        occurred_at=occurred_at,
        recorded_at=timezone.now(),
        actor=actor,
        actor_kind=kind,
        actor_name=name,
        subscription=subscription,
        data=cleaned,
        origin=origin,
        message=message,
    )


@transaction.atomic
def activity_record(**kwargs) -> ActivityEvent:
    """Validate and store one event; see `build_event` for the arguments."""
    event = build_event(**kwargs)
    event.save(force_insert=True)
    return event


@transaction.atomic
def activity_record_bulk(*, events: list[dict], batch_size: int = 1000) -> list[ActivityEvent]:
    """Validate every event first, then insert them all in batches; all or nothing.

    Each item takes the arguments of `build_event`. Raises ValidationError for the first bad
    item, naming its position (`0.attributes.from`), before anything is written.
    """
    built = []
    for position, kwargs in enumerate(events):
        try:
            built.append(build_event(**kwargs))
        except ValidationError as exc:
            raise ValidationError(
                {f"{position}.{field}": msgs for field, msgs in exc.message_dict.items()}
            ) from exc
    ActivityEvent.objects.bulk_create(built, batch_size=batch_size)
    return built


@transaction.atomic
def comment_add(*, actor, account, text: str) -> ActivityEvent:
    """An agent's note on the account, recorded as `Comment Added`."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"comment": "Write a comment before saving it."})
    return activity_record(
        account=account, type="comment_added", actor=actor, data={"comment": text}
    )
