"""The validated request of a credit operation, which every credit service starts from.

`ledger_request` validates a credit operation's input once, for every service: the unit
(tokens, or a known currency), the amount in that unit's minor units, the reason a person must
give, the transaction ID, the gift card, the subscription's account and currency, the time and
the actor. Every bad field is named in one ValidationError; nothing is written. The messages
are constants, which the pages show and the tests assert on.
"""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import NO_CARD_NUMBER, Account, Subscription
from core import money
from core.actors import SYSTEM, Actor, ActorLike, as_actor
from core.cards import validate_no_card_number
from core.money import Unit
from core.personal_data import ACCOUNT_ANONYMISED
from credits.models import CreditType, LotKind
from credits.services.limits import approver_name, check_maximum

if TYPE_CHECKING:
    from django.contrib.auth.models import User


MAX_NOTE_LENGTH = 1000
MAX_GIFT_CARD_LENGTH = 40
# Amounts are stored with 18 digits, 4 of them decimals.
MAX_AMOUNT = Decimal(10) ** 13
TRANSACTION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")

# Messages the pages show and the tests assert on.
AMOUNT_NOT_A_NUMBER = "The amount must be a number, e.g. 12.50 or 12,50."
# As people type amounts: digits with a decimal point or a decimal comma (Nordic staff write
# 10,50), no exponent ("1e3" is not 1,000 to anyone at a desk), no grouping.
TYPED_AMOUNT = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)")
AMOUNT_ZERO = "The amount must be greater than zero."
AMOUNT_NEGATIVE = (
    "Give the amount as a positive number: the operation decides whether it adds or removes credit."
)
AMOUNT_TOO_LARGE = "The amount is too large."
WHOLE_TOKENS = "Tokens are whole numbers."
REASON_REQUIRED = "Give a reason: it is kept with the entry."
NOTE_TOO_LONG = f"At most {MAX_NOTE_LENGTH} characters."
TRANSACTION_REQUIRED = "A transaction ID is required."
TRANSACTION_INVALID = (
    "A transaction ID is 1 to 64 letters, digits, dots, colons, dashes or underscores."
)
OTHER_ACCOUNT = "The subscription belongs to another account."
FUTURE_DATE = "An entry cannot be dated in the future."
NAIVE_DATE = "The time must include its UTC offset."
BEFORE_LAST_ENTRY = "An entry cannot be dated before the newest entry of its wallet."
GIFT_CARD_REQUIRED = "The gift card's (masked) number is required."
GIFT_CARD_TOO_LONG = f"At most {MAX_GIFT_CARD_LENGTH} characters."
GIFT_CARD_UNMASKED = "Store the gift card masked (e.g. •••• 1234), never its full number."
TOKENS_HAVE_NO_CURRENCY = "Tokens have no currency."
CURRENCY_REQUIRED = "Currency credit needs a currency code, e.g. SEK."
EXPIRY_IN_PAST = "The expiry date is in the past: give today or a later day, or none."
EXPIRY_NOT_A_DATE = "The expiry date must be a date, e.g. 2027-06-30."
UNKNOWN_LOT_KIND = "Unknown kind of credit “{}”: paid, promotional or goodwill."


@dataclass(frozen=True)
class LedgerRequest:
    """A credit operation's input, validated: what the services build entries from.

    The services that wait over a limit (grant, revocation, credit refund, manual charge and
    refund) take one as `validated` from `credit_request`, which has validated the input
    already, so that a request is validated once on its path."""

    account: Account
    subscription: Subscription | None
    credit_type: str
    currency: str  # empty for tokens
    amount: Decimal  # positive; zero where the operation moves nothing
    note: str
    transaction_id: str
    gift_card: str
    created_at: dt.datetime | None
    actor: Actor
    # The second person of an operation that waited for approval.
    approved_by: "User | None" = None
    approved_by_name: str = ""
    # A grant's lot (credits.models.lots): its kind, and the day its credit expires (None: it
    # does not). Empty for the operations that make no lot of their own choosing.
    lot_kind: str = ""
    expires_on: dt.date | None = None

    @property
    def unit(self) -> Unit:
        return Unit.of(self.credit_type, self.currency)

    def as_json(self, **extra: Any) -> dict[str, Any]:
        """The request as stored with an idempotency key, to tell a retry from a different
        request under the same key."""
        return {
            "account": self.account.pk,
            "subscription": self.subscription.pk if self.subscription else None,
            "credit_type": self.credit_type,
            "currency": self.currency,
            "amount": money.plain(self.amount, self.currency) if self.amount else None,
            **extra,
        }


class _Errors:
    """Collects each field's first error, so that one ValidationError names every bad field."""

    def __init__(self) -> None:
        self.found: dict[str, str] = {}

    def check(self, name: str, check: Callable[[], Any], default: Any = None) -> Any:
        try:
            return check()
        except ValidationError as exc:
            self.found.setdefault(name, exc.messages[0])
            return default

    def add(self, name: str, message: str) -> None:
        self.found.setdefault(name, message)

    def raise_any(self) -> None:
        if self.found:
            raise ValidationError(self.found)


def _credit_type(value: str) -> str:
    if value not in CreditType.values:
        raise ValidationError(f"Unknown credit type “{value}”: token or currency.")
    return value


def _currency(credit_type: str, value: str | None) -> str:
    """Tokens have no currency; currency credit names a known ISO 4217 code."""
    currency = (value or "").strip().upper()
    if credit_type == CreditType.TOKEN:
        if currency:
            raise ValidationError(TOKENS_HAVE_NO_CURRENCY)
        return ""
    if not currency:
        raise ValidationError(CURRENCY_REQUIRED)
    money.validate_currency_code(currency)
    return currency


def typed_amount(text: str) -> Decimal | None:
    """An amount as a person types it (TYPED_AMOUNT: a decimal point or comma, no exponent),
    or None when it is not one."""
    text = text.strip()
    if not TYPED_AMOUNT.fullmatch(text):
        return None
    return Decimal(text.replace(",", "."))


def _amount(value: object, currency: str | None) -> Decimal:
    """A positive amount with at most the unit's minor units (none for tokens); `currency` None
    when the unit is unknown (only the number itself is checked then)."""
    if isinstance(value, float | bool):
        raise ValidationError(AMOUNT_NOT_A_NUMBER)
    if isinstance(value, str):
        value = typed_amount(value)
        if value is None:
            raise ValidationError(AMOUNT_NOT_A_NUMBER)
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(AMOUNT_NOT_A_NUMBER) from None
    if not amount.is_finite():
        raise ValidationError(AMOUNT_NOT_A_NUMBER)
    if amount == 0:
        raise ValidationError(AMOUNT_ZERO)
    if amount < 0:
        raise ValidationError(AMOUNT_NEGATIVE)
    if amount >= MAX_AMOUNT:
        raise ValidationError(AMOUNT_TOO_LARGE)
    if currency is None:
        return amount
    if amount != amount.quantize(money.quantum(currency)):
        if not currency:
            raise ValidationError(WHOLE_TOKENS)
        places = money.minor_units(currency)
        raise ValidationError(f"{currency} amounts have at most {places} decimals.")
    return amount.quantize(money.quantum(currency))


def _note(note: str | None, *, required: bool) -> str:
    note = (note or "").strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise ValidationError(NOTE_TOO_LONG)
    validate_no_card_number(note)
    if required and not note:
        raise ValidationError(REASON_REQUIRED)
    return note


def _transaction_id(value: str | None, *, required: bool) -> str:
    value = (value or "").strip()
    if not value:
        if required:
            raise ValidationError(TRANSACTION_REQUIRED)
        return ""
    if not TRANSACTION_ID.fullmatch(value):
        raise ValidationError(TRANSACTION_INVALID)
    return value


def _gift_card(value: str | None) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(GIFT_CARD_REQUIRED)
    if len(value) > MAX_GIFT_CARD_LENGTH:
        raise ValidationError(GIFT_CARD_TOO_LONG)
    try:
        NO_CARD_NUMBER(value)
        validate_no_card_number(value)
    except ValidationError:
        raise ValidationError(GIFT_CARD_UNMASKED) from None
    return value


def _when(created_at: dt.datetime | None) -> dt.datetime | None:
    if created_at is None:
        return None
    if timezone.is_naive(created_at):
        raise ValidationError(NAIVE_DATE)
    if created_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError(FUTURE_DATE)
    return created_at


def _lot_kind(value: str | None, *, person: bool, transaction_id: str) -> str:
    """The kind of a grant's lot: as given, else goodwill when a person grants (the account
    page's credit is a gesture), paid when the grant names a transaction (a product bought with
    credit in it), promotional otherwise (credit an integration or the system gives away)."""
    value = (value or "").strip().lower()
    if value:
        if value not in LotKind.values:
            raise ValidationError(UNKNOWN_LOT_KIND.format(value))
        return value
    if person:
        return str(LotKind.GOODWILL)
    return str(LotKind.PAID if transaction_id else LotKind.PROMOTIONAL)


def _expires_on(value: object, day: dt.date) -> dt.date | None:
    """A lot's expiry: a date (or its ISO text, as a waiting request keeps it), on the grant's
    local `day` (today, unless the grant is dated) or later."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        raise ValidationError(EXPIRY_NOT_A_DATE)
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValidationError(EXPIRY_NOT_A_DATE) from None
    if not isinstance(value, dt.date):
        raise ValidationError(EXPIRY_NOT_A_DATE)
    if value < day:
        raise ValidationError(EXPIRY_IN_PAST)
    return value


def _is_person(actor: Actor | None) -> bool:
    """Whether a signed-in person acts (an actor refused as invalid counts as one: its reason is
    required too, and the actor's own error is reported beside)."""
    return actor is None or actor.user is not None


def ledger_request(
    *,
    actor: ActorLike,
    account: Account,
    credit_type: str,
    currency: str | None,
    amount: object = None,
    note: str | None = "",
    reason_required: bool = False,
    transaction_id: str | None = "",
    transaction_required: bool = False,
    gift_card: str | None = None,
    takes_gift_card: bool = False,
    subscription: Subscription | None = None,
    created_at: dt.datetime | None = None,
    approved_by: "User | None" = None,
    bounded: bool = True,
    makes_lot: bool = False,
    lot_kind: str | None = None,
    expires_on: object = None,
) -> LedgerRequest:
    """Validate a credit operation's input; raise one ValidationError naming every bad field.

    An amount over the absolute maximum of its unit (settings.CREDIT_MAXIMUM) is refused
    whoever asks (unless not `bounded`: consumption, which the balance bounds). `approved_by`
    is the second person of an operation that waited for approval: never the actor.

    `amount` None means the operation moves nothing (a status inquiry). A reason is required
    when `reason_required` and a person acts. A subscription must be the account's, and its
    currency credit must be in the currency it is billed in (it could never be consumed
    otherwise). The time, when given, must carry its offset and not lie in the future.

    With `makes_lot` (a grant), the lot's kind (`lot_kind`, default by who grants: see
    `_lot_kind`) and its expiry (`expires_on`, none or the grant's day or later) are checked too.
    """
    errors = _Errors()
    who: Actor | None = errors.check("actor", lambda: as_actor(actor))
    kind: str | None = errors.check("credit_type", lambda: _credit_type(credit_type))
    unit_currency: str | None = None
    if kind is not None:
        unit_currency = errors.check("currency", lambda: _currency(kind, currency))
    value = Decimal(0)
    if amount is not None:
        value = errors.check("amount", lambda: _amount(amount, unit_currency), Decimal(0))
    clean_note = errors.check(
        "note", lambda: _note(note, required=reason_required and _is_person(who)), ""
    )
    transaction = errors.check(
        "transaction_id",
        lambda: _transaction_id(transaction_id, required=transaction_required),
        "",
    )
    card = errors.check("gift_card", lambda: _gift_card(gift_card), "") if takes_gift_card else ""
    if subscription is not None:
        if subscription.account_id != account.pk:
            errors.add("subscription", OTHER_ACCOUNT)
        elif kind == CreditType.CURRENCY and unit_currency:
            billed_in = subscription.product.currency
            if unit_currency != billed_in:
                errors.add(
                    "currency",
                    f"Currency mismatch: subscription {subscription.order_id} is billed in "
                    f"{billed_in}, not {unit_currency}.",
                )
    if account.is_anonymised:
        # Notes and gift card codes are personal data, which an anonymised account keeps none of.
        if clean_note:
            errors.add("note", ACCOUNT_ANONYMISED)
        if card:
            errors.add("gift_card", ACCOUNT_ANONYMISED)
    if bounded and value and unit_currency is not None:
        errors.check("amount", lambda: check_maximum(value, unit_currency))
    when = errors.check("created_at", lambda: _when(created_at))
    approver = ""
    if approved_by is not None:
        approver = errors.check("approved_by", lambda: approver_name(approved_by, who), "")
    lot, expiry = "", None
    if makes_lot:
        lot = errors.check(
            "lot_kind",
            lambda: _lot_kind(lot_kind, person=_is_person(who), transaction_id=transaction),
            "",
        )
        # A grant dated in the past (an integration's, the demo's) may expire on any day from
        # its own on; the next expiry run then takes off what it has left.
        day = timezone.localdate(when) if when is not None else timezone.localdate()
        expiry = errors.check("expires_on", lambda: _expires_on(expires_on, day))
    errors.raise_any()
    assert kind is not None and unit_currency is not None  # else refused just above
    return LedgerRequest(
        account=account,
        subscription=subscription,
        credit_type=kind,
        currency=unit_currency,
        amount=value,
        note=clean_note,
        transaction_id=transaction,
        gift_card=card,
        created_at=when,
        actor=who or SYSTEM,
        approved_by=approved_by,
        approved_by_name=approver,
        lot_kind=lot,
        expires_on=expiry,
    )
