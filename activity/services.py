"""The one write path of the timeline. Every service that changes an account calls
`activity_record` inside its own transaction, so the change and its event commit together.

Each insert also counts its events into their month's row (`EventMonthCount`, what Recent
Activity's totals are summed from) in the same transaction: one event with its insert, in the
same statement on PostgreSQL; a batch with one upsert of its rows."""

import datetime as dt
import functools
import uuid
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models.sql import InsertQuery
from django.utils import timezone

from activity.models import ActivityEvent, ActivityExport, EventMonthCount, month_of
from activity.registry import Recorder, get_type, validate_attributes
from core import citus
from core.actors import ActorLike, as_actor
from core.downloads import download_start
from core.personal_data import ACCOUNT_ANONYMISED
from core.statements import adding, copy_in, together

if TYPE_CHECKING:
    from accounts.models import Account, Subscription

COMMENT_REQUIRED = "Write a comment before saving it."
NOT_FOR_INTEGRATIONS = (
    "“{}” is recorded by the back-office's own services (with its ledger entry or its change), "
    "not through the API."
)
NOT_FOR_STAFF = "“{}” is recorded by the billing system, not by staff."
# A keyed write (an idempotency key) records its event under an ID made from the key, so that a
# repeat of the write finds the event it made (`keyed_event_id`).
KEYED_EVENTS = uuid.UUID("6f1d3c52-8a7e-4f0b-9d0e-2a4c5b6e7f80")
# Clocks differ a little; an event further ahead of the server's clock is refused.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
IN_THE_FUTURE = "The time lies in the future (more than 5 minutes ahead of the server's clock)."
# Origin.values builds its list on every read; a batch of 1,000 events checks each one's origin.
ORIGINS = frozenset(ActivityEvent.Origin.values)


def keyed_event_id(key: str | None) -> uuid.UUID | None:
    """The ID of the event a write keyed by `key` records (None without a key)."""
    return uuid.uuid5(KEYED_EVENTS, key) if key else None


def build_event(
    *,
    account: "Account",
    type: str,
    actor: ActorLike = None,
    occurred_at: dt.datetime | None = None,
    subscription: "Subscription | None" = None,
    data: dict[str, Any] | None = None,
    origin: str | None = None,
    id: uuid.UUID | None = None,
    message: str = "",
) -> ActivityEvent:
    """Validate and build (not save) an event; `activity_record` and bulk ingestion share it.

    A person's event is an agent's (a user, or a person of migrated history who has no user
    here); an integration's or the system's is a system event, shown by its name.
    Raises ValidationError naming each bad field.
    """
    who = as_actor(actor)
    if origin is None:
        origin = ActivityEvent.Origin.AGENT if who.user else ActivityEvent.Origin.SYSTEM
    elif origin not in ORIGINS:
        raise ValidationError({"origin": f"Unknown origin “{origin}”."})
    event_type = get_type(type)
    if origin == ActivityEvent.Origin.API and Recorder.INTEGRATION not in event_type.recorded_by:
        raise ValidationError({"type": NOT_FOR_INTEGRATIONS.format(event_type.title)})
    if who.user is not None and Recorder.STAFF not in event_type.recorded_by:
        raise ValidationError({"type": NOT_FOR_STAFF.format(event_type.title)})
    cleaned = validate_attributes(type, data, allow_missing=origin == ActivityEvent.Origin.LEGACY)
    if getattr(account, "is_anonymised", False) and (
        message or any(cleaned.get(a.key) for a in event_type.attributes if a.personal)
    ):
        raise ValidationError({"account": ACCOUNT_ANONYMISED})
    now = timezone.now()
    occurred_at = occurred_at or now
    if timezone.is_naive(occurred_at):
        raise ValidationError({"occurred_at": "The time must include its UTC offset."})
    if occurred_at > now + FUTURE_TOLERANCE:
        raise ValidationError({"occurred_at": IN_THE_FUTURE})
    if subscription is not None and subscription.account_id != account.pk:
        raise ValidationError({"subscription": "The subscription belongs to another account."})
    kind = ActivityEvent.ActorKind.AGENT if who.is_person else ActivityEvent.ActorKind.SYSTEM
    return ActivityEvent(
        id=id or uuid.uuid4(),
        account=account,
        type=type,
        occurred_at=occurred_at,
        recorded_at=timezone.now(),
        actor_kind=kind,
        **who.as_fields(),
        subscription=subscription,
        data=cleaned,
        origin=origin,
        message=message,
    )


def activity_record(
    *,
    account: "Account",
    type: str,
    actor: ActorLike = None,
    occurred_at: dt.datetime | None = None,
    subscription: "Subscription | None" = None,
    data: dict[str, Any] | None = None,
    origin: str | None = None,
    id: uuid.UUID | None = None,
    message: str = "",
) -> ActivityEvent:
    """Validate and store one event of type `type` on `account`, by `actor`. Raises
    ValidationError naming each bad field (before anything is written); see `build_event`.

    Inside the caller's transaction the event is one more statement of it, without a
    savepoint of its own: a failed insert fails the caller's change too, which is what
    recording a change's event in its transaction means.
    """
    event = build_event(
        account=account,
        type=type,
        actor=actor,
        occurred_at=occurred_at,
        subscription=subscription,
        data=data,
        origin=origin,
        id=id,
        message=message,
    )
    with transaction.atomic(savepoint=False):
        _insert_counted(event)
    return event


@transaction.atomic
def activity_record_bulk(
    *, events: Iterable[dict[str, Any]], batch_size: int = 1000
) -> list[ActivityEvent]:
    """Validate every event first, then insert them all in batches; all or nothing.

    Each item takes the arguments of `activity_record`. Raises ValidationError for the first bad
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
    return activity_store_built(events=built, batch_size=batch_size)


@transaction.atomic
def activity_store_built(
    *, events: list[ActivityEvent], batch_size: int = 1000
) -> list[ActivityEvent]:
    """Insert events that `build_event` made (and so validated); all or nothing. For a writer
    that validates a whole batch itself before it stores any (ingestion). The events are
    streamed by COPY on PostgreSQL (core.statements.copy_in), and the batch's month counts are
    added by one upsert per `batch_size` rows of them. A Citus coordinator inserts them: it
    reports a COPY's duplicate key as an internal error, and ingestion knows a racing
    request's events by the integrity error."""
    if citus.active():
        ActivityEvent.objects.bulk_create(events, batch_size=batch_size)
    else:
        copy_in(events)
    counted = Counter(_count_key(event) for event in events)
    _count(counted, batch_size=batch_size)
    return events


# --- Month counts -------------------------------------------------------------------------------


def _count_key(event: ActivityEvent) -> tuple[Any, str, str, dt.date]:
    return (event.account_id, event.type, event.actor_kind, month_of(event.occurred_at))


@functools.cache
def _upsert_sql(rows: int) -> str:
    """Add counts to their month rows (made when missing), `rows` rows in one statement."""
    table = connection.ops.quote_name(EventMonthCount._meta.db_table)
    key = ", ".join(EventMonthCount.KEY)
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * rows)
    sums = adding(EventMonthCount._meta.db_table, EventMonthCount.KEY, ("count",))
    return f"INSERT INTO {table} ({key}, count) VALUES {values}{sums}"


@functools.cache
def _upsert_arrays_sql() -> str:
    """Add counts to their month rows (made when missing), the rows given as one array per
    column: one short statement and five parameters however many rows (PostgreSQL)."""
    table = connection.ops.quote_name(EventMonthCount._meta.db_table)
    key = ", ".join(EventMonthCount.KEY)
    fields = {field.attname: field for field in EventMonthCount._meta.concrete_fields}
    columns = [fields[name] for name in (*EventMonthCount.KEY, "count")]
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in columns)
    sums = adding(EventMonthCount._meta.db_table, EventMonthCount.KEY, ("count",))
    return f"INSERT INTO {table} ({key}, count) SELECT * FROM unnest({arrays}){sums}"


def _count(counted: Counter, *, batch_size: int = 1000) -> None:
    """Add `counted` ({(account_id, type, actor_kind, month): n}) to the month rows, in the caller's
    transaction. The rows are taken in key order: two batches counting into the same rows
    lock them in the same order, so neither can hold one row while waiting for the other's.
    On PostgreSQL (not a Citus coordinator) the rows go as arrays, one per column: binding a
    thousand rows' values into the statement's text cost twice the upsert itself."""
    rows = [[*key, n] for key, n in sorted(counted.items())]
    with connection.cursor() as cursor:
        if rows and citus.writes_combine():
            cursor.execute(
                _upsert_arrays_sql(), [list(column) for column in zip(*rows, strict=True)]
            )
            return
        for start in range(0, len(rows), batch_size):
            chunk = rows[start : start + batch_size]
            cursor.execute(_upsert_sql(len(chunk)), [value for row in chunk for value in row])


def forget_months(sender: Any, months: list[dt.date], using: str, **kwargs: Any) -> None:
    """The month counts of months whose events retention dropped (core.partitions)."""
    EventMonthCount.objects.using(using).filter(month__in=months).delete()


def event_statements(event: ActivityEvent) -> list[tuple[str, list[Any]]]:
    """The statements that store an event `build_event` made: its insert, and its addition to
    its month count; to run in the caller's transaction. `activity_record` runs them as one
    statement on PostgreSQL; a writer that inserts a row of its own with each event (the credit
    ledger, its entry) may make them parts of its own statement instead."""
    query = InsertQuery(ActivityEvent)
    query.insert_values(ActivityEvent._meta.local_concrete_fields, [event])
    [(insert_sql, insert_params)] = query.get_compiler(connection=connection).as_sql()
    return [(insert_sql, list(insert_params)), (_upsert_sql(1), [*_count_key(event), 1])]


def _insert_counted(event: ActivityEvent) -> None:
    """Insert `event` and count it into its month. On PostgreSQL in one statement (the insert
    and the upsert as two parts of one WITH: one round trip, as the insert alone); elsewhere
    (SQLite, a Citus coordinator, which plans no WITH that writes two tables) the insert, then
    the upsert."""
    (insert_sql, insert_params), (count_sql, count_params) = event_statements(event)
    with connection.cursor() as cursor:
        if citus.writes_combine():
            cursor.execute(
                *together(
                    [("event", insert_sql, insert_params), ("counted", count_sql, count_params)]
                )
            )
        else:
            cursor.execute(insert_sql, insert_params)
            cursor.execute(count_sql, count_params)
    event._state.adding = False
    event._state.db = connection.alias


@transaction.atomic
def comment_add(*, actor: ActorLike, account: "Account", text: str) -> ActivityEvent:
    """An agent's note on the account, recorded as `Comment Added`."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"comment": COMMENT_REQUIRED})
    return activity_record(
        account=account, type="comment_added", actor=actor, data={"comment": text}
    )


def activity_export_start(*, actor: ActorLike, filters: dict[str, Any]) -> ActivityExport:
    """Record that `actor` started a Recent Activity download with these filters (as typed,
    with the account's customer number); its row count follows when the file is complete."""
    return download_start(ActivityExport, actor=actor, filters=filters)
