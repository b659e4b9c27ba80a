"""A subscription's start and end: the purchase, cancellation now, and a cancellation scheduled
or withdrawn."""

import datetime as dt
from typing import Any

from django.db import transaction

from accounts.models import Account, Product, Subscription
from accounts.services.subscriptions.transition import (
    _next_billing,
    _reason,
    _require_future,
    _sub_data,
    _today,
    _transition,
)
from accounts.transitions import LIVE_STATUSES, Action
from activity.services import activity_record
from core.actors import ActorLike


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
