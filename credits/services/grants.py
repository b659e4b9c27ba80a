"""Grants, revocations and refunds of credit."""

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Sum

from accounts.models import Account, Subscription
from core.actors import ActorLike
from credits.models import Activity, CreditEntry, CreditOperation, CreditWallet
from credits.services.ledger import append, keyed_entry, lock, subscription_of, wallet_for
from credits.services.validation import LedgerRequest, ledger_request

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@transaction.atomic
def credit_grant(
    *,
    actor: ActorLike,
    account: Account,
    amount: object,
    credit_type: str,
    currency: str = "",
    subscription: Subscription | None = None,
    note: str = "",
    transaction_id: str = "",
    idempotency_key: str | None = None,
    created_at: dt.datetime | None = None,
    approved_by: "User | None" = None,
    lot_kind: str | None = None,
    expires_on: object = None,
    validated: LedgerRequest | None = None,
) -> CreditEntry:
    """Add credit to the account's wallet of this unit (or the subscription's), creating the
    wallet on the first grant. A person's grant needs a reason and records Manual Credit Added;
    any other records Credit Granted (credits.services.timeline).

    The grant is a lot of the wallet (credits.models.lots) of `lot_kind` — by default goodwill
    when a person grants, paid when the grant names a transaction, promotional otherwise — that
    expires on `expires_on` (a date, today or later; None: never).

    A product that includes credits grants them as System, with the purchase's transaction ID.
    """
    request = validated or ledger_request(
        actor=actor,
        account=account,
        subscription=subscription,
        credit_type=credit_type,
        currency=currency,
        amount=amount,
        note=note,
        reason_required=True,
        transaction_id=transaction_id,
        created_at=created_at,
        approved_by=approved_by,
        makes_lot=True,
        lot_kind=lot_kind,
        expires_on=expires_on,
    )
    # A lot's kind and expiry are part of the request when they were asked for (keys of calls
    # made before lots were kept still replay).
    lot: dict[str, str] = {}
    if lot_kind:
        lot["lot_kind"] = request.lot_kind
    if request.expires_on is not None:
        lot["expires_on"] = request.expires_on.isoformat()

    def run(operation: CreditOperation | None) -> CreditEntry:
        (wallet,) = lock(wallet_for(request, subscription=subscription, create=True))
        return append(
            wallet, request, activity=Activity.GRANT, amount=request.amount, operation=operation
        )

    return keyed_entry(
        service="credit_grant",
        key=idempotency_key,
        request=request.as_json(note=request.note, transaction=request.transaction_id, **lot),
        run=run,
    )


@transaction.atomic
def credit_revoke(
    *,
    actor: ActorLike,
    account: Account,
    amount: object,
    credit_type: str,
    currency: str = "",
    subscription: Subscription | None = None,
    note: str = "",
    idempotency_key: str | None = None,
    created_at: dt.datetime | None = None,
    approved_by: "User | None" = None,
    validated: LedgerRequest | None = None,
) -> CreditEntry:
    """Remove credit from a wallet, from its lots in the draw-down order
    (credits.models.draw_down_key). More than its balance is refused; a person needs a
    reason."""
    request = validated or ledger_request(
        actor=actor,
        account=account,
        subscription=subscription,
        credit_type=credit_type,
        currency=currency,
        amount=amount,
        note=note,
        reason_required=True,
        created_at=created_at,
        approved_by=approved_by,
    )

    def run(operation: CreditOperation | None) -> CreditEntry:
        wallet = wallet_for(request, subscription=subscription, create=False)
        if wallet is None:
            where = f"subscription {subscription.order_id}" if subscription else "the account"
            raise ValidationError(
                {"amount": f"There is no {request.currency or 'token'} credit on {where}."}
            )
        (wallet,) = lock(wallet)
        return append(
            wallet,
            request,
            activity=Activity.REVOCATION,
            amount=-request.amount,
            operation=operation,
        )

    return keyed_entry(
        service="credit_revoke",
        key=idempotency_key,
        request=request.as_json(note=request.note),
        run=run,
    )


@transaction.atomic
def credit_refund(
    *,
    actor: ActorLike,
    account: Account,
    amount: object,
    credit_type: str,
    transaction_id: str,
    currency: str = "",
    subscription: Subscription | None = None,
    note: str = "",
    idempotency_key: str | None = None,
    created_at: dt.datetime | None = None,
    approved_by: "User | None" = None,
    validated: LedgerRequest | None = None,
) -> CreditEntry:
    """Give back credit that a transaction consumed from this wallet (a refund of a
    credit-based transaction). At most what the transaction consumed there and has not had
    refunded yet; a person needs a reason. The credit goes back to the lots the transaction
    took it from, the newest allocation first (credits.services.lots.give_back)."""
    request = validated or ledger_request(
        actor=actor,
        account=account,
        subscription=subscription,
        credit_type=credit_type,
        currency=currency,
        amount=amount,
        note=note,
        reason_required=True,
        transaction_id=transaction_id,
        transaction_required=True,
        created_at=created_at,
        approved_by=approved_by,
    )

    def run(operation: CreditOperation | None) -> CreditEntry:
        wallet = wallet_for(request, subscription=subscription, create=False)
        (wallet,) = lock(wallet) if wallet else (None,)
        refundable, concerns = _refundable(wallet, request.transaction_id)
        if wallet is None or refundable <= 0:
            raise ValidationError(
                {
                    "transaction_id": f"Transaction {request.transaction_id} has no consumed "
                    f"{request.currency or 'token'} credit here to refund."
                }
            )
        if request.amount > refundable:
            raise ValidationError(
                {
                    "amount": f"At most {request.unit.describe(refundable)} of transaction "
                    f"{request.transaction_id} is left to refund."
                }
            )
        return append(
            wallet,
            request,
            activity=Activity.REFUND,
            amount=request.amount,
            operation=operation,
            subscription=subscription_of(request, concerns),
        )

    return keyed_entry(
        service="credit_refund",
        key=idempotency_key,
        request=request.as_json(note=request.note, transaction=request.transaction_id),
        run=run,
    )


def _refundable(wallet: CreditWallet | None, transaction_id: str) -> tuple[Decimal, int | None]:
    """What the transaction consumed from the wallet, less what was refunded to it since; and
    the subscription the transaction concerned."""
    if wallet is None:
        return Decimal(0), None
    summary = wallet.entries.filter(
        transaction_id=transaction_id, activity__in=(Activity.CONSUMPTION, Activity.REFUND)
    ).aggregate(total=Sum("amount"), subscription=Max("subscription_id"))
    return -(summary["total"] or Decimal(0)), summary["subscription"]
