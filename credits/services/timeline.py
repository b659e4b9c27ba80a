"""What each movement of the ledger shows on its account's timeline (Recent Activity's Credit
category): one event per entry that moves a balance, built here and written by `append` with
the entry (in the entry's own statement on PostgreSQL, credits.services.day_totals.write), so
that an entry never exists without its event nor an event without its entry.

- A person's grant is **Manual Credit Added** (with the reason they gave); a grant by the
  system, a product or an integration is **Credit Granted**.
- Consumption, revocation, credit refund, gift card redemption and reversal each have their
  own type, whoever made them (a manual charge's consumption too: Manual Charge Added, in
  Billing, says what was charged; the credit it used is its own Credit Consumed, under the
  charge's transaction ID).
- An expiry (credits.services.expiry) is **Credit Expired**, by System.
- A gift card status inquiry moves nothing and records nothing here (Credit Activity lists it).
- An idempotent replay writes no entry, and so records no event.

Each event names who acted (the person, the integration, or System), the amount (money with
its currency, or tokens) as the size of the movement, the wallet and its balance after, the
transaction ID and the subscription where the entry has them, the entry's note, and who
approved an operation that waited for approval.
"""

from typing import Any

from accounts.models import Subscription
from activity.models import ActivityEvent
from activity.services import build_event
from credits.models import Activity, CreditEntry, CreditWallet
from credits.services.validation import LedgerRequest

# The event type of each activity that moves a balance (a person's grant aside, see above).
EVENT_TYPES = {
    Activity.GRANT: "credit_granted",
    Activity.CONSUMPTION: "credit_consumed",
    Activity.REVOCATION: "credit_revoked",
    Activity.REFUND: "credit_refunded",
    Activity.GIFT_CARD_REDEMPTION: "gift_card_redeemed",
    Activity.GIFT_CARD_REVERSAL: "gift_card_reversed",
    Activity.EXPIRY: "credit_expired",
}
MANUAL_CREDIT = "manual_credit_added"


def entry_event(
    entry: CreditEntry,
    wallet: CreditWallet,
    request: LedgerRequest,
    subscription: Subscription | None,
) -> ActivityEvent | None:
    """`entry`'s event on its account's timeline, validated but not stored (None for an entry
    that moves nothing). `subscription` is the entry's (loaded), or None when it has none."""
    if entry.activity not in EVENT_TYPES:
        return None
    person_grant = entry.activity == Activity.GRANT and request.actor.is_person
    data = _movement(entry, wallet, subscription)
    if person_grant:
        data |= {"account_id": request.account.customer_number, "reason": entry.note}
    else:
        data["note"] = entry.note
    if entry.gift_card:
        data["gift_card"] = entry.gift_card
    if request.approved_by_name:
        data["approved_by"] = request.approved_by_name
    return build_event(
        account=request.account,
        type=MANUAL_CREDIT if person_grant else EVENT_TYPES[entry.activity],
        actor=request.actor,
        subscription=subscription,
        occurred_at=entry.created_at,
        data=data,
    )


def _movement(
    entry: CreditEntry, wallet: CreditWallet, subscription: Subscription | None
) -> dict[str, Any]:
    """The amount moved (its size), the wallet and its balance after, the transaction and the
    subscription."""
    if entry.currency:
        unit, currency = entry.unit, entry.currency
        data: dict[str, Any] = {
            "amount": {"amount": unit.plain(abs(entry.amount)), "currency": currency},
            "balance_after": {"amount": unit.plain(entry.balance_after), "currency": currency},
        }
    else:
        data = {"tokens": int(abs(entry.amount)), "token_balance_after": int(entry.balance_after)}
    if wallet.subscription_id is None:
        data["wallet"] = "Account"
    elif subscription is not None and subscription.pk == wallet.subscription_id:
        data["wallet"] = f"Subscription {subscription.order_id}"
    if entry.transaction_id:
        data["transaction_id"] = entry.transaction_id
    if subscription is not None:
        data["order_id"] = subscription.order_id
    return data
