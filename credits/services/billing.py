"""Billing: consumption of credit before a transaction is billed, and the manual charges and
refunds that agents make outside the billing cycle."""

import dataclasses
import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Account, PaymentMethod, Subscription
from activity.models import ActivityEvent
from activity.services import activity_record, keyed_event_id
from core import money
from core.actors import ActorLike
from credits.models import Activity, CreditEntry, CreditOperation, CreditType
from credits.services import lots
from credits.services.ledger import append, locked_wallets, once
from credits.services.validation import OTHER_ACCOUNT, LedgerRequest, ledger_request

if TYPE_CHECKING:
    from django.contrib.auth.models import User


REFUND_TO_REQUIRED = "Choose one of the account's payment methods."


@dataclass(frozen=True)
class CreditApplication:
    """What `apply_credits` consumed (one entry per wallet drawn from, subscription's first)
    and what is left to bill to the payment method. `replayed`: the idempotency key returned an
    earlier call's result, and nothing was written now."""

    transaction_id: str
    credit_type: str
    currency: str
    requested: Decimal
    remainder: Decimal
    entries: list[CreditEntry] = field(default_factory=list)
    replayed: bool = False

    @property
    def consumed(self) -> Decimal:
        return -sum((e.amount for e in self.entries), Decimal(0))


@transaction.atomic
def apply_credits(
    *,
    account: Account,
    amount: object,
    credit_type: str,
    transaction_id: str,
    currency: str = "",
    subscription: Subscription | None = None,
    idempotency_key: str | None = None,
    note: str = "",
    actor: ActorLike = None,
    created_at: dt.datetime | None = None,
    approved_by: "User | None" = None,
) -> CreditApplication:
    """Consume credit of this unit toward a transaction before it is billed: from the
    subscription's wallet first, then the account's, as far as they reach. Returns the
    entries and the remainder to bill to the payment method (the whole amount when there is
    no credit). With an idempotency key a retry returns the first call's result, even when
    that call consumed nothing."""
    request = ledger_request(
        actor=actor,
        account=account,
        subscription=subscription,
        credit_type=credit_type,
        currency=currency,
        amount=amount,
        note=note,
        transaction_id=transaction_id,
        transaction_required=True,
        created_at=created_at,
        bounded=False,
        approved_by=approved_by,
    )

    def result(entries: list[CreditEntry], remainder: Decimal) -> CreditApplication:
        return CreditApplication(
            transaction_id=request.transaction_id,
            credit_type=request.credit_type,
            currency=request.currency,
            requested=request.amount,
            remainder=remainder.quantize(money.quantum(request.currency)),
            entries=entries,
        )

    def run(operation: CreditOperation | None) -> CreditApplication:
        entries, left = [], request.amount
        # Credit whose lot's day has passed is not spent, even before the expiry run takes it
        # off the balance.
        day = timezone.localdate(request.created_at or timezone.now())
        for wallet in locked_wallets(request, subscription):
            if wallet is None or wallet.balance <= 0:
                continue
            # Locked here and drawn down by `append` without a second read.
            open_lots = lots.lock_open(wallet)
            take = min(lots.spendable(wallet, open_lots, on=day), left)
            if take <= 0:
                continue
            entries.append(
                append(
                    wallet,
                    request,
                    activity=Activity.CONSUMPTION,
                    amount=-take,
                    operation=operation,
                    subscription=subscription,
                    open_lots=open_lots,
                )
            )
            left -= take
        if operation is not None:
            operation.remainder = left
            operation.save(update_fields=["remainder"])
        return result(entries, left)

    def replay(operation: CreditOperation) -> CreditApplication:
        assert operation.remainder is not None  # stored by the first call
        return result(list(operation.entries.order_by("pk")), operation.remainder)

    application, replayed = once(
        service="apply_credits",
        key=idempotency_key,
        request=request.as_json(transaction=request.transaction_id, note=request.note),
        run=run,
        replay=replay,
    )
    return dataclasses.replace(application, replayed=replayed)


@dataclass(frozen=True)
class ManualCharge:
    event: ActivityEvent
    application: CreditApplication | None
    billed: Decimal
    # The idempotency key returned an earlier call's charge; nothing was written now.
    replayed: bool = False


@transaction.atomic
def manual_charge(
    *,
    actor: ActorLike,
    account: Account,
    amount: object,
    currency: str,
    note: str,
    subscription: Subscription | None = None,
    use_credits: bool = True,
    transaction_id: str = "",
    idempotency_key: str | None = None,
    approved_by: "User | None" = None,
    validated: LedgerRequest | None = None,
) -> ManualCharge:
    """Charge the account outside the billing cycle and record Manual Charge Added.

    Like every transaction, a charge first consumes the account's (and the subscription's)
    currency credit unless `use_credits` is off; the rest is what the payment method is billed.
    The charge is not itself a wallet entry: the ledger shows only the credit it consumed,
    under the charge's transaction ID (`MC-` and 12 characters unless one is given: random,
    or made from the idempotency key). With a key, a repeat returns the first charge
    (`replayed`) and writes nothing.
    """
    request = validated or ledger_request(
        actor=actor,
        account=account,
        subscription=subscription,
        credit_type=CreditType.CURRENCY,
        currency=currency,
        amount=amount,
        note=note,
        reason_required=True,
        transaction_id=transaction_id,
        approved_by=approved_by,
    )
    if request.transaction_id:
        transaction_id = request.transaction_id
    elif idempotency_key:
        transaction_id = f"MC-{hashlib.sha256(idempotency_key.encode()).hexdigest()[:12].upper()}"
    else:
        transaction_id = f"MC-{uuid.uuid4().hex[:12].upper()}"
    # Each service has its own events' IDs: a key never names another service's event.
    event_id = keyed_event_id(f"manual_charge:{idempotency_key}" if idempotency_key else None)

    def consume() -> CreditApplication | None:
        if not use_credits:
            return None
        return apply_credits(
            account=account,
            subscription=subscription,
            amount=request.amount,
            credit_type=request.credit_type,
            currency=request.currency,
            transaction_id=transaction_id,
            note=request.note,
            actor=actor,
            idempotency_key=f"{idempotency_key}:credit" if idempotency_key else None,
            approved_by=approved_by,
        )

    def run(operation: CreditOperation | None) -> ManualCharge:
        application = consume()
        data: dict[str, object] = {
            "amount": {
                "amount": money.plain(request.amount, request.currency),
                "currency": request.currency,
            },
            "account_id": account.customer_number,
            "reason": request.note,
            "transaction_id": transaction_id,
        }
        if request.approved_by_name:
            data["approved_by"] = request.approved_by_name
        event = activity_record(
            account=account,
            type="manual_charge_added",
            actor=actor,
            subscription=subscription,
            id=event_id,
            data=data,
        )
        billed = application.remainder if application else request.amount
        return ManualCharge(event=event, application=application, billed=billed)

    def replay(operation: CreditOperation) -> ManualCharge:
        application = consume()  # keyed: returns what the first call consumed
        billed = application.remainder if application else request.amount
        assert event_id is not None  # a replay has a key
        event = ActivityEvent.objects.get(account=request.account, pk=event_id)
        return ManualCharge(event=event, application=application, billed=billed, replayed=True)

    charge, _replayed = once(
        service="manual_charge",
        key=idempotency_key,
        request=request.as_json(note=request.note, use_credits=use_credits),
        run=run,
        replay=replay,
    )
    return charge


@transaction.atomic
def manual_refund(
    *,
    actor: ActorLike,
    account: Account,
    amount: object,
    currency: str,
    refunded_to: PaymentMethod | None,
    note: str,
    subscription: Subscription | None = None,
    idempotency_key: str | None = None,
    approved_by: "User | None" = None,
    validated: LedgerRequest | None = None,
) -> ActivityEvent:
    """Refund money to one of the account's payment methods and record Manual Refund Issued.

    Money back to a card or invoice is not credit, so the ledger does not move; to give credit
    back instead, grant it (or refund a credit-based transaction with `credit_refund`). With a
    key, a repeat returns the first refund's event (`replayed`) and records nothing.
    """
    try:
        request = validated or ledger_request(
            actor=actor,
            account=account,
            credit_type=CreditType.CURRENCY,
            currency=currency,
            amount=amount,
            note=note,
            reason_required=True,
            approved_by=approved_by,
        )
    except ValidationError as exc:
        found = exc.message_dict
    else:
        found = {}
    if refunded_to is None or refunded_to.account_id != account.pk:
        found["refunded_to"] = [REFUND_TO_REQUIRED]
    if subscription is not None and subscription.account_id != account.pk:
        found["subscription"] = [OTHER_ACCOUNT]
    if found:
        raise ValidationError(found)
    data: dict[str, object] = {
        "refunded_to": str(refunded_to),
        "amount": {
            "amount": money.plain(request.amount, request.currency),
            "currency": request.currency,
        },
        "reason": request.note,
    }
    if subscription is not None:
        data["order_id"] = subscription.order_id
    if request.approved_by_name:
        data["approved_by"] = request.approved_by_name
    event_id = keyed_event_id(f"manual_refund:{idempotency_key}" if idempotency_key else None)

    def run(operation: CreditOperation | None) -> ActivityEvent:
        return activity_record(
            account=account,
            type="manual_refund_issued",
            actor=actor,
            subscription=subscription,
            data=data,
            id=event_id,
        )

    def replay(operation: CreditOperation) -> ActivityEvent:
        assert event_id is not None  # a replay has a key
        event = ActivityEvent.objects.get(account=request.account, pk=event_id)
        event.replayed = True
        return event

    assert refunded_to is not None  # else refused above
    event, _replayed = once(
        service="manual_refund",
        key=idempotency_key,
        request=request.as_json(
            note=request.note,
            refunded_to=refunded_to.pk,
            subscription=subscription.pk if subscription else None,
        ),
        run=run,
        replay=replay,
    )
    return event
