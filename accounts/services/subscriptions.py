"""Writes of subscriptions: purchases, and the agents' and the billing system's actions on them.

Every action has the same shape (`_transition`): lock the subscription's row, check that its
state allows the action (`accounts.transitions`, the same rules the pages offer actions by) and
the action's own arguments, change it, save it, and record the action's event on the timeline.
"""

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Account, Product, Subscription
from accounts.transitions import LIVE_STATUSES, Action, product_refusal, refusal
from activity.models import ActivityEvent
from activity.services import activity_record, keyed_event_id
from core.actors import ActorLike, as_actor
from core.errors import KEY_REUSED, Conflict, check_idempotency_key

MAX_PAUSE_MONTHS = 12
PAUSE_MONTHS = f"A pause lasts 1 to {MAX_PAUSE_MONTHS} months."
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


def _require_months(months: object) -> None:
    if type(months) is not int or not 1 <= months <= MAX_PAUSE_MONTHS:
        raise ValidationError(PAUSE_MONTHS)


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
    data = change(subscription)
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


@transaction.atomic
def subscription_create(
    *,
    actor: ActorLike,
    account: Account,
    product: Product,
    order_id: str,
    started_on: dt.date | None = None,
    status: str = Subscription.Status.ACTIVE,
    ended_on: dt.date | None = None,
    discount_name: str = "",
    discount_occurrences: int | None = None,
    occurred_at: dt.datetime | None = None,
) -> Subscription:
    """A purchase: create the subscription and record `New Purchase`.

    `status` and `ended_on` let a subscription that already ended elsewhere be brought in.
    """
    started_on = started_on or _today()
    live = status in LIVE_STATUSES
    subscription = Subscription(
        account=account,
        product=product,
        order_id=order_id,
        status=status,
        started_on=started_on,
        ended_on=None if live else (ended_on or _today()),
        next_billing_on=_next_billing(
            max(started_on, _today()), account.billing_day, product.period_months
        )
        if live
        else None,
    )
    subscription.full_clean(validate_constraints=False)
    subscription.save()
    activity_record(
        account=account,
        type="new_purchase",
        actor=actor,
        subscription=subscription,
        occurred_at=occurred_at,
        data=_sub_data(
            subscription, discount_name=discount_name, discount_occurrences=discount_occurrences
        ),
    )
    return subscription


@transaction.atomic
def subscription_cancel(
    *,
    actor: ActorLike,
    subscription: Subscription,
    reason: str = "",
    idempotency_key: str | None = None,
) -> Subscription:
    """End the subscription now; any scheduled change is dropped with it. A person must give a
    reason, kept on the event; with a key, a repeat changes nothing (see `_transition`)."""
    reason = _reason(actor, reason)

    def change(sub: Subscription) -> dict[str, Any]:
        sub.status = Subscription.Status.CANCELLED
        sub.ended_on = _today()
        sub.next_billing_on = None
        sub.cancellation_scheduled_for = None
        sub.downgrade_to = sub.downgrade_scheduled_for = None
        sub.pause_scheduled_for = sub.pause_months = None
        sub.paused_until = None
        return _sub_data(sub, reason=reason)

    return _transition(
        actor=actor,
        subscription=subscription,
        action=Action.CANCEL,
        event="subscription_cancelled",
        change=change,
        idempotency_key=idempotency_key,
    )


@transaction.atomic
def subscription_schedule_cancellation(
    *, actor: ActorLike, subscription: Subscription, cancel_on: dt.date
) -> Subscription:
    """End the subscription on a future date; recorded with that date."""

    def change(sub: Subscription) -> dict[str, Any]:
        sub.cancellation_scheduled_for = cancel_on
        return _sub_data(sub, cancellation_date=cancel_on)

    return _transition(
        actor=actor,
        subscription=subscription,
        action=Action.SCHEDULE_CANCELLATION,
        event="subscription_cancellation_scheduled",
        check=lambda sub: _require_future(cancel_on, "cancellation date"),
        change=change,
        update_fields=["cancellation_scheduled_for"],
    )


@transaction.atomic
def subscription_withdraw_cancellation(
    *, actor: ActorLike, subscription: Subscription
) -> Subscription:
    """Call off a scheduled cancellation: the subscription runs on."""

    def change(sub: Subscription) -> dict[str, Any]:
        sub.cancellation_scheduled_for = None
        return _sub_data(sub)

    return _transition(
        actor=actor,
        subscription=subscription,
        action=Action.WITHDRAW_CANCELLATION,
        event="subscription_cancellation_withdrawn",
        change=change,
        update_fields=["cancellation_scheduled_for"],
    )


@transaction.atomic
def subscription_schedule_downgrade(
    *, actor: ActorLike, subscription: Subscription, product: Product, downgrade_on: dt.date
) -> Subscription:
    """Move to a cheaper product in the same currency on a future date, before any scheduled
    cancellation."""

    def check(sub: Subscription) -> None:
        _require_product(Action.SCHEDULE_DOWNGRADE, sub, product)
        _require_future(downgrade_on, "downgrade date")
        _require_before_cancellation(sub, downgrade_on, "downgrade")

    def change(sub: Subscription) -> dict[str, Any]:
        sub.downgrade_to = product
        sub.downgrade_scheduled_for = downgrade_on
        return {
            "product_from": sub.product.name,
            "product_to": product.name,
            "downgrade_date": downgrade_on,
            "order_id": sub.order_id,
        }

    return _transition(
        actor=actor,
        subscription=subscription,
        action=Action.SCHEDULE_DOWNGRADE,
        event="subscription_downgrade_scheduled",
        check=check,
        change=change,
        update_fields=["downgrade_to", "downgrade_scheduled_for"],
    )


@transaction.atomic
def subscription_withdraw_downgrade(
    *, actor: ActorLike, subscription: Subscription
) -> Subscription:
    """Call off a scheduled downgrade: the subscription keeps its product."""

    def change(sub: Subscription) -> dict[str, Any]:
        sub.downgrade_to = None
        sub.downgrade_scheduled_for = None
        return _sub_data(sub)

    return _transition(
        actor=actor,
        subscription=subscription,
        action=Action.WITHDRAW_DOWNGRADE,
        event="subscription_downgrade_withdrawn",
        change=change,
        update_fields=["downgrade_to", "downgrade_scheduled_for"],
    )


@transaction.atomic
def subscription_change_product(
    *,
    actor: ActorLike,
    subscription: Subscription,
    product: Product,
    reason: str = "",
    idempotency_key: str | None = None,
) -> Subscription:
    """Move to another product in the same currency now; a scheduled downgrade no longer
    applies. A person must give a reason, kept on the event; with a key, a repeat changes
    nothing (see `_transition`)."""
    reason = _reason(actor, reason)
    previous: dict[str, str] = {}

    def change(sub: Subscription) -> dict[str, Any]:
        previous["name"] = sub.product.name
        sub.product = product
        sub.downgrade_to = sub.downgrade_scheduled_for = None
        return {
            "product_from": previous["name"],
            "product_to": product.name,
            "order_id": sub.order_id,
            "reason": reason,
        }

    return _transition(
        actor=actor,
        subscription=subscription,
        action=Action.CHANGE_PRODUCT,
        event="subscription_changed",
        check=lambda sub: _require_product(Action.CHANGE_PRODUCT, sub, product),
        change=change,
        idempotency_key=idempotency_key,
    )


@transaction.atomic
def subscription_schedule_pause(
    *, actor: ActorLike, subscription: Subscription, pause_on: dt.date, months: int
) -> Subscription:
    """Pause an active subscription for 1-12 months from a future date, before any scheduled
    cancellation."""

    def check(sub: Subscription) -> None:
        _require_months(months)
        _require_future(pause_on, "pause date")
        _require_before_cancellation(sub, pause_on, "pause")

    def change(sub: Subscription) -> dict[str, Any]:
        sub.pause_scheduled_for = pause_on
        sub.pause_months = months
        return _sub_data(sub, pause_date=pause_on, months=months)

    return _transition(
        actor=actor,
        subscription=subscription,
        action=Action.SCHEDULE_PAUSE,
        event="pause_scheduled",
        check=check,
        change=change,
        update_fields=["pause_scheduled_for", "pause_months"],
    )


@transaction.atomic
def subscription_cancel_scheduled_pause(
    *, actor: ActorLike, subscription: Subscription
) -> Subscription:
    """Call off a scheduled pause."""

    def change(sub: Subscription) -> dict[str, Any]:
        sub.pause_scheduled_for = sub.pause_months = None
        return _sub_data(sub)

    return _transition(
        actor=actor,
        subscription=subscription,
        action=Action.CANCEL_PAUSE,
        event="scheduled_pause_cancelled",
        change=change,
        update_fields=["pause_scheduled_for", "pause_months"],
    )


@transaction.atomic
def subscription_activate_pause(
    *, actor: ActorLike, subscription: Subscription, months: int
) -> Subscription:
    """Start a pause now (the billing system does this on the scheduled day)."""

    def change(sub: Subscription) -> dict[str, Any]:
        sub.status = Subscription.Status.PAUSED
        sub.paused_until = _add_months(_today(), months)
        sub.pause_scheduled_for = sub.pause_months = None
        sub.next_billing_on = sub.paused_until
        return _sub_data(sub, months=months)

    return _transition(
        actor=actor,
        subscription=subscription,
        action=Action.ACTIVATE_PAUSE,
        event="pause_activated",
        check=lambda sub: _require_months(months),
        change=change,
    )


@transaction.atomic
def subscription_end_pause_early(*, actor: ActorLike, subscription: Subscription) -> Subscription:
    """End a pause now: the subscription is active again and bills on its next billing day."""

    def change(sub: Subscription) -> dict[str, Any]:
        sub.status = Subscription.Status.ACTIVE
        sub.paused_until = None
        sub.next_billing_on = _next_billing(
            _today(), sub.account.billing_day, sub.product.period_months
        )
        return _sub_data(sub)

    return _transition(
        actor=actor,
        subscription=subscription,
        action=Action.END_PAUSE,
        event="pause_ended_early",
        change=change,
    )


@transaction.atomic
def subscription_refresh_entitlements(
    *, actor: ActorLike, subscription: Subscription
) -> Subscription:
    """Recompute what the customer may use; recorded so agents can see it was done."""
    return _transition(
        actor=actor,
        subscription=subscription,
        action=Action.REFRESH_ENTITLEMENTS,
        event="entitlements_refreshed",
        change=_sub_data,
        update_fields=[],
    )
