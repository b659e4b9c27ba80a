"""The event-type registry: every kind of interaction the Recent Activity timeline knows.

One `EventType` per interaction, declared once below; adding a type is adding one entry. Each
type's attributes are a schema: `validate_attributes` refuses unknown keys, missing required keys
and values of the wrong kind, naming the field. Pages, the API, the demo data and the legacy
migration all read this registry; nothing else lists the types.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import Flag, StrEnum, auto

from django.core.exceptions import ValidationError

from core import money
from core.cards import has_card_number


class Category(StrEnum):
    ACCOUNT = "Account"
    BILLING = "Billing"
    PAYMENT = "Payment"
    CREDIT = "Credit"
    SUBSCRIPTION = "Subscription"
    PAUSE = "Pause"
    COMMUNICATION = "Communication"

    @property
    def code(self) -> str:
        return self.value.lower()


class Kind(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    DATE = "date"
    MONEY = "money"  # {"amount": "12.50", "currency": "SEK"}
    TEXT_LIST = "list"
    # What an event changed, field by field: [{"label": "City", "from": "Malmö", "to": "Lund",
    # "personal": true}, ...]; values as shown ("" for none). `personal` says that the values
    # are the customer's personal data: erasure redacts those (activity.erasure).
    CHANGES = "changes"


# The longest text value we keep; longer values are refused rather than cut.
MAX_TEXT_LENGTH = 1000
# The most fields one event may say it changed, and the longest label of one.
MAX_CHANGES = 30
MAX_CHANGE_LABEL = 100
CHANGE_KEYS = frozenset({"label", "from", "to", "personal"})
HOLDS_CARD_NUMBER = "must not hold a card number (keep at most its last four digits)"
UNKNOWN_MONEY_CURRENCY = "needs a known three-letter ISO 4217 currency code, e.g. SEK"
# Money attributes: below 10^12, with at most 4 decimals.
MAX_AMOUNT_DIGITS = 12
MAX_AMOUNT = 10**MAX_AMOUNT_DIGITS


@dataclass(frozen=True)
class Attribute:
    key: str
    label: str
    kind: Kind = Kind.TEXT
    required: bool = False
    # Whether the value is personal data (an e-mail address, payment details, free text about
    # the customer): anonymisation redacts exactly these. Every attribute says it (a test
    # fails on None).
    personal: bool | None = None


class Recorder(Flag):
    """Who may record a type: staff (the back-office's services, acting for a person) and
    integrations (the API). Types whose truth the back-office's own services hold (a manual
    credit is a ledger entry, an anonymisation erases data) are recorded by those services
    only; the events of the billing run come from the billing system only."""

    STAFF = auto()
    INTEGRATION = auto()
    BOTH = STAFF | INTEGRATION


@dataclass(frozen=True)
class EventType:
    title: str
    category: Category
    attributes: tuple[Attribute, ...] = field(default_factory=tuple)
    description: str = ""
    recorded_by: Recorder = Recorder.BOTH

    @property
    def code(self) -> str:
        return type_code(self.title)

    def attribute(self, key: str) -> Attribute | None:
        return next((a for a in self.attributes if a.key == key), None)


def type_code(title: str) -> str:
    """`Billing Date Changed` -> `billing_date_changed`; `Email sent` -> `email_sent`."""
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")


# Attributes that many types share.
def _product(label="Subscription product", required=True):
    return Attribute("product", label, Kind.TEXT, required, personal=False)


_ORDER = Attribute("order_id", "Subscription order ID", Kind.TEXT, True, personal=False)
_DISCOUNT = Attribute("discount_name", "Discount name", personal=False)
_DISCOUNT_OCCURRENCE = Attribute(
    "discount_occurrence", "Discount occurrence", Kind.INTEGER, personal=False
)
_DIBS = Attribute("dibs_response_code", "DIBS acquirer response code", personal=False)
_KLARNA = Attribute("klarna_response_code", "Klarna response code", personal=False)
# The reason a person gives for a manual credit, charge or refund (see credits.services).
_REASON = Attribute("reason", "Reason", personal=True)
# The transaction a payment or charge was made under (its credit entries carry the same ID).
_TRANSACTION = Attribute("transaction_id", "Transaction ID", personal=False)
# An operation over its requester's limit: the second person, who approved it.
_APPROVED_BY = Attribute("approved_by", "Approved by", personal=False)
# Requests for approval (credits.services.approvals): which, what, and for how much.
_REQUEST = (
    Attribute("request_id", "Request", Kind.TEXT, True, personal=False),
    Attribute("operation", "Operation", Kind.TEXT, True, personal=False),
    Attribute("amount", "Amount", Kind.MONEY, personal=False),
    Attribute("tokens", "Tokens", Kind.INTEGER, personal=False),
)

# What a credit ledger entry shows on the timeline (credits.services.timeline): the wallet it
# moved and its balance after, money (`…amount`, `balance_after`) or tokens (`…tokens`,
# `token_balance_after`), exactly one pair of the two, as the ledger services record them.
_WALLET = Attribute("wallet", "Wallet", Kind.TEXT, personal=False)
_BALANCE_AFTER = (
    Attribute("balance_after", "Balance after", Kind.MONEY, personal=False),
    Attribute("token_balance_after", "Token balance after", Kind.INTEGER, personal=False),
)
_SUBSCRIPTION = Attribute("order_id", "Subscription order ID", Kind.TEXT, personal=False)
# The note an entry keeps: a person's reason, or what an integration wrote with it.
_NOTE = Attribute("note", "Note", personal=True)
# The values before and after, field by field (Kind.CHANGES); each change says itself whether
# its values are personal, so the attribute as a whole is not.
_CHANGES = Attribute("changes", "Changes", Kind.CHANGES, personal=False)
_GIFT_CARD = Attribute("gift_card", "Gift card", Kind.TEXT, True, personal=True)


def _movement(verb: str, *, tokens: bool = True) -> tuple[Attribute, ...]:
    """The amount of a ledger movement (its size; the type says which way it went), as money
    or, where the ledger allows it, tokens."""
    amount = Attribute("amount", f"{verb} amount", Kind.MONEY, personal=False)
    if not tokens:
        return (amount,)
    return (amount, Attribute("tokens", f"{verb} tokens", Kind.INTEGER, personal=False))


def _ledger_entry(verb: str, *, tokens: bool = True) -> tuple[Attribute, ...]:
    balances = _BALANCE_AFTER if tokens else _BALANCE_AFTER[:1]
    return (*_movement(verb, tokens=tokens), _WALLET, *balances, _TRANSACTION, _SUBSCRIPTION)


EVENT_TYPES: tuple[EventType, ...] = (
    EventType(
        "Billing Date Changed",
        Category.BILLING,
        (
            Attribute("from", "Bill day from", Kind.INTEGER, True, personal=False),
            Attribute("to", "Bill day to", Kind.INTEGER, True, personal=False),
            Attribute("next_billing", "Next billing on", Kind.DATE, False, personal=False),
            _CHANGES,
        ),
        "The customer's billing day moved; the next billing moves to the new day.",
    ),
    EventType(
        "Account Payment Method Changed",
        Category.PAYMENT,
        (
            Attribute("from", "From", Kind.TEXT, True, personal=True),
            Attribute("to", "To", Kind.TEXT, True, personal=True),
            _product("Associated subscription product", required=False),
            _CHANGES,
        ),
        "The payment method used for the account's subscriptions changed.",
    ),
    EventType(
        "Additional Payment Made",
        Category.PAYMENT,
        (
            Attribute("payment_method", "Payment method used", Kind.TEXT, True, personal=True),
            Attribute("amount", "Amount", Kind.MONEY, personal=False),
            _TRANSACTION,
        ),
        "The customer paid an amount outside the billing cycle.",
        recorded_by=Recorder.INTEGRATION,
    ),
    EventType(
        "Address Details Modified",
        Category.ACCOUNT,
        (Attribute("fields", "Changed fields", Kind.TEXT_LIST, True, personal=False), _CHANGES),
        "One or more address fields were edited.",
    ),
    EventType(
        "Credit Control Cycle Entered",
        Category.BILLING,
        (_DIBS, _KLARNA),
        "Billing failed and the account entered dunning.",
    ),
    EventType(
        "Credit Control Cycle Exited",
        Category.BILLING,
        (),
        "The account left dunning.",
    ),
    EventType(
        "Subscription Cancelled",
        Category.SUBSCRIPTION,
        (_product("Cancelled product"), _ORDER, _REASON, _CHANGES),
        "A subscription ended immediately.",
    ),
    EventType(
        "Subscription Cancellation Scheduled",
        Category.SUBSCRIPTION,
        (
            _product("Product to be cancelled"),
            Attribute(
                "cancellation_date", "Scheduled cancellation date", Kind.DATE, True, personal=False
            ),
            _ORDER,
            _CHANGES,
        ),
        "A subscription will end on a future date.",
    ),
    EventType(
        "Subscription Cancellation Withdrawn",
        Category.SUBSCRIPTION,
        (_product("Product that was to be cancelled"), _ORDER, _CHANGES),
        "A scheduled cancellation was called off.",
    ),
    EventType(
        "Subscription Downgrade Scheduled",
        Category.SUBSCRIPTION,
        (
            Attribute("product_from", "Downgrade from", Kind.TEXT, True, personal=False),
            Attribute("product_to", "Downgrade to", Kind.TEXT, True, personal=False),
            Attribute(
                "downgrade_date", "Scheduled downgrade date", Kind.DATE, True, personal=False
            ),
            _ORDER,
            _CHANGES,
        ),
        "A subscription will move to a cheaper product on a future date.",
    ),
    EventType(
        "Subscription Downgrade Withdrawn",
        Category.SUBSCRIPTION,
        (_product("Product that was to be downgraded"), _ORDER, _CHANGES),
        "A scheduled downgrade was called off.",
    ),
    EventType(
        "Subscription Changed",
        Category.SUBSCRIPTION,
        (
            Attribute("product_from", "Product from", Kind.TEXT, True, personal=False),
            Attribute("product_to", "Product to", Kind.TEXT, True, personal=False),
            _ORDER,
            _REASON,
            _CHANGES,
        ),
        "A subscription moved to another product now.",
    ),
    EventType(
        "Subscription Renewed",
        Category.SUBSCRIPTION,
        (_product(), _ORDER, _DISCOUNT, _DISCOUNT_OCCURRENCE),
        "A subscription started a new period.",
        recorded_by=Recorder.INTEGRATION,
    ),
    EventType(
        "Subscription Billing Success",
        Category.BILLING,
        (_product(), _ORDER, _DISCOUNT, _DISCOUNT_OCCURRENCE),
        "A subscription period was billed.",
        recorded_by=Recorder.INTEGRATION,
    ),
    EventType(
        "Subscription Billing Success Failed",
        Category.BILLING,
        (_product(), _ORDER, _DIBS, _KLARNA),
        "Billing a subscription period failed.",
        recorded_by=Recorder.INTEGRATION,
    ),
    EventType(
        "New Purchase",
        Category.SUBSCRIPTION,
        (
            _product("Product"),
            Attribute("order_id", "Product order ID", Kind.TEXT, True, personal=False),
            _DISCOUNT,
            Attribute(
                "discount_occurrences", "Total discount occurrences", Kind.INTEGER, personal=False
            ),
        ),
        "The customer bought a product.",
    ),
    EventType("New Customer Created", Category.ACCOUNT, (), "The account was created."),
    EventType(
        "New Payment Method",
        Category.PAYMENT,
        (
            Attribute(
                "masked_details", "Masked PAN / Klarna details", Kind.TEXT, True, personal=True
            ),
            _product("Current active subscription product", required=False),
        ),
        "A payment method was added to the account.",
    ),
    EventType(
        "Manual Refund Issued",
        Category.PAYMENT,
        (
            Attribute("refunded_to", "Refunded to", Kind.TEXT, True, personal=True),
            Attribute("amount", "Refunded amount", Kind.MONEY, True, personal=False),
            Attribute("order_id", "Subscription order ID", Kind.TEXT, personal=False),
            _REASON,
            _APPROVED_BY,
        ),
        "An agent refunded money to the customer.",
        recorded_by=Recorder.STAFF,
    ),
    EventType(
        "Manual Credit Added",
        Category.CREDIT,
        (
            # A grant is money (`amount`) or tokens (`tokens`, whole numbers, not a currency);
            # the credit services record exactly one of the two.
            Attribute("amount", "Credit amount", Kind.MONEY, personal=False),
            Attribute("tokens", "Credit tokens", Kind.INTEGER, personal=False),
            Attribute("account_id", "Credited account", Kind.TEXT, True, personal=False),
            _REASON,
            _APPROVED_BY,
            _WALLET,
            *_BALANCE_AFTER,
            _TRANSACTION,
            _SUBSCRIPTION,
        ),
        "An agent granted credit to the account.",
        recorded_by=Recorder.STAFF,
    ),
    EventType(
        "Manual Charge Added",
        Category.BILLING,
        (
            Attribute("amount", "Charge amount", Kind.MONEY, True, personal=False),
            Attribute("account_id", "Charged account", Kind.TEXT, True, personal=False),
            _REASON,
            _TRANSACTION,
            _APPROVED_BY,
        ),
        "An agent charged the account outside the billing cycle.",
        recorded_by=Recorder.STAFF,
    ),
    EventType(
        "Entitlements Refreshed",
        Category.SUBSCRIPTION,
        (_product(), _ORDER),
        "The products the customer may use were recomputed.",
    ),
    EventType(
        "Customer Anonymised",
        Category.ACCOUNT,
        (Attribute("reason", "Reason", personal=False),),
        "The account's personal data was erased.",
        recorded_by=Recorder.STAFF,
    ),
    EventType(
        "Email sent",
        Category.COMMUNICATION,
        (
            Attribute("subject", "Subject", Kind.TEXT, True, personal=False),
            Attribute("to", "To", Kind.TEXT, True, personal=True),
        ),
        "A receipt or notice was e-mailed to the customer.",
        recorded_by=Recorder.INTEGRATION,
    ),
    EventType(
        "Pause Scheduled",
        Category.PAUSE,
        (
            Attribute("pause_date", "Pause starts on", Kind.DATE, True, personal=False),
            Attribute("months", "Months paused", Kind.INTEGER, True, personal=False),
            _product("Product to be paused"),
            _ORDER,
            _CHANGES,
        ),
        "A subscription will pause on a future date.",
    ),
    EventType(
        "Pause Activated",
        Category.PAUSE,
        (
            Attribute("months", "Months paused", Kind.INTEGER, True, personal=False),
            _product("Paused product"),
            _ORDER,
            _CHANGES,
        ),
        "A subscription is now paused.",
    ),
    EventType(
        "Scheduled Pause cancelled",
        Category.PAUSE,
        (_product("Product that was to be paused"), _ORDER, _CHANGES),
        "A scheduled pause was called off.",
    ),
    EventType(
        "Pause Ended Early",
        Category.PAUSE,
        (_product("Paused product"), _ORDER, _CHANGES),
        "A pause was ended before its planned end.",
    ),
    EventType(
        "Pause Ended",
        Category.PAUSE,
        (_product("Paused product"), _ORDER),
        "A pause reached its planned end.",
        recorded_by=Recorder.INTEGRATION,
    ),
    EventType(
        "Subscription Billing Resubmission Failed",
        Category.BILLING,
        (_product(), _ORDER, _DIBS, _KLARNA),
        "A retry of a failed billing, during dunning, failed again.",
        recorded_by=Recorder.INTEGRATION,
    ),
    EventType(
        "Credit Request Submitted",
        Category.CREDIT,
        (
            *_REQUEST,
            _REASON,
            Attribute("limit", "Over", Kind.TEXT, True, personal=False),
        ),
        "A credit operation over its requester's limit waits for another person's approval.",
        recorded_by=Recorder.STAFF,
    ),
    EventType(
        "Credit Request Approved",
        Category.CREDIT,
        (*_REQUEST, Attribute("requested_by", "Requested by", Kind.TEXT, True, personal=False)),
        "A second person approved a credit operation, which then ran.",
        recorded_by=Recorder.STAFF,
    ),
    EventType(
        "Credit Request Rejected",
        Category.CREDIT,
        (
            *_REQUEST,
            Attribute("requested_by", "Requested by", Kind.TEXT, True, personal=False),
            _REASON,
        ),
        "A second person turned down a credit operation; nothing was changed.",
        recorded_by=Recorder.STAFF,
    ),
    EventType(
        "Credit Request Expired",
        Category.CREDIT,
        _REQUEST,
        "Nobody decided on a credit operation in time; nothing was changed.",
        recorded_by=Recorder.STAFF,
    ),
    # Every other movement of the credit ledger, each recorded with its entry by the ledger's
    # services (a person's grant is Manual Credit Added, above; a gift card status inquiry
    # moves nothing and is not on the timeline).
    EventType(
        "Credit Granted",
        Category.CREDIT,
        (*_ledger_entry("Credit"), _NOTE, _APPROVED_BY),
        "Credit was added by the system, a product or an integration.",
        recorded_by=Recorder.STAFF,
    ),
    EventType(
        "Credit Consumed",
        Category.CREDIT,
        (*_ledger_entry("Consumed"), _NOTE, _APPROVED_BY),
        "Credit paid for all or part of a transaction before the rest was billed.",
        recorded_by=Recorder.STAFF,
    ),
    EventType(
        "Credit Revoked",
        Category.CREDIT,
        (*_ledger_entry("Revoked"), _NOTE, _APPROVED_BY),
        "Credit was taken back from a wallet.",
        recorded_by=Recorder.STAFF,
    ),
    EventType(
        "Credit Refunded",
        Category.CREDIT,
        (*_ledger_entry("Refunded"), _NOTE, _APPROVED_BY),
        "Credit that a transaction had used was given back to its wallet.",
        recorded_by=Recorder.STAFF,
    ),
    EventType(
        "Gift Card Redeemed",
        Category.CREDIT,
        (_GIFT_CARD, *_ledger_entry("Redeemed", tokens=False), _NOTE),
        "A gift card's value became credit on the account.",
        recorded_by=Recorder.STAFF,
    ),
    EventType(
        "Gift Card Reversed",
        Category.CREDIT,
        (_GIFT_CARD, *_ledger_entry("Reversed", tokens=False), _NOTE),
        "Credit from a redeemed gift card was taken back.",
        recorded_by=Recorder.STAFF,
    ),
    EventType(
        "Credit Expired",
        Category.CREDIT,
        (*_ledger_entry("Expired"), _NOTE),
        "A lot's credit was left unused past its expiry date and was taken off the wallet.",
        recorded_by=Recorder.STAFF,
    ),
    EventType(
        "Comment Added",
        Category.COMMUNICATION,
        (Attribute("comment", "Comment", Kind.TEXT, True, personal=True),),
        "An agent wrote a note on the account.",
        recorded_by=Recorder.STAFF,
    ),
)

REGISTRY: dict[str, EventType] = {t.code: t for t in EVENT_TYPES}
assert len(REGISTRY) == len(EVENT_TYPES), "two event types share a code"


def get_type(code: str) -> EventType:
    try:
        return REGISTRY[code]
    except KeyError:
        raise ValidationError({"type": f"Unknown activity type “{code}”."}) from None


def types_by_category() -> list[tuple[Category, list[EventType]]]:
    return [(c, [t for t in EVENT_TYPES if t.category == c]) for c in Category]


def _check_storable(text: str) -> None:
    """PostgreSQL's JSON keeps neither NUL characters nor unpaired surrogates (not UTF-8); and
    no text the back-office keeps may hold a card number."""
    if "\x00" in text:
        raise ValueError("must not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    if has_card_number(text):
        raise ValueError(HOLDS_CARD_NUMBER)


def _clean_value(attr: Attribute, value):
    """Return the JSON-ready value, or raise ValueError with a message about the kind."""
    if attr.kind == Kind.TEXT:
        if not isinstance(value, str):
            raise ValueError("must be text")
        if len(value) > MAX_TEXT_LENGTH:
            raise ValueError(f"must be at most {MAX_TEXT_LENGTH} characters")
        _check_storable(value)
        return value
    if attr.kind == Kind.INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be a whole number")
        return value
    if attr.kind == Kind.DATE:
        if isinstance(value, dt.datetime):
            raise ValueError("must be a date (YYYY-MM-DD), not a date and time")
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value).isoformat()
            except ValueError:
                pass
        raise ValueError("must be a date (YYYY-MM-DD)")
    if attr.kind == Kind.MONEY:
        if not isinstance(value, dict) or set(value) != {"amount", "currency"}:
            raise ValueError('must be {"amount": "12.50", "currency": "SEK"}')
        currency = value["currency"]
        if not money.is_known_currency(currency):
            raise ValueError(UNKNOWN_MONEY_CURRENCY)
        amount = value["amount"]
        if isinstance(amount, float | bool):
            raise ValueError("needs its amount as a decimal string, not a float")
        try:
            amount = Decimal(str(amount))
        except InvalidOperation:
            raise ValueError("needs a decimal amount") from None
        if not amount.is_finite():
            raise ValueError("needs a decimal amount")
        # adjusted() is the exponent of the leading digit: no arithmetic that could overflow.
        if amount and amount.adjusted() >= MAX_AMOUNT_DIGITS:
            raise ValueError(f"needs an amount below {MAX_AMOUNT:,}")
        exponent = amount.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -4:
            raise ValueError("needs a decimal amount with at most 4 decimals")
        return {"amount": str(amount), "currency": currency}
    if attr.kind == Kind.TEXT_LIST:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ValueError("must be a list of text")
        if sum(len(v) for v in value) > MAX_TEXT_LENGTH:
            raise ValueError(f"must be at most {MAX_TEXT_LENGTH} characters in all")
        for item in value:
            _check_storable(item)
        return list(value)
    if attr.kind == Kind.CHANGES:
        return _clean_changes(value)
    raise AssertionError(f"unhandled kind {attr.kind}")


def _clean_changes(value) -> list[dict]:
    shape = 'must be a list of {"label": ..., "from": ..., "to": ...}'
    if not isinstance(value, list | tuple) or not value:
        raise ValueError(shape)
    if len(value) > MAX_CHANGES:
        raise ValueError(f"must name at most {MAX_CHANGES} fields")
    cleaned = []
    for change in value:
        if not isinstance(change, dict) or not {"label", "from", "to"} <= set(change):
            raise ValueError(shape)
        if set(change) - CHANGE_KEYS:
            raise ValueError(f"may hold only {', '.join(sorted(CHANGE_KEYS))}")
        label, before, after = change["label"], change["from"], change["to"]
        if not isinstance(label, str) or not label.strip() or len(label) > MAX_CHANGE_LABEL:
            raise ValueError(f"needs each label as text of 1 to {MAX_CHANGE_LABEL} characters")
        if not isinstance(before, str) or not isinstance(after, str):
            raise ValueError("needs each value before and after as text")
        if len(before) + len(after) > MAX_TEXT_LENGTH:
            raise ValueError(f"must be at most {MAX_TEXT_LENGTH} characters a change")
        personal = change.get("personal", False)
        if not isinstance(personal, bool):
            raise ValueError("needs `personal` as true or false")
        for text in (label, before, after):
            _check_storable(text)
        cleaned.append({"label": label, "from": before, "to": after, "personal": personal})
    return cleaned


def change_text(changes: list[dict]) -> str:
    """`City: Malmö → Lund; Postcode: 211 20 → 222 21` ("—" for no value)."""
    return "; ".join(f"{c['label']}: {c['from'] or '—'} → {c['to'] or '—'}" for c in changes)


def validate_attributes(code: str, data, *, allow_missing: bool = False) -> dict:
    """Check `data` against the schema of type `code`; return the cleaned attributes.

    Raises ValidationError whose message dict names each bad field (`attributes.<key>`).
    `allow_missing` accepts absent required attributes: migrated legacy rows cannot supply them.
    """
    event_type = get_type(code)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValidationError({"attributes": "Attributes must be an object."})
    errors: dict[str, str] = {}
    cleaned: dict = {}
    for key, value in data.items():
        attr = event_type.attribute(key)
        if attr is None:
            errors[f"attributes.{key}"] = f"Unknown attribute for “{event_type.title}”."
            continue
        if value is None or value == "" or value == []:
            continue  # empty means absent
        try:
            cleaned[key] = _clean_value(attr, value)
        except ValueError as exc:
            errors[f"attributes.{key}"] = f"{attr.label} {exc}."
    if not allow_missing:
        for attr in event_type.attributes:
            if attr.required and attr.key not in cleaned and f"attributes.{attr.key}" not in errors:
                errors[f"attributes.{attr.key}"] = f"{attr.label} is required."
    if errors:
        raise ValidationError(errors)
    return cleaned
