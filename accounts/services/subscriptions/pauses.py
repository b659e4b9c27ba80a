"""Pauses: scheduled (1 to 12 months from a future date) or called off, started by the billing
system on the day, and ended early."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Subscription
from accounts.services.subscriptions.transition import (
    _add_months,
    _next_billing,
    _require_before_cancellation,
    _require_future,
    _sub_data,
    _today,
    _transition,
)
from accounts.transitions import Action
from core.actors import ActorLike

MAX_PAUSE_MONTHS = 12
PAUSE_MONTHS = f"A pause lasts 1 to {MAX_PAUSE_MONTHS} months."


def _require_months(months: object) -> None:
    if type(months) is not int or not 1 <= months <= MAX_PAUSE_MONTHS:
        raise ValidationError(PAUSE_MONTHS)


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
