"""Writes of subscriptions: purchases, and the agents' and the billing system's actions on them.

Every action has the same shape (`_transition`): lock the subscription's row, check that its
state allows the action (`accounts.transitions`, the same rules the pages offer actions by) and
the action's own arguments, change it, save it, and record the action's event on the timeline.

The modules: `transition` (that shape, and the checks and dates the actions share),
`lifecycle` (the purchase, and cancellation now, scheduled or withdrawn), `products` (a change
of product now, a downgrade scheduled or withdrawn, entitlements refreshed) and `pauses` (a
pause scheduled, called off, started and ended early).
"""

from accounts.services.subscriptions.lifecycle import (
    subscription_cancel,
    subscription_create,
    subscription_schedule_cancellation,
    subscription_withdraw_cancellation,
)
from accounts.services.subscriptions.pauses import (
    MAX_PAUSE_MONTHS,
    PAUSE_MONTHS,
    subscription_activate_pause,
    subscription_cancel_scheduled_pause,
    subscription_end_pause_early,
    subscription_schedule_pause,
)
from accounts.services.subscriptions.products import (
    subscription_change_product,
    subscription_refresh_entitlements,
    subscription_schedule_downgrade,
    subscription_withdraw_downgrade,
)
from accounts.services.subscriptions.transition import (
    MAX_REASON_LENGTH,
    REASON_REQUIRED,
    REASON_TOO_LONG,
)

__all__ = [
    "MAX_PAUSE_MONTHS",
    "MAX_REASON_LENGTH",
    "PAUSE_MONTHS",
    "REASON_REQUIRED",
    "REASON_TOO_LONG",
    "subscription_activate_pause",
    "subscription_cancel",
    "subscription_cancel_scheduled_pause",
    "subscription_change_product",
    "subscription_create",
    "subscription_end_pause_early",
    "subscription_refresh_entitlements",
    "subscription_schedule_cancellation",
    "subscription_schedule_downgrade",
    "subscription_schedule_pause",
    "subscription_withdraw_cancellation",
    "subscription_withdraw_downgrade",
]
