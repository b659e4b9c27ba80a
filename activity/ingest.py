"""Events that integrations send: a batch validated as a whole, stored all or nothing, and
idempotent by the events' IDs.

The caller (the API, or a command reading a file) turns each posted item into an `EventIn` with
its own `parse`, which refuses a malformed item with a ValidationError naming its fields. The
accounts and subscriptions are named by the keys integrations know: customer number and order ID.
"""

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError

from activity.models import ActivityEvent
from activity.services import activity_store_built, build_event
from core import errors
from core.actors import Actor
from core.errors import Conflict, FieldErrors, field_errors, item_errors

MAX_BATCH = 1000


@dataclass(frozen=True)
class EventIn:
    """One event as an integration sends it, parsed but not yet checked against the registry
    or the stored accounts."""

    account: str
    type: str
    occurred_at: dt.datetime
    id: uuid.UUID | None = None
    subscription: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IngestResult:
    """The events of the request in its order, stored now or before, and how many are new."""

    events: list[ActivityEvent]
    created: int
    single: bool

    @property
    def replayed(self) -> bool:
        """Every event was stored before (same ID and content): nothing was written."""
        return self.created == 0


def _items(payload: object) -> tuple[list[object], bool]:
    single = isinstance(payload, Mapping)
    items = [payload] if single else payload
    if not isinstance(items, list):
        raise ValidationError(errors.BODY_SHAPE)
    if not items:
        raise ValidationError(errors.EMPTY_BATCH)
    if len(items) > MAX_BATCH:
        raise ValidationError(errors.BATCH_TOO_LARGE.format(max=MAX_BATCH, count=len(items)))
    return items, single


def _related(name: str) -> Any:
    # The timeline names accounts and subscriptions lazily ("accounts.Account"), as its models
    # do: it lies below the accounts app and does not import it.
    return ActivityEvent._meta.get_field(name).related_model


def events_ingest(
    *, actor: Actor, payload: object, parse: Callable[[object], EventIn]
) -> IngestResult:
    """Store the event or list of events of `payload` as `actor`'s (an integration's) events.

    The whole request is checked first: its shape and size, each item (`parse`), each item's
    account, subscription and attributes (the registry), and IDs repeated in the batch; a
    ValidationError then names every bad item by its position and field (a single posted object:
    its fields alone), and nothing is stored. An ID already stored with the same content is a
    replay (returned as stored, not written again); with other content it is a Conflict, and
    nothing is stored. Two requests racing to store the same new ID end the same way: the
    second one finds the first one's event and answers as a replay or a conflict.

    An ID names one event of its account: a replay is looked up by account and ID (on a Citus
    cluster, on the accounts' nodes alone; the events' partitions are searched by their
    indexes of the ID). The database refuses an ID stored on another account only where the
    two share their time too; the second look-up, after such a refusal, is by ID alone and
    answers it as a conflict.
    """
    items, single = _items(payload)
    for attempt in range(2):
        try:
            # The insert is one transaction (activity_record_bulk): all of the batch or none.
            return _ingest(actor, items, single, parse, by_account=not attempt)
        except IntegrityError:
            # Another request stored one of these IDs between our look-up and our insert; run
            # again, once, to find it stored.
            if attempt:
                raise
    raise AssertionError("unreachable")


def _ingest(
    actor: Actor,
    items: list[object],
    single: bool,
    parse: Callable[[object], EventIn],
    *,
    by_account: bool,
) -> IngestResult:
    problems: dict[int, dict[str, list[str]]] = {}
    parsed: dict[int, EventIn] = {}
    for position, item in enumerate(items):
        if not isinstance(item, Mapping):
            problems[position] = {errors.NON_FIELD: [errors.NOT_AN_OBJECT]}
            continue
        try:
            parsed[position] = parse(item)
        except ValidationError as exc:
            problems[position] = field_errors(exc)

    # One query for the batch's accounts and one for its subscriptions. Of an account, the
    # events need its key and whether it was anonymised (its status): half the time of whole
    # rows for 1,000 accounts.
    numbers = {item.account for item in parsed.values()}
    accounts = {
        a.customer_number: a
        for a in _related("account")
        .objects.filter(customer_number__in=numbers)
        .only("pk", "customer_number", "status")
    }
    orders = {item.subscription for item in parsed.values() if item.subscription}
    subscriptions = (
        {s.order_id: s for s in _related("subscription").objects.filter(order_id__in=orders)}
        if orders
        else {}
    )

    first_seen: dict[uuid.UUID, int] = {}
    arguments: dict[int, dict[str, Any]] = {}
    for position, item in parsed.items():
        found: dict[str, list[str]] = {}
        account = accounts.get(item.account)
        if account is None:
            found["account"] = [errors.NO_ACCOUNT.format(item.account)]
        subscription = subscriptions.get(item.subscription) if item.subscription else None
        if item.subscription and subscription is None:
            found["subscription"] = [errors.NO_SUBSCRIPTION.format(item.subscription)]
        if item.id is not None:
            if item.id in first_seen:
                found["id"] = [errors.REPEATED_ID.format(first_seen[item.id])]
            else:
                first_seen[item.id] = position
        if account is not None:
            arguments[position] = {
                "account": account,
                "type": item.type,
                "occurred_at": item.occurred_at,
                "subscription": subscription,
                "data": item.attributes,
                "origin": ActivityEvent.Origin.API,
                "actor": actor,
                "id": item.id,
            }
        if found:
            problems[position] = found

    # Every item is built (validated against the registry, once) so that every bad one is
    # reported; the new ones are then stored as built.
    built: dict[int, ActivityEvent] = {}
    for position, kwargs in arguments.items():
        try:
            built[position] = build_event(**kwargs)
        except ValidationError as exc:
            _merge(problems, position, field_errors(exc))
    if problems:
        raise item_errors(problems, single=single)

    # Events whose ID is stored: the same content is a replay, other content a conflict.
    stored = _stored(built, list(first_seen), by_account=by_account)
    conflicts: dict[int, FieldErrors] = {
        position: {"id": [errors.EVENT_CONFLICT]}
        for position, event in built.items()
        if event.id in stored and not _same_event(stored[event.id], event)
    }
    if conflicts:
        raise item_errors(conflicts, single=single, error=Conflict)

    new = [position for position, event in built.items() if event.id not in stored]
    created = activity_store_built(events=[built[position] for position in new])
    by_position = dict(zip(new, created, strict=True))
    events = [
        by_position[position] if position in by_position else stored[built[position].id]
        for position in range(len(items))
    ]
    return IngestResult(events=events, created=len(created), single=single)


def _stored(
    built: dict[int, ActivityEvent], ids: list[uuid.UUID], *, by_account: bool
) -> dict[uuid.UUID, ActivityEvent]:
    """The stored events of these IDs, by ID: of the batch's accounts and each event's own
    (`by_account`), or on any account."""
    if not ids:
        return {}
    events = ActivityEvent.objects.select_related("account", "subscription").filter(id__in=ids)
    if not by_account:
        return {event.id: event for event in events}
    pairs = {(event.account.pk, event.id) for event in built.values()}
    accounts = {account for account, _ in pairs}
    return {
        event.id: event
        for event in events.filter(account_id__in=accounts)
        if (event.account_id, event.id) in pairs
    }


def _merge(problems: dict[int, dict[str, list[str]]], position: int, more: FieldErrors) -> None:
    for name, messages in more.items():
        problems.setdefault(position, {}).setdefault(name, []).extend(messages)


def _same_event(stored: ActivityEvent, new: ActivityEvent) -> bool:
    """The same content, as far as a sender can tell: what it sent (after the registry's
    cleaning) and who sent it."""
    return (
        stored.account_id == new.account.pk
        and stored.type == new.type
        and stored.occurred_at == new.occurred_at
        and stored.subscription_id == (new.subscription.pk if new.subscription else None)
        and stored.data == new.data
        and stored.origin == new.origin
        and stored.actor_name == new.actor_name
    )
