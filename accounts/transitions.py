"""Which actions a subscription's state allows, said once for the services (which refuse the
rest) and for the pages (which offer only these; `selectors.available_actions`)."""

from collections.abc import Callable
from enum import StrEnum

from django.dispatch import Signal

from accounts.models import Product, Subscription

# Sent in the transaction that moves a subscription to another product, with `subscription`
# (already on the new one) and `old_product_id`: what is kept per product (the credit ledger's
# day totals) moves with it. Declared here so that accounts need not know who listens.
product_changed = Signal()

LIVE_STATUSES = (Subscription.Status.TRIAL, Subscription.Status.ACTIVE, Subscription.Status.PAUSED)


class Action(StrEnum):
    """The actions on a subscription; the values are the pages' addresses for them."""

    CANCEL = "cancel"
    SCHEDULE_CANCELLATION = "schedule-cancellation"
    WITHDRAW_CANCELLATION = "withdraw-cancellation"
    SCHEDULE_DOWNGRADE = "schedule-downgrade"
    WITHDRAW_DOWNGRADE = "withdraw-downgrade"
    CHANGE_PRODUCT = "change-product"
    SCHEDULE_PAUSE = "schedule-pause"
    CANCEL_PAUSE = "cancel-pause"
    END_PAUSE = "end-pause"
    REFRESH_ENTITLEMENTS = "refresh-entitlements"
    # Started by the billing system on the scheduled day, not offered to agents.
    ACTIVATE_PAUSE = "activate-pause"


Guard = Callable[[Subscription], str | None]


def _live(sub: Subscription) -> str | None:
    if sub.status not in LIVE_STATUSES:
        return f"Subscription {sub.order_id} is {sub.get_status_display().lower()}."
    return None


def _active(sub: Subscription) -> str | None:
    if sub.status != Subscription.Status.ACTIVE:
        return "Only an active subscription can be paused."
    return None


def _paused(sub: Subscription) -> str | None:
    if sub.status != Subscription.Status.PAUSED:
        return "This subscription is not paused."
    return None


def _no_cancellation(sub: Subscription) -> str | None:
    if sub.cancellation_scheduled_for:
        return f"A cancellation is already scheduled for {sub.cancellation_scheduled_for}."
    return None


def _cancellation(sub: Subscription) -> str | None:
    if not sub.cancellation_scheduled_for:
        return "No cancellation is scheduled for this subscription."
    return None


def _no_downgrade(sub: Subscription) -> str | None:
    if sub.downgrade_to_id:
        return f"A downgrade to {sub.downgrade_to} is already scheduled."
    return None


def _downgrade(sub: Subscription) -> str | None:
    if not sub.downgrade_to_id:
        return "No downgrade is scheduled for this subscription."
    return None


def _no_pause(sub: Subscription) -> str | None:
    if sub.pause_scheduled_for:
        return f"A pause is already scheduled for {sub.pause_scheduled_for}."
    return None


def _pause(sub: Subscription) -> str | None:
    if not sub.pause_scheduled_for:
        return "No pause is scheduled for this subscription."
    return None


GUARDS: dict[Action, tuple[Guard, ...]] = {
    Action.CANCEL: (_live,),
    Action.SCHEDULE_CANCELLATION: (_live, _no_cancellation),
    Action.WITHDRAW_CANCELLATION: (_cancellation,),
    Action.SCHEDULE_DOWNGRADE: (_live, _no_downgrade),
    Action.WITHDRAW_DOWNGRADE: (_downgrade,),
    Action.CHANGE_PRODUCT: (_live,),
    Action.SCHEDULE_PAUSE: (_active, _no_pause),
    Action.CANCEL_PAUSE: (_pause,),
    Action.END_PAUSE: (_paused,),
    Action.REFRESH_ENTITLEMENTS: (_live,),
    Action.ACTIVATE_PAUSE: (_active,),
}
# What agents are offered on the account page, in the menu's order.
AGENT_ACTIONS = tuple(action for action in Action if action != Action.ACTIVATE_PAUSE)


def refusal(action: Action, subscription: Subscription) -> str | None:
    """Why the subscription's state does not allow `action` now; None when it does."""
    for guard in GUARDS[action]:
        reason = guard(subscription)
        if reason:
            return reason
    return None


# Actions that move a subscription to another product, and which products each allows.
PRODUCT_ACTIONS = (Action.CHANGE_PRODUCT, Action.SCHEDULE_DOWNGRADE)


def product_refusal(action: Action, subscription: Subscription, product: Product) -> str | None:
    """Why `product` is not a choice for `action` on the subscription; None when it is.

    Any move stays in the currency the subscription is billed in and goes to a product still
    sold; a downgrade goes to a cheaper one. The pickers offer exactly the products this allows
    (`selectors.product_choices`), and the services refuse the rest with these words.
    """
    current = subscription.product
    if product.pk == current.pk:
        return "Choose a product other than the current one."
    if not product.is_active:
        return f"{product} is no longer sold."
    if product.currency != current.currency:
        return (
            f"{product} is billed in {product.currency}; subscription {subscription.order_id} "
            f"is billed in {current.currency}."
        )
    if action == Action.SCHEDULE_DOWNGRADE and product.price >= current.price:
        return f"{product} is not a downgrade from {current}: it is not cheaper."
    return None
