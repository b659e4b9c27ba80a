"""Expiry: the credit of a lot left unused past its expiry date (breakage) is taken off its
wallet by an entry of its own, Credit Expired, recorded by System.

A lot expires at the end of its `expires_on` day in the site's time zone: on the next day, a
draw-down no longer takes from it (credits.services.lots.draw_down) and the expiry run writes
its entry. The run (`credit_lots_expire`) is started by the background worker every
LOT_EXPIRY_INTERVAL_SECONDS (credits.tasks) and by `manage.py expire_lots`.

Each entry takes exactly what the lot has left, from that lot alone (one allocation), and
leaves every other lot as it is. Each wallet is expired in a transaction of its own, under the
wallet's row lock that every ledger write takes, and its due lots are read again under it: a
second run, at the same moment or later, finds nothing left to expire, and a wallet that fails
is reported without stopping the others.
"""

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from core.actors import Actor
from core.money import Unit
from credits.models import Activity, CreditLot, CreditWallet
from credits.services import lots
from credits.services.ledger import append
from credits.services.validation import ledger_request

logger = logging.getLogger(__name__)

EXPIRY_IN_FUTURE = (
    "The day to expire lots as of is after today ({today}): lots expire only once their day "
    "has passed. Give today or an earlier day."
)
# Wallets read per query while looking for due lots (each is then expired on its own).
WALLET_BATCH = 500


@dataclass
class ExpiryRun:
    """What a run did: the lots it expired and their credit per unit ("SEK", "tokens"), and
    the wallets it could not expire, each with the reason (their lots are left for the next
    run)."""

    today: dt.date
    lots: int = 0
    amounts: dict[Unit, Decimal] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """`2 lot(s) expired: 75.00 SEK, 20 tokens.`, and the failures."""
        moved = ", ".join(
            unit.describe(amount)
            for unit, amount in sorted(self.amounts.items(), key=lambda i: str(i[0]))
        )
        text = f"{self.lots} lot(s) expired" + (f": {moved}." if moved else ".")
        if self.failures:
            text += f" {len(self.failures)} wallet(s) failed: " + "; ".join(self.failures)
        return text


def _due_lots(wallet: CreditWallet, today: dt.date) -> list[CreditLot]:
    # Read again under the wallet's lock, and locked in primary-key order as every path that
    # locks lots does: what another run expired meanwhile is gone.
    return lots.locked(wallet, remaining__gt=0, expires_on__lt=today)


def _expire_wallet(wallet_id: int, account_id: int, today: dt.date, run: ExpiryRun) -> None:
    with transaction.atomic():
        # The wallet's row lock, as every ledger write takes it (one wallet: no order to keep);
        # the account named so that on Citus it is taken on the account's node alone.
        wallet = (
            CreditWallet.objects.select_for_update(of=("self",))
            .select_related("account", "subscription__product")
            .get(pk=wallet_id, account_id=account_id)
        )
        for lot in _due_lots(wallet, today):
            request = ledger_request(
                actor=Actor.system(),
                account=wallet.account,
                subscription=wallet.subscription,
                credit_type=wallet.credit_type,
                currency=wallet.currency,
                amount=lot.remaining,
                # An anonymised account keeps no notes.
                note=""
                if wallet.account.is_anonymised
                else f"{lot.label.capitalize()} expired at the end of {lot.expires_on}.",
                bounded=False,
            )
            amount = lot.remaining
            append(
                wallet,
                request,
                activity=Activity.EXPIRY,
                amount=-amount,
                operation=None,
                from_lot=lot,
            )
            run.lots += 1
            run.amounts[wallet.unit] = run.amounts.get(wallet.unit, Decimal(0)) + amount


def credit_lots_expire(*, today: dt.date | None = None) -> ExpiryRun:
    """Expire every lot whose `expires_on` is before `today` (the site's local date unless
    given; never a later day) and that has credit left: one Credit Expired entry per lot, of
    what it has left. Idempotent: a lot expired once has nothing left, and a second run writes
    nothing. Returns what it expired, and which wallets failed and why."""
    local_today = timezone.localdate()
    today = today or local_today
    if today > local_today:
        raise ValidationError({"today": EXPIRY_IN_FUTURE.format(today=local_today)})
    run = ExpiryRun(today=today)
    after = 0
    while True:
        # The wallets with due lots, in primary-key order (through the index of open lots
        # that expire), a batch at a time.
        batch = list(
            CreditLot.objects.filter(remaining__gt=0, expires_on__lt=today, wallet_id__gt=after)
            .values_list("wallet_id", "account_id")
            .distinct()
            .order_by("wallet_id")[:WALLET_BATCH]
        )
        for wallet_id, account_id in batch:
            try:
                _expire_wallet(wallet_id, account_id, today, run)
            except (ValidationError, DatabaseError) as error:
                logger.exception("Expiring the lots of wallet %s failed", wallet_id)
                run.failures.append(f"wallet {wallet_id}: {type(error).__name__}: {error}")
        if len(batch) < WALLET_BATCH:
            break
        after = batch[-1][0]
    if run.lots or run.failures:
        logger.info("Credit expiry as of %s: %s", today, run.describe())
    return run
