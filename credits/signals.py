"""What the ledger does when other apps announce a change it keeps something of."""

from typing import Any

from accounts.models import Subscription
from accounts.transitions import product_changed
from credits.services import day_totals


def move_day_totals(
    sender: Any, subscription: Subscription, old_product_id: int, **kwargs: Any
) -> None:
    """A subscription moved to another product: its entries' day totals move with it."""
    day_totals.move_subscription(subscription=subscription, old_product_id=old_product_id)


def connect() -> None:
    product_changed.connect(move_day_totals, dispatch_uid="credits.move_day_totals")
