"""The ledger's hash chain: each entry's SHA-256 covers its wallet's previous entry's hash and
its own defining fields, so that an entry rewritten behind the services' back — even one whose
amount, balance and wallet were all changed consistently — no longer matches its hash or its
successors'. `verify_ledger` recomputes every chain.

The entry's note and gift card code enter the hash through their digest (`text_digest`), which
is kept when anonymisation redacts the text: the chain stays valid, and the digest of a text
that was not redacted must still match it.

The hash is keyed (HMAC-SHA256) with a key that lives outside the database (LEDGER_KEYS, from
the environment or a file), and each entry keeps the id of the key it was signed with
(`key_id`), so that keys can be rotated: new entries take LEDGER_KEY_ID, older ones verify with
the key they name. Someone who can rewrite the database but does not hold the key cannot make a
rewritten entry's hash agree. (The first chain, before keys, was plain SHA-256: the migration
that added keys signed every entry again.)
"""

import datetime as dt
import hashlib
import hmac
from decimal import Decimal

from django.conf import settings

SEPARATOR = "\x1f"
QUANTUM = Decimal("0.0001")


def text_digest(note: str, gift_card: str) -> str:
    return hashlib.sha256(f"{note}{SEPARATOR}{gift_card}".encode()).hexdigest()


def _amount(value: Decimal) -> str:
    return format(Decimal(value).quantize(QUANTUM), "f")


def entry_hash(
    *,
    previous: str,
    wallet_id: int,
    seq: int,
    subscription_id: int | None,
    activity: str,
    gift_card_status: str,
    amount: Decimal,
    balance_after: Decimal,
    credit_type: str,
    currency: str,
    created_at: dt.datetime,
    transaction_id: str,
    operation_id: int | None,
    text_digest: str,
    approved_by_name: str = "",
    key: bytes | None = None,
) -> str:
    """The hash of one entry, chained to `previous` (empty for a wallet's first entry): an
    HMAC-SHA256 with `key`, or (the chain as first written, without a key) plain SHA-256.

    The approver's name, on an entry that waited for approval, is hashed after the other
    fields; an entry without one hashes exactly as entries did before approvals existed."""
    fields: tuple[str, ...] = (
        previous,
        str(wallet_id),
        str(seq),
        str(subscription_id or ""),
        activity,
        gift_card_status,
        _amount(amount),
        _amount(balance_after),
        credit_type,
        currency,
        created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        transaction_id,
        str(operation_id or ""),
        text_digest,
    )
    if approved_by_name:
        fields += (approved_by_name,)
    message = SEPARATOR.join(fields).encode()
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def signing_key() -> tuple[str, bytes]:
    """(id, key) that new entries are signed with: LEDGER_KEY_ID of LEDGER_KEYS."""
    key_id = settings.LEDGER_KEY_ID
    return key_id, settings.LEDGER_KEYS[key_id].encode()


def key_for(key_id: str) -> bytes | None:
    """The key an entry names, or None when no configured key has that id."""
    secret = settings.LEDGER_KEYS.get(key_id) if key_id else None
    return secret.encode() if secret else None


def sign(key: bytes, text: str) -> str:
    """An HMAC-SHA256 of `text` (the ledger's checkpoints are signed with it)."""
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


# The entry's fields that entry_hash takes, in a form .values() can give them.
HASHED_FIELDS = (
    "wallet_id",
    "seq",
    "subscription_id",
    "activity",
    "gift_card_status",
    "amount",
    "balance_after",
    "credit_type",
    "currency",
    "created_at",
    "transaction_id",
    "operation_id",
    "text_digest",
)
# Hashed too, but newer than the chain's first migration (which reads HASHED_FIELDS as its
# models were then): the name of the person who approved the entry, if one had to.
ENDORSEMENT_FIELDS = ("approved_by_name",)
