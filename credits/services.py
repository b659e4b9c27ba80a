"""Every write to the credit ledger, and the manual charges and refunds of the back-office.

Each service is keyword-only and runs in one transaction. It validates everything first and
refuses with a ValidationError naming the field (nothing written), locks the wallet rows it
moves (`select_for_update`, in primary-key order), writes each entry with the next `seq` of
its wallet and the balance after it, moves the wallet's balance, and records the timeline
event where one exists. `actor` is the person acting (None for System or an integration,
named by `actor_label`); a person must give a reason (`note`) for a grant, revocation, credit
refund, manual charge or manual refund.

With an `idempotency_key`, a repeated call with the same request returns what the first one
made and writes nothing; the same key with another request is refused.
"""

import datetime as dt
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.utils import timezone

from accounts.models import NO_CARD_NUMBER, Account, PaymentMethod, Subscription
from activity.models import ActivityEvent
from activity.services import SYSTEM_ACTOR, activity_record, actor_display_name
from credits import money
from credits.models import (
    Activity,
    CreditEntry,
    CreditOperation,
    CreditType,
    CreditWallet,
    GiftCardStatus,
)

MAX_NOTE_LENGTH = 1000
MAX_KEY_LENGTH = 100
# Amounts are stored with 18 digits, 4 of them decimals.
MAX_AMOUNT = Decimal(10) ** 13
TRANSACTION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")

# Messages the pages show and the tests assert on.
AMOUNT_NOT_A_NUMBER = "The amount must be a number, e.g. 12.50."
AMOUNT_ZERO = "The amount must be greater than zero."
AMOUNT_NEGATIVE = (
    "Give the amount as a positive number: the operation decides whether it adds or removes credit."
)
AMOUNT_TOO_LARGE = "The amount is too large."
WHOLE_TOKENS = "Tokens are whole numbers."
REASON_REQUIRED = "Give a reason: it is kept with the entry."
NOTE_TOO_LONG = f"At most {MAX_NOTE_LENGTH} characters."
KEY_REUSED = "This idempotency key was already used for a different request."
TRANSACTION_REQUIRED = "A transaction ID is required."
TRANSACTION_INVALID = (
    "A transaction ID is 1 to 64 letters, digits, dots, colons, dashes or underscores."
)
OTHER_ACCOUNT = "The subscription belongs to another account."
FUTURE_DATE = "An entry cannot be dated in the future."
BEFORE_LAST_ENTRY = "An entry cannot be dated before the newest entry of its wallet."
GIFT_CARD_REQUIRED = "The gift card's (masked) number is required."
GIFT_CARD_UNMASKED = "Store the gift card masked (e.g. •••• 1234), never its full number."


def _error(field_name: str, message: str) -> ValidationError:
    return ValidationError({field_name: message})


# --- Validation -----------------------------------------------------------------------------


def _unit(credit_type: str, currency: str | None) -> tuple[str, str]:
    """(credit type, currency) checked: tokens have no currency, currency credit names one."""
    if credit_type not in CreditType.values:
        raise _error("credit_type", f"Unknown credit type “{credit_type}”: token or currency.")
    currency = (currency or "").strip().upper()
    if credit_type == CreditType.TOKEN:
        if currency:
            raise _error("currency", "Tokens have no currency.")
        return credit_type, ""
    if not currency:
        raise _error("currency", "Currency credit needs a currency code, e.g. SEK.")
    if not re.fullmatch(r"[A-Z]{3}", currency) or not money.is_known_currency(currency):
        raise _error("currency", f"Unknown currency “{currency}”: use an ISO 4217 code.")
    return credit_type, currency


def _amount(value, currency: str) -> Decimal:
    """A positive amount with at most the unit's minor units (none for tokens)."""
    if isinstance(value, float | bool):
        raise _error("amount", AMOUNT_NOT_A_NUMBER)
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise _error("amount", AMOUNT_NOT_A_NUMBER) from None
    if not amount.is_finite():
        raise _error("amount", AMOUNT_NOT_A_NUMBER)
    if amount == 0:
        raise _error("amount", AMOUNT_ZERO)
    if amount < 0:
        raise _error("amount", AMOUNT_NEGATIVE)
    if amount >= MAX_AMOUNT:
        raise _error("amount", AMOUNT_TOO_LARGE)
    if amount != amount.quantize(money.quantum(currency)):
        if not currency:
            raise _error("amount", WHOLE_TOKENS)
        places = money.minor_units(currency)
        raise _error("amount", f"{currency} amounts have at most {places} decimals.")
    return amount.quantize(money.quantum(currency))


def _note(note: str | None, *, actor, required_from_person: bool) -> str:
    note = (note or "").strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise _error("note", NOTE_TOO_LONG)
    if required_from_person and actor is not None and not note:
        raise _error("note", REASON_REQUIRED)
    return note


def _transaction_id(value: str | None, *, required: bool = False) -> str:
    value = (value or "").strip()
    if not value:
        if required:
            raise _error("transaction_id", TRANSACTION_REQUIRED)
        return ""
    if not TRANSACTION_ID.fullmatch(value):
        raise _error("transaction_id", TRANSACTION_INVALID)
    return value


def _gift_card(value: str | None) -> str:
    value = (value or "").strip()
    if not value:
        raise _error("gift_card", GIFT_CARD_REQUIRED)
    if len(value) > 40:
        raise _error("gift_card", "At most 40 characters.")
    try:
        NO_CARD_NUMBER(value)
    except ValidationError:
        raise _error("gift_card", GIFT_CARD_UNMASKED) from None
    return value


def _scope(account: Account, subscription: Subscription | None, credit_type: str, currency: str):
    """The subscription must be the account's; its currency credit must be in the currency the
    subscription is billed in (the credit could never be consumed otherwise)."""
    if subscription is None:
        return
    if subscription.account_id != account.pk:
        raise _error("subscription", OTHER_ACCOUNT)
    billed_in = subscription.product.currency
    if credit_type == CreditType.CURRENCY and currency != billed_in:
        raise _error(
            "currency",
            f"Currency mismatch: subscription {subscription.order_id} is billed in {billed_in}, "
            f"not {currency}.",
        )


def _when(created_at: dt.datetime | None) -> dt.datetime | None:
    if created_at is None:
        return None
    if timezone.is_naive(created_at):
        raise _error("created_at", "The time must include its UTC offset.")
    if created_at > timezone.now() + dt.timedelta(minutes=5):
        raise _error("created_at", FUTURE_DATE)
    return created_at


def _actor_name(actor, actor_label: str) -> str:
    if actor is not None:
        return actor_display_name(actor)
    label = (actor_label or SYSTEM_ACTOR).strip()
    if len(label) > 150:
        raise _error("actor", "At most 150 characters.")
    return label


def _describe(amount: Decimal, currency: str) -> str:
    return f"{money.plain(amount, currency)} {currency or 'tokens'}"


# --- Wallets, locks, entries ----------------------------------------------------------------


def _wallet(account, subscription, credit_type, currency, *, create: bool) -> CreditWallet | None:
    """The wallet of this unit for the account (or its subscription); made when `create`."""
    lookup = {
        "account": account,
        "subscription": subscription,
        "credit_type": credit_type,
        "currency": currency,
    }
    wallet = CreditWallet.objects.filter(**lookup).first()
    if wallet is not None or not create:
        return wallet
    try:
        # A savepoint: a concurrent first grant may create the same wallet a moment earlier.
        with transaction.atomic():
            return CreditWallet.objects.create(**lookup)
    except IntegrityError:
        return CreditWallet.objects.get(**lookup)


def _lock(*wallets: CreditWallet | None) -> list[CreditWallet]:
    """Lock the wallets' rows for this transaction and return them fresh from the database,
    in the order given.

    The rows are locked in primary-key order, whatever order the caller needs them in: two
    writers that both need wallets A and B then both wait for A first, and neither can hold B
    while waiting for A (a deadlock). The balance read under the lock is the one to build on.
    """
    ids = [w.pk for w in wallets if w is not None]
    locked = {
        w.pk: w for w in CreditWallet.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    return [locked[pk] for pk in ids]


def _append(
    wallet: CreditWallet,
    *,
    activity: str,
    amount: Decimal,
    actor,
    actor_name: str,
    note: str = "",
    transaction_id: str = "",
    gift_card: str = "",
    gift_card_status: str = "",
    operation: CreditOperation | None = None,
    created_at: dt.datetime | None = None,
    subscription_id: int | None = None,
) -> CreditEntry:
    """Write the next entry of a wallet whose row the caller has locked, and move its balance.

    `amount` is signed. The entry's seq is the wallet's next number and its balance_after the
    wallet's balance plus the amount, in the same transaction as the wallet's update. The
    entry's subscription is the wallet's, or the one the activity concerns (a subscription's
    billing that draws on the account's wallet).
    """
    balance = wallet.balance + amount
    if balance < 0:
        raise _error(
            "amount",
            f"Not enough credit: {_describe(-amount, wallet.currency)} is more than the "
            f"balance of {_describe(wallet.balance, wallet.currency)}.",
        )
    if created_at is not None:
        newest = wallet.entries.order_by("-seq").values_list("created_at", flat=True).first()
        if newest is not None and created_at < newest:
            raise _error("created_at", BEFORE_LAST_ENTRY)
    wallet.balance = balance
    wallet.last_seq += 1
    wallet.save(update_fields=["balance", "last_seq"])
    return CreditEntry.objects.create(
        wallet=wallet,
        account_id=wallet.account_id,
        subscription_id=subscription_id or wallet.subscription_id,
        credit_type=wallet.credit_type,
        currency=wallet.currency,
        seq=wallet.last_seq,
        activity=activity,
        gift_card=gift_card,
        gift_card_status=gift_card_status,
        amount=amount,
        balance_after=balance,
        transaction_id=transaction_id,
        note=note,
        created_at=created_at or timezone.now(),
        actor=actor,
        actor_name=actor_name,
        operation=operation,
    )


def _once(*, service: str, key: str | None, request: dict, run: Callable, replay: Callable):
    """Run `run(operation)` once per idempotency key.

    Without a key, just run. With a key seen before: the same service and request return
    `replay(operation)` and write nothing; anything else is refused. The operation row is
    inserted before the work, so a concurrent call with the same key waits on its unique index
    and then replays what the first call committed.
    """
    if key is None or key == "":
        return run(None)
    if not isinstance(key, str) or len(key) > MAX_KEY_LENGTH or not key.strip():
        raise _error("idempotency_key", f"An idempotency key is 1 to {MAX_KEY_LENGTH} characters.")
    previous = CreditOperation.objects.filter(key=key).first()
    if previous is None:
        try:
            with transaction.atomic():
                operation = CreditOperation.objects.create(
                    key=key, service=service, request=request
                )
                return run(operation)
        except IntegrityError:
            previous = CreditOperation.objects.filter(key=key).first()
            if previous is None:
                raise
    if previous.service != service or previous.request != request:
        raise _error("idempotency_key", KEY_REUSED)
    return replay(previous)


def _only_entry(operation: CreditOperation) -> CreditEntry:
    return operation.entries.get()


def _request(account, subscription, credit_type, currency, amount=None, **extra) -> dict:
    """The JSON of a request, to tell a retry from a different request under the same key."""
    return {
        "account": account.pk,
        "subscription": subscription.pk if subscription else None,
        "credit_type": credit_type,
        "currency": currency,
        "amount": money.plain(amount, currency) if amount is not None else None,
        **extra,
    }


# --- Grants, revocations, refunds -----------------------------------------------------------


@transaction.atomic
def credit_grant(
    *,
    actor,
    account: Account,
    amount,
    credit_type: str,
    currency: str = "",
    subscription: Subscription | None = None,
    note: str = "",
    transaction_id: str = "",
    actor_label: str = SYSTEM_ACTOR,
    idempotency_key: str | None = None,
    created_at: dt.datetime | None = None,
) -> CreditEntry:
    """Add credit to the account's wallet of this unit (or the subscription's), creating the
    wallet on the first grant. A person's grant needs a reason and records Manual Credit Added.

    A product that includes credits grants them as System, with the purchase's transaction ID.
    """
    credit_type, currency = _unit(credit_type, currency)
    amount = _amount(amount, currency)
    note = _note(note, actor=actor, required_from_person=True)
    transaction_id = _transaction_id(transaction_id)
    _scope(account, subscription, credit_type, currency)
    created_at = _when(created_at)
    name = _actor_name(actor, actor_label)

    def run(operation):
        wallet = _wallet(account, subscription, credit_type, currency, create=True)
        (wallet,) = _lock(wallet)
        entry = _append(
            wallet,
            activity=Activity.GRANT,
            amount=amount,
            actor=actor,
            actor_name=name,
            note=note,
            transaction_id=transaction_id,
            operation=operation,
            created_at=created_at,
        )
        if actor is not None:
            _record_manual_credit(entry, account=account, subscription=subscription, actor=actor)
        return entry

    request = _request(
        account, subscription, credit_type, currency, amount, note=note, transaction=transaction_id
    )
    return _once(
        service="credit_grant", key=idempotency_key, request=request, run=run, replay=_only_entry
    )


def _record_manual_credit(entry: CreditEntry, *, account, subscription, actor) -> ActivityEvent:
    data = {"account_id": account.customer_number, "reason": entry.note}
    if entry.currency:
        data["amount"] = {"amount": entry.display_amount, "currency": entry.currency}
    else:
        data["tokens"] = int(entry.amount)
    return activity_record(
        account=account,
        type="manual_credit_added",
        actor=actor,
        subscription=subscription,
        occurred_at=entry.created_at,
        data=data,
    )


@transaction.atomic
def credit_revoke(
    *,
    actor,
    account: Account,
    amount,
    credit_type: str,
    currency: str = "",
    subscription: Subscription | None = None,
    note: str = "",
    actor_label: str = SYSTEM_ACTOR,
    idempotency_key: str | None = None,
    created_at: dt.datetime | None = None,
) -> CreditEntry:
    """Remove credit from a wallet. More than its balance is refused; a person needs a reason."""
    credit_type, currency = _unit(credit_type, currency)
    amount = _amount(amount, currency)
    note = _note(note, actor=actor, required_from_person=True)
    _scope(account, subscription, credit_type, currency)
    created_at = _when(created_at)
    name = _actor_name(actor, actor_label)

    def run(operation):
        wallet = _wallet(account, subscription, credit_type, currency, create=False)
        if wallet is None:
            where = f"subscription {subscription.order_id}" if subscription else "the account"
            raise _error("amount", f"There is no {currency or 'token'} credit on {where}.")
        (wallet,) = _lock(wallet)
        return _append(
            wallet,
            activity=Activity.REVOCATION,
            amount=-amount,
            actor=actor,
            actor_name=name,
            note=note,
            operation=operation,
            created_at=created_at,
        )

    request = _request(account, subscription, credit_type, currency, amount, note=note)
    return _once(
        service="credit_revoke", key=idempotency_key, request=request, run=run, replay=_only_entry
    )


@transaction.atomic
def credit_refund(
    *,
    actor,
    account: Account,
    amount,
    credit_type: str,
    transaction_id: str,
    currency: str = "",
    subscription: Subscription | None = None,
    note: str = "",
    actor_label: str = SYSTEM_ACTOR,
    idempotency_key: str | None = None,
    created_at: dt.datetime | None = None,
) -> CreditEntry:
    """Give back credit that a transaction consumed from this wallet (a refund of a
    credit-based transaction). At most what the transaction consumed there and has not had
    refunded yet; a person needs a reason."""
    credit_type, currency = _unit(credit_type, currency)
    amount = _amount(amount, currency)
    transaction_id = _transaction_id(transaction_id, required=True)
    note = _note(note, actor=actor, required_from_person=True)
    _scope(account, subscription, credit_type, currency)
    created_at = _when(created_at)
    name = _actor_name(actor, actor_label)

    def run(operation):
        wallet = _wallet(account, subscription, credit_type, currency, create=False)
        (wallet,) = _lock(wallet) if wallet else (None,)
        refundable, concerns = _refundable(wallet, transaction_id)
        if refundable <= 0:
            raise _error(
                "transaction_id",
                f"Transaction {transaction_id} has no consumed {currency or 'token'} credit "
                "here to refund.",
            )
        if amount > refundable:
            raise _error(
                "amount",
                f"At most {_describe(refundable, currency)} of transaction {transaction_id} "
                "is left to refund.",
            )
        return _append(
            wallet,
            activity=Activity.REFUND,
            amount=amount,
            actor=actor,
            actor_name=name,
            note=note,
            transaction_id=transaction_id,
            operation=operation,
            created_at=created_at,
            subscription_id=concerns,
        )

    request = _request(
        account, subscription, credit_type, currency, amount, note=note, transaction=transaction_id
    )
    return _once(
        service="credit_refund", key=idempotency_key, request=request, run=run, replay=_only_entry
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


# --- Gift cards -----------------------------------------------------------------------------


@transaction.atomic
def gift_card_redeem(
    *,
    actor,
    account: Account,
    gift_card: str,
    amount,
    currency: str,
    transaction_id: str = "",
    note: str = "",
    actor_label: str = SYSTEM_ACTOR,
    idempotency_key: str | None = None,
    created_at: dt.datetime | None = None,
) -> CreditEntry:
    """A redeemed gift card becomes currency credit on the account (not on a subscription)."""
    _, currency = _unit(CreditType.CURRENCY, currency)
    amount = _amount(amount, currency)
    gift_card = _gift_card(gift_card)
    transaction_id = _transaction_id(transaction_id)
    note = _note(note, actor=actor, required_from_person=False)
    created_at = _when(created_at)
    name = _actor_name(actor, actor_label)

    def run(operation):
        wallet = _wallet(account, None, CreditType.CURRENCY, currency, create=True)
        (wallet,) = _lock(wallet)
        return _append(
            wallet,
            activity=Activity.GIFT_CARD_REDEMPTION,
            amount=amount,
            actor=actor,
            actor_name=name,
            note=note,
            transaction_id=transaction_id,
            gift_card=gift_card,
            operation=operation,
            created_at=created_at,
        )

    request = _request(
        account, None, CreditType.CURRENCY, currency, amount, gift_card=gift_card, note=note
    )
    return _once(
        service="gift_card_redeem",
        key=idempotency_key,
        request=request,
        run=run,
        replay=_only_entry,
    )


@transaction.atomic
def gift_card_reverse(
    *,
    actor,
    account: Account,
    gift_card: str,
    amount,
    currency: str,
    transaction_id: str = "",
    note: str = "",
    actor_label: str = SYSTEM_ACTOR,
    idempotency_key: str | None = None,
    created_at: dt.datetime | None = None,
) -> CreditEntry:
    """Take back the credit of a redeemed gift card: at most what the card added and was not
    reversed yet, and never more than the balance."""
    _, currency = _unit(CreditType.CURRENCY, currency)
    amount = _amount(amount, currency)
    gift_card = _gift_card(gift_card)
    transaction_id = _transaction_id(transaction_id)
    note = _note(note, actor=actor, required_from_person=False)
    created_at = _when(created_at)
    name = _actor_name(actor, actor_label)

    def run(operation):
        wallet = _wallet(account, None, CreditType.CURRENCY, currency, create=False)
        (wallet,) = _lock(wallet) if wallet else (None,)
        # What the card added to the wallet, less what was reversed since.
        redeemed = Decimal(0)
        if wallet is not None:
            redeemed = wallet.entries.filter(
                gift_card=gift_card,
                activity__in=(Activity.GIFT_CARD_REDEMPTION, Activity.GIFT_CARD_REVERSAL),
            ).aggregate(total=Sum("amount"))["total"] or Decimal(0)
        if redeemed <= 0:
            raise _error(
                "gift_card", f"Gift card {gift_card} has no redeemed {currency} credit to reverse."
            )
        if amount > redeemed:
            raise _error(
                "amount",
                f"At most {_describe(redeemed, currency)} of gift card {gift_card} is left to "
                "reverse.",
            )
        return _append(
            wallet,
            activity=Activity.GIFT_CARD_REVERSAL,
            amount=-amount,
            actor=actor,
            actor_name=name,
            note=note,
            transaction_id=transaction_id,
            gift_card=gift_card,
            operation=operation,
            created_at=created_at,
        )

    request = _request(
        account, None, CreditType.CURRENCY, currency, amount, gift_card=gift_card, note=note
    )
    return _once(
        service="gift_card_reverse",
        key=idempotency_key,
        request=request,
        run=run,
        replay=_only_entry,
    )


@transaction.atomic
def gift_card_status_inquiry(
    *,
    actor,
    account: Account,
    gift_card: str,
    status: str,
    currency: str,
    transaction_id: str = "",
    note: str = "",
    actor_label: str = SYSTEM_ACTOR,
    idempotency_key: str | None = None,
    created_at: dt.datetime | None = None,
) -> CreditEntry:
    """Record what the payment processor answered about a gift card. Moves nothing: an entry
    of amount 0 in the account's wallet of the card's currency, which carries the status."""
    if status not in GiftCardStatus.values:
        choices = ", ".join(GiftCardStatus.values)
        raise _error("gift_card_status", f"Unknown gift card status “{status}”: {choices}.")
    _, currency = _unit(CreditType.CURRENCY, currency)
    gift_card = _gift_card(gift_card)
    transaction_id = _transaction_id(transaction_id)
    note = _note(note, actor=actor, required_from_person=False)
    created_at = _when(created_at)
    name = _actor_name(actor, actor_label)

    def run(operation):
        wallet = _wallet(account, None, CreditType.CURRENCY, currency, create=True)
        (wallet,) = _lock(wallet)
        return _append(
            wallet,
            activity=Activity.GIFT_CARD_STATUS_INQUIRY,
            amount=Decimal(0),
            actor=actor,
            actor_name=name,
            note=note,
            transaction_id=transaction_id,
            gift_card=gift_card,
            gift_card_status=status,
            operation=operation,
            created_at=created_at,
        )

    request = _request(
        account, None, CreditType.CURRENCY, currency, gift_card=gift_card, status=status, note=note
    )
    return _once(
        service="gift_card_status_inquiry",
        key=idempotency_key,
        request=request,
        run=run,
        replay=_only_entry,
    )


# --- Consumption before billing -------------------------------------------------------------


@dataclass(frozen=True)
class CreditApplication:
    """What `apply_credits` consumed (one entry per wallet drawn from, subscription's first)
    and what is left to bill to the payment method."""

    transaction_id: str
    credit_type: str
    currency: str
    requested: Decimal
    remainder: Decimal
    entries: list[CreditEntry] = field(default_factory=list)

    @property
    def consumed(self) -> Decimal:
        return -sum((e.amount for e in self.entries), Decimal(0))


@transaction.atomic
def apply_credits(
    *,
    account: Account,
    amount,
    credit_type: str,
    transaction_id: str,
    currency: str = "",
    subscription: Subscription | None = None,
    idempotency_key: str | None = None,
    note: str = "",
    actor=None,
    actor_label: str = SYSTEM_ACTOR,
    created_at: dt.datetime | None = None,
) -> CreditApplication:
    """Consume credit of this unit toward a transaction before it is billed: from the
    subscription's wallet first, then the account's, as far as they reach. Returns the
    entries and the remainder to bill to the payment method (the whole amount when there is
    no credit). With an idempotency key a retry returns the first call's result, even when
    that call consumed nothing."""
    credit_type, currency = _unit(credit_type, currency)
    amount = _amount(amount, currency)
    transaction_id = _transaction_id(transaction_id, required=True)
    note = _note(note, actor=actor, required_from_person=False)
    _scope(account, subscription, credit_type, currency)
    created_at = _when(created_at)
    name = _actor_name(actor, actor_label)

    def result(entries, remainder):
        return CreditApplication(
            transaction_id=transaction_id,
            credit_type=credit_type,
            currency=currency,
            requested=amount,
            remainder=remainder.quantize(money.quantum(currency)),
            entries=entries,
        )

    def run(operation):
        sources = [
            _wallet(account, scope, credit_type, currency, create=False)
            for scope in ((subscription, None) if subscription else (None,))
        ]
        entries, left = [], amount
        for wallet in _lock(*sources):
            take = min(wallet.balance, left)
            if take <= 0:
                continue
            entries.append(
                _append(
                    wallet,
                    activity=Activity.CONSUMPTION,
                    amount=-take,
                    actor=actor,
                    actor_name=name,
                    note=note,
                    transaction_id=transaction_id,
                    operation=operation,
                    created_at=created_at,
                    subscription_id=subscription.pk if subscription else None,
                )
            )
            left -= take
        if operation is not None:
            operation.remainder = left
            operation.save(update_fields=["remainder"])
        return result(entries, left)

    def replay(operation):
        return result(list(operation.entries.order_by("pk")), operation.remainder)

    request = _request(
        account, subscription, credit_type, currency, amount, transaction=transaction_id, note=note
    )
    return _once(
        service="apply_credits", key=idempotency_key, request=request, run=run, replay=replay
    )


# --- Manual charges and refunds -------------------------------------------------------------


@dataclass(frozen=True)
class ManualCharge:
    event: ActivityEvent
    application: CreditApplication | None
    billed: Decimal


@transaction.atomic
def manual_charge(
    *,
    actor,
    account: Account,
    amount,
    currency: str,
    note: str,
    subscription: Subscription | None = None,
    use_credits: bool = True,
    transaction_id: str = "",
    actor_label: str = SYSTEM_ACTOR,
) -> ManualCharge:
    """Charge the account outside the billing cycle and record Manual Charge Added.

    Like every transaction, a charge first consumes the account's (and the subscription's)
    currency credit unless `use_credits` is off; the rest is what the payment method is billed.
    The charge is not itself a wallet entry: the ledger shows only the credit it consumed,
    under the charge's transaction ID (`MC-` and 12 random characters unless one is given).
    """
    credit_type, currency = _unit(CreditType.CURRENCY, currency)
    amount = _amount(amount, currency)
    note = _note(note, actor=actor, required_from_person=True)
    transaction_id = _transaction_id(transaction_id) or f"MC-{uuid.uuid4().hex[:12].upper()}"
    _scope(account, subscription, credit_type, currency)
    application = None
    billed = amount
    if use_credits:
        application = apply_credits(
            account=account,
            subscription=subscription,
            amount=amount,
            credit_type=credit_type,
            currency=currency,
            transaction_id=transaction_id,
            note=note,
            actor=actor,
            actor_label=actor_label,
        )
        billed = application.remainder
    event = activity_record(
        account=account,
        type="manual_charge_added",
        actor=actor,
        actor_label=actor_label,
        subscription=subscription,
        data={
            "amount": {"amount": money.plain(amount, currency), "currency": currency},
            "account_id": account.customer_number,
            "reason": note,
        },
    )
    return ManualCharge(event=event, application=application, billed=billed)


@transaction.atomic
def manual_refund(
    *,
    actor,
    account: Account,
    amount,
    currency: str,
    refunded_to: PaymentMethod,
    note: str,
    subscription: Subscription | None = None,
    actor_label: str = SYSTEM_ACTOR,
) -> ActivityEvent:
    """Refund money to one of the account's payment methods and record Manual Refund Issued.

    Money back to a card or invoice is not credit, so the ledger does not move; to give credit
    back instead, grant it (or refund a credit-based transaction with `credit_refund`).
    """
    _, currency = _unit(CreditType.CURRENCY, currency)
    amount = _amount(amount, currency)
    note = _note(note, actor=actor, required_from_person=True)
    if refunded_to is None or refunded_to.account_id != account.pk:
        raise _error("refunded_to", "Choose one of the account's payment methods.")
    if subscription is not None and subscription.account_id != account.pk:
        raise _error("subscription", OTHER_ACCOUNT)
    data = {
        "refunded_to": str(refunded_to),
        "amount": {"amount": money.plain(amount, currency), "currency": currency},
        "reason": note,
    }
    if subscription is not None:
        data["order_id"] = subscription.order_id
    return activity_record(
        account=account,
        type="manual_refund_issued",
        actor=actor,
        actor_label=actor_label,
        subscription=subscription,
        data=data,
    )
