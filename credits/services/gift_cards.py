"""Gift cards: a redemption becomes currency credit on the account, a reversal takes it back,
and a status inquiry records what the payment processor answered."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum

from accounts.models import Account
from core.actors import ActorLike
from credits.models import Activity, CreditEntry, CreditOperation, CreditType, GiftCardStatus
from credits.services.ledger import append, keyed_entry, lock, wallet_for
from credits.services.validation import ledger_request


@transaction.atomic
def gift_card_redeem(
    *,
    actor: ActorLike,
    account: Account,
    gift_card: str,
    amount: object,
    currency: str,
    transaction_id: str = "",
    note: str = "",
    idempotency_key: str | None = None,
    created_at: dt.datetime | None = None,
) -> CreditEntry:
    """A redeemed gift card becomes currency credit on the account (not on a subscription)."""
    request = ledger_request(
        actor=actor,
        account=account,
        credit_type=CreditType.CURRENCY,
        currency=currency,
        amount=amount,
        gift_card=gift_card,
        takes_gift_card=True,
        transaction_id=transaction_id,
        note=note,
        created_at=created_at,
    )

    def run(operation: CreditOperation | None) -> CreditEntry:
        (wallet,) = lock(wallet_for(request, create=True))
        return append(
            wallet,
            request,
            activity=Activity.GIFT_CARD_REDEMPTION,
            amount=request.amount,
            operation=operation,
        )

    return keyed_entry(
        service="gift_card_redeem",
        key=idempotency_key,
        request=request.as_json(gift_card=request.gift_card, note=request.note),
        run=run,
    )


@transaction.atomic
def gift_card_reverse(
    *,
    actor: ActorLike,
    account: Account,
    gift_card: str,
    amount: object,
    currency: str,
    transaction_id: str = "",
    note: str = "",
    idempotency_key: str | None = None,
    created_at: dt.datetime | None = None,
) -> CreditEntry:
    """Take back the credit of a redeemed gift card: at most what the card added and was not
    reversed yet, and never more than the balance."""
    request = ledger_request(
        actor=actor,
        account=account,
        credit_type=CreditType.CURRENCY,
        currency=currency,
        amount=amount,
        gift_card=gift_card,
        takes_gift_card=True,
        transaction_id=transaction_id,
        note=note,
        created_at=created_at,
    )

    def run(operation: CreditOperation | None) -> CreditEntry:
        wallet = wallet_for(request, create=False)
        (wallet,) = lock(wallet) if wallet else (None,)
        # What the card added to the wallet, less what was reversed since.
        redeemed = Decimal(0)
        if wallet is not None:
            redeemed = wallet.entries.filter(
                gift_card=request.gift_card,
                activity__in=(Activity.GIFT_CARD_REDEMPTION, Activity.GIFT_CARD_REVERSAL),
            ).aggregate(total=Sum("amount"))["total"] or Decimal(0)
        if wallet is None or redeemed <= 0:
            raise ValidationError(
                {
                    "gift_card": f"Gift card {request.gift_card} has no redeemed "
                    f"{request.currency} credit to reverse."
                }
            )
        if request.amount > redeemed:
            raise ValidationError(
                {
                    "amount": f"At most {request.unit.describe(redeemed)} of gift card "
                    f"{request.gift_card} is left to reverse."
                }
            )
        return append(
            wallet,
            request,
            activity=Activity.GIFT_CARD_REVERSAL,
            amount=-request.amount,
            operation=operation,
        )

    return keyed_entry(
        service="gift_card_reverse",
        key=idempotency_key,
        request=request.as_json(gift_card=request.gift_card, note=request.note),
        run=run,
    )


@transaction.atomic
def gift_card_status_inquiry(
    *,
    actor: ActorLike,
    account: Account,
    gift_card: str,
    status: str,
    currency: str,
    transaction_id: str = "",
    note: str = "",
    idempotency_key: str | None = None,
    created_at: dt.datetime | None = None,
) -> CreditEntry:
    """Record what the payment processor answered about a gift card. Moves nothing: an entry
    of amount 0 in the account's wallet of the card's currency, which carries the status."""
    if status not in GiftCardStatus.values:
        choices = ", ".join(GiftCardStatus.values)
        raise ValidationError(
            {"gift_card_status": f"Unknown gift card status “{status}”: {choices}."}
        )
    request = ledger_request(
        actor=actor,
        account=account,
        credit_type=CreditType.CURRENCY,
        currency=currency,
        gift_card=gift_card,
        takes_gift_card=True,
        transaction_id=transaction_id,
        note=note,
        created_at=created_at,
    )

    def run(operation: CreditOperation | None) -> CreditEntry:
        (wallet,) = lock(wallet_for(request, create=True))
        return append(
            wallet,
            request,
            activity=Activity.GIFT_CARD_STATUS_INQUIRY,
            amount=Decimal(0),
            operation=operation,
            gift_card_status=status,
        )

    return keyed_entry(
        service="gift_card_status_inquiry",
        key=idempotency_key,
        request=request.as_json(gift_card=request.gift_card, status=status, note=request.note),
        run=run,
    )
