"""What a subscription gives: its product changed now, a downgrade scheduled or withdrawn, and
its entitlements refreshed."""

import datetime as dt
from typing import Any

from django.db import transaction

from accounts.models import Product, Subscription
from accounts.services.subscriptions.transition import (
    _reason,
    _require_before_cancellation,
    _require_future,
    _require_product,
    _sub_data,
    _transition,
)
from accounts.transitions import Action, product_changed
from core.actors import ActorLike


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
    previous: dict[str, Any] = {}

    def change(sub: Subscription) -> dict[str, Any]:
        previous["name"] = sub.product.name
        previous["id"] = sub.product_id
        sub.product = product
        sub.downgrade_to = sub.downgrade_scheduled_for = None
        return {
            "product_from": previous["name"],
            "product_to": product.name,
            "order_id": sub.order_id,
            "reason": reason,
        }

    changed = _transition(
        actor=actor,
        subscription=subscription,
        action=Action.CHANGE_PRODUCT,
        event="subscription_changed",
        check=lambda sub: _require_product(Action.CHANGE_PRODUCT, sub, product),
        change=change,
        idempotency_key=idempotency_key,
    )
    if "id" in previous and previous["id"] != changed.product_id:
        product_changed.send(Subscription, subscription=changed, old_product_id=previous["id"])
    return changed


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
