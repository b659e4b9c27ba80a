"""The shape every action on a subscription has (`_transition`): lock the subscription's row,
check that its state allows the action (`accounts.transitions`, the same rules the pages offer
actions by) and the action's own arguments, change it, save it, and record the action's event
on the timeline; and the checks and dates the actions share."""

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Product, Subscription
from accounts.services.changes import diff, snapshot, with_changes
from accounts.transitions import Action, product_refusal, refusal
from activity.models import ActivityEvent
from activity.services import activity_record, keyed_event_id
from core.actors import ActorLike, as_actor
from core.errors import KEY_REUSED, Conflict, check_idempotency_key

MAX_REASON_LENGTH = 1000
REASON_REQUIRED = "Give a reason: it is kept with the event."
REASON_TOO_LONG = f"A reason is at most {MAX_REASON_LENGTH} characters."


def _today() -> dt.date:
    return timezone.localdate()


def _add_months(day: dt.date, months: int, on_day: int | None = None) -> dt.date:
    month_index = day.month - 1 + months
    # Days 29-31 do not exist in every month; billing days stop at 28 for that reason.
    return dt.date(day.year + month_index // 12, month_index % 12 + 1, min(on_day or day.day, 28))


def _next_billing(start: dt.date, billing_day: int, months: int) -> dt.date:
    return _add_months(start, months, on_day=billing_day)


def _sub_data(subscription: Subscription, **extra: Any) -> dict[str, Any]:
    return {"product": subscription.product.name, "order_id": subscription.order_id, **extra}


def _require_future(day: object, what: str) -> None:
    # A datetime is a date too, but cannot be compared with one.
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        raise ValidationError(f"Give the {what} as a date.")
    if day <= _today():
        raise ValidationError(f"The {what} must be after today.")


def _require_before_cancellation(subscription: Subscription, day: dt.date, what: str) -> None:
    ends = subscription.cancellation_scheduled_for
    if ends and day >= ends:
        raise ValidationError(
            f"The subscription is cancelled from {ends:%Y-%m-%d}; the {what} must start before."
        )


def _require_product(action: Action, subscription: Subscription, product: Product) -> None:
    reason = product_refusal(action, subscription, product)
    if reason:
        raise ValidationError({"product": reason})


def _reason(actor: ActorLike, reason: str) -> str:
    """The reason a person must give for an action that cannot be undone (kept on its event)."""
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationError({"reason": REASON_TOO_LONG})
    if as_actor(actor).user is not None and not reason:
        raise ValidationError({"reason": REASON_REQUIRED})
    return reason


def _event_id(key: str | None) -> uuid.UUID | None:
    key = check_idempotency_key(key)
    return keyed_event_id(key) if key is not None else None


# The fields of a subscription whose values before and after an action its event keeps
# (accounts.services.changes), with their labels; none of them is personal data.
TRACKED = {
    "product": "Product",
    "status": "Status",
    "next_billing_on": "Next billing",
    "ended_on": "Ended on",
    "cancellation_scheduled_for": "Cancellation on",
    "downgrade_to": "Downgrade to",
    "downgrade_scheduled_for": "Downgrade on",
    "pause_scheduled_for": "Pause starts on",
    "pause_months": "Months paused",
    "paused_until": "Paused until",
}


def _transition(
    *,
    actor: ActorLike,
    subscription: Subscription,
    action: Action,
    event: str,
    change: Callable[[Subscription], dict[str, Any]],
    check: Callable[[Subscription], None] | None = None,
    update_fields: list[str] | None = None,
    idempotency_key: str | None = None,
) -> Subscription:
    """Lock, check, change, save, record.

    The subscription's row is locked and read afresh; its state must allow `action`, and
    `check` (the service's own arguments against that state) must pass, else ValidationError
    and nothing changes. `change` sets the new state and returns the attributes of the `event`
    recorded, in the same transaction, with the actor.

    With an `idempotency_key`, the event is stored under an ID made from the key; a repeat of
    the same action with the key (a confirmation posted twice) finds it after taking the lock,
    changes nothing and returns the subscription marked `replayed`. The key used for another
    action or subscription is a Conflict.
    """
    event_id = _event_id(idempotency_key)
    subscription = (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("account", "product", "downgrade_to")
        .get(pk=subscription.pk)
    )
    if event_id is not None:
        done = ActivityEvent.objects.filter(pk=event_id).values_list("type", "subscription_id")
        for done_type, done_subscription in done:
            if (done_type, done_subscription) != (event, subscription.pk):
                raise Conflict({"idempotency_key": KEY_REUSED})
            subscription.replayed = True
            return subscription
    reason = refusal(action, subscription)
    if reason:
        raise ValidationError(reason)
    if check is not None:
        check(subscription)
    before = snapshot(subscription, TRACKED)
    data = change(subscription)
    data = with_changes(event, data, diff(before, snapshot(subscription, TRACKED), TRACKED))
    if update_fields is None:
        subscription.save()
    else:
        subscription.save(update_fields=[*update_fields, "updated_at"])
    activity_record(
        account=subscription.account,
        type=event,
        actor=actor,
        subscription=subscription,
        data=data,
        id=event_id,
    )
    return subscription
