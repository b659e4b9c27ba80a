"""The ledger's primitives, which every credit service is built from.

- `wallet_for`, `lock` and `append` move a wallet: under the row lock, each entry gets the
  wallet's next `seq` and the balance after it, in the transaction that moves the balance
  (and is counted into its day total, credits.services.day_totals, recorded on the
  account's timeline, credits.services.timeline, and kept in the wallet's lots,
  credits.services.lots: a grant or redemption adds a lot, a draw-down takes from lots in the
  published order, a refund gives back to the lots it came from).
- `once` makes a call idempotent by its key.

What they build from is a `LedgerRequest`, the input validated once by `ledger_request`
(credits.services.validation).
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Subscription
from activity.services import event_statements
from core import citus
from core.errors import KEY_REUSED, Conflict, check_idempotency_key
from core.money import Unit
from core.statements import Prepared
from credits import chain
from credits.models import Activity, CreditEntry, CreditLot, CreditOperation, CreditWallet
from credits.services import day_totals, lots, timeline, wallet_months
from credits.services.validation import BEFORE_LAST_ENTRY, LedgerRequest

# --- Wallets, locks, entries ----------------------------------------------------------------


def not_enough_credit(amount: Decimal, balance: Decimal, currency: str) -> ValidationError:
    """The refusal of taking `amount` from a wallet that holds `balance`."""
    return ValidationError(
        {
            "amount": f"Not enough credit: {Unit(currency).describe(amount)} is more than the "
            f"balance of {Unit(currency).describe(balance)}."
        }
    )


def wallet_for(
    request: LedgerRequest, *, subscription: Subscription | None = None, create: bool
) -> CreditWallet | None:
    """The wallet of the request's unit for its account (or `subscription`'s); made when
    `create`, else None where there is none."""
    lookup = {
        "account": request.account,
        "subscription": subscription,
        "credit_type": request.credit_type,
        "currency": request.currency,
    }
    # By its key alone (the unit's unique index): the wallets' own ordering would join the
    # accounts and subscriptions to sort the one row.
    wallet = CreditWallet.objects.filter(**lookup).order_by("pk").first()
    if wallet is not None or not create:
        return wallet
    try:
        # A savepoint: a concurrent first grant may create the same wallet a moment earlier.
        with transaction.atomic():
            return CreditWallet.objects.create(**lookup)
    except IntegrityError:
        return CreditWallet.objects.get(**lookup)


def lock(*wallets: CreditWallet | None) -> list[CreditWallet]:
    """Lock the wallets' rows for this transaction and return them fresh from the database,
    in the order given (None left out).

    The rows are locked in primary-key order, whatever order the caller needs them in: two
    writers that both need wallets A and B then both wait for A first, and neither can hold B
    while waiting for A (a deadlock). The balance read under the lock is the one to build on.
    """
    present = [w for w in wallets if w is not None]
    ids = [w.pk for w in present]
    # The wallets of one operation are one account's: named, so that on Citus the lock is
    # taken on that account's node alone.
    accounts = {w.account_id for w in present}
    locked = {
        w.pk: w
        for w in CreditWallet.objects.select_for_update()
        .filter(account_id__in=accounts, pk__in=ids)
        .order_by("pk")
    }
    return [locked[pk] for pk in ids]


def locked_wallets(
    request: LedgerRequest, subscription: Subscription | None
) -> list[CreditWallet | None]:
    """The request's unit's wallets, `subscription`'s (when given) and the account's own, in
    that order, locked for this transaction in one query (None where there is none):
    `wallet_for` and `lock` together, for a writer that only moves wallets that exist. The
    rows are locked in primary-key order, as `lock` locks them."""
    unit: dict[str, Any] = {
        "account": request.account.pk,
        "credit_type": request.credit_type,
        "currency": request.currency,
    }
    if subscription is None:
        return [next(iter(_ACCOUNTS_WALLET(**unit)), None)]
    found = {w.subscription_id: w for w in _BOTH_WALLETS(**unit, subscription=subscription.pk)}
    return [found.get(subscription.pk), found.get(None)]


def _unit(account: int, credit_type: str, currency: str) -> QuerySet[CreditWallet]:
    return (
        CreditWallet.objects.select_for_update()
        .filter(account_id=account, credit_type=credit_type, currency=currency)
        .order_by("pk")
    )


# The two reads of `locked_wallets`, compiled once: the ORM's compiling of the lock took
# longer than the query, on every charge.
_UNIT = {"account": -7_000_001, "credit_type": "\x00credit type", "currency": "\x00currency"}
_ACCOUNTS_WALLET = Prepared(lambda **unit: _unit(**unit).filter(subscription__isnull=True), **_UNIT)
_BOTH_WALLETS = Prepared(
    lambda subscription, **unit: _unit(**unit).filter(
        Q(subscription_id=subscription) | Q(subscription__isnull=True)
    ),
    **_UNIT,
    subscription=-7_000_002,
)


def append(
    wallet: CreditWallet,
    request: LedgerRequest,
    *,
    activity: str,
    amount: Decimal,
    operation: CreditOperation | None,
    gift_card_status: str = "",
    subscription: Subscription | None = None,
    from_lot: CreditLot | None = None,
    open_lots: list[CreditLot] | None = None,
) -> CreditEntry:
    """Write the next entry of a wallet whose row the caller has locked, move its balance, and
    record the movement on the account's timeline.

    `amount` is signed. The entry's seq is the wallet's next number and its balance_after the
    wallet's balance plus the amount, in the same transaction as the wallet's update. The
    entry's subscription is the wallet's, or `subscription`, the one the activity concerns (a
    subscription's billing that draws on the account's wallet).

    `from_lot` (an expiry's, locked by the caller): the entry takes from that lot alone instead
    of drawing down in the published order. `open_lots`: the wallet's open lots, when the
    caller has locked them already (credits.services.lots.lock_open).
    """
    balance = wallet.balance + amount
    if balance < 0:
        raise not_enough_credit(-amount, wallet.balance, wallet.currency)
    # Entries are dated in their wallet's order: a given date no earlier than the newest entry's,
    # and "now" never before it either (an integration may date an entry minutes ahead).
    newest = wallet.last_entry_at
    if newest is None and wallet.last_seq:
        newest = wallet.entries.order_by("-seq").values_list("created_at", flat=True).first()
    created_at = request.created_at or timezone.now()
    if newest is not None and created_at < newest:
        if request.created_at is not None:
            raise ValidationError({"created_at": BEFORE_LAST_ENTRY})
        created_at = newest
    # The lots it takes from or gives back to, planned (and locked) before anything is written:
    # lots that cannot cover a draw-down refuse it here. A draw-down takes only from lots that
    # have not expired on the entry's local day.
    shares: list[lots.Share] = []
    if from_lot is not None:
        shares = [lots.Share(from_lot, amount)]
    elif amount < 0:
        shares = lots.draw_down(
            wallet, -amount, on=timezone.localdate(created_at), open_lots=open_lots
        )
    elif activity == Activity.REFUND:
        shares = lots.give_back(wallet, request.transaction_id, amount)
    if subscription is None:
        subscription = subscription_of(request, wallet.subscription_id)
    entry = CreditEntry(
        wallet=wallet,
        account_id=wallet.account_id,
        subscription_id=subscription.pk if subscription else None,
        credit_type=wallet.credit_type,
        currency=wallet.currency,
        seq=wallet.last_seq + 1,
        activity=activity,
        gift_card=request.gift_card,
        gift_card_status=gift_card_status,
        amount=amount,
        balance_after=balance,
        transaction_id=request.transaction_id,
        note=request.note,
        created_at=created_at,
        recorded_at=timezone.now(),
        **request.actor.as_fields(),
        approved_by=request.approved_by,
        approved_by_name=request.approved_by_name,
        operation=operation,
        text_digest=chain.text_digest(request.note, request.gift_card),
    )
    # Its timeline event, validated before anything is written.
    event = timeline.entry_event(entry, wallet, request, subscription)
    entry.key_id, key = chain.signing_key()
    entry.hash = chain.entry_hash(
        previous=wallet.last_hash,
        key=key,
        **{name: getattr(entry, name) for name in chain.HASHED_FIELDS + chain.ENDORSEMENT_FIELDS},
    )
    wallet.balance = balance
    if amount > 0:
        wallet.added += amount
    else:
        wallet.removed += amount
    wallet.last_seq = entry.seq
    wallet.last_hash = entry.hash
    wallet.last_entry_at = created_at
    # The wallet's move, the entry, its day total, its wallet's month-end balance, its event,
    # its allocations and lots: one statement on PostgreSQL.
    lot = lots.lot_of(entry, request, shares)
    also = [wallet_months.statement(entry)]
    if event is not None:
        also += event_statements(event)
    if citus.writes_combine():
        also = [_moved(wallet), *also, *lots.statements(entry, shares, lot)]
        day_totals.write(entry, also=also)
    else:
        wallet.save(update_fields=MOVED)
        day_totals.write(entry, also=also)
        lots.save(entry, shares, lot)
    return entry


# What an entry changes of its wallet.
MOVED = ("balance", "added", "removed", "last_seq", "last_hash", "last_entry_at")


def _moved(wallet: CreditWallet) -> tuple[str, list[Any]]:
    """The UPDATE that `wallet.save(update_fields=MOVED)` runs, as a part of the entry's
    statement (the caller holds the wallet's row lock)."""
    fields = [f for f in CreditWallet._meta.concrete_fields if f.name in MOVED]
    quote = connection.ops.quote_name
    columns = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    values = [
        field.get_db_prep_save(getattr(wallet, field.attname), connection) for field in fields
    ]
    table = quote(CreditWallet._meta.db_table)
    return (
        f"UPDATE {table} SET {columns} WHERE account_id = %s AND id = %s",
        [*values, wallet.account_id, wallet.pk],
    )


def subscription_of(request: LedgerRequest, pk: int | None) -> Subscription | None:
    """The request's account's subscription `pk` (None for None): the request's own when it is
    that one, as when the services find a subscription's wallet by it (no query)."""
    if pk is None:
        return None
    if request.subscription is not None and request.subscription.pk == pk:
        return request.subscription
    return Subscription.objects.get(account=request.account, pk=pk)


# --- Idempotency ----------------------------------------------------------------------------

T = TypeVar("T")


def once(
    *,
    service: str,
    key: str | None,
    request: dict[str, Any],
    run: Callable[[CreditOperation | None], T],
    replay: Callable[[CreditOperation], T],
) -> tuple[T, bool]:
    """Run `run(operation)` once per idempotency key; return its result and whether it was a
    replay (the key seen before: nothing written now).

    Without a key, just run. With a key seen before on the request's account (keys are each
    account's): the same service and request return `replay(operation)`; anything else is a
    Conflict. The operation row is inserted before the work, so a concurrent call with the same
    key waits on its unique index and then replays what the first call committed: of two
    racing first calls, exactly one runs.
    """
    key = check_idempotency_key(key)
    if key is None:
        return run(None), False
    # Keys are the account's: the request names it (LedgerRequest.as_json).
    keyed = CreditOperation.objects.filter(account_id=request["account"], key=key)
    previous = keyed.first()
    if previous is None:
        try:
            with transaction.atomic():
                operation = CreditOperation.objects.create(
                    account_id=request["account"], key=key, service=service, request=request
                )
                return run(operation), False
        except IntegrityError:
            previous = keyed.first()
            if previous is None:
                raise
    if previous.service != service or previous.request != request:
        raise Conflict({"idempotency_key": KEY_REUSED})
    return replay(previous), True


def only_entry(operation: CreditOperation) -> CreditEntry:
    """What a replay of a one-entry operation returns: its entry."""
    return operation.entries.get()


def keyed_entry(
    *,
    service: str,
    key: str | None,
    request: dict[str, Any],
    run: Callable[[CreditOperation | None], CreditEntry],
) -> CreditEntry:
    """`once` for the services that write one entry: the entry, marked `replayed` when the key
    returned an earlier call's entry."""
    entry, replayed = once(service=service, key=key, request=request, run=run, replay=only_entry)
    entry.replayed = replayed
    return entry
