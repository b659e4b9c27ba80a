"""Lots: the parts of a wallet's balance, each with its kind, its expiry and what remains of it;
and the allocations that say which lots each draw-down took from (or a refund gave back to).

Every grant, gift card redemption (and, for the balances that predate lots, the opening lot a
migration made) adds a lot to its wallet. A wallet's balance is always the sum of its lots'
`remaining`; `verify_ledger` proves it, and that each lot's `remaining` is its `amount` plus its
allocations. The draw-down order is `draw_down_key`, written here once.
"""

import datetime as dt

import pgtrigger
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core import triggers
from core.money import CreditType, Unit
from credits.models.amounts import _unit_constraints, amount_field
from credits.models.entries import CreditEntry
from credits.models.wallets import CreditWallet


class LotKind(models.TextChoices):
    PAID = "paid", "Paid"
    PROMOTIONAL = "promotional", "Promotional"
    GOODWILL = "goodwill", "Goodwill"


# A kind's place in the draw-down order among lots that expire on the same day: the credit the
# customer did not pay for first. Goodwill is free credit like promotional credit, so it shares
# promotional's place (and then the older lot goes first).
KIND_RANK = {LotKind.PROMOTIONAL: 0, LotKind.GOODWILL: 0, LotKind.PAID: 1}


def draw_down_key(lot: "CreditLot") -> tuple:
    """The draw-down order, the one place it is written: a charge, a revocation or a gift card
    reversal takes from the wallet's lots sorted by this key. Soonest expiry first (lots without
    expiry last); at equal expiry promotional and goodwill before paid; then the oldest lot
    first (by its time, then by its number)."""
    return (
        lot.expires_on is None,
        lot.expires_on or dt.date.max,
        KIND_RANK[LotKind(lot.kind)],
        lot.created_at,
        lot.pk,
    )


class CreditLotQuerySet(models.QuerySet):
    def open(self):
        """The lots with credit left."""
        return self.filter(remaining__gt=0)


class CreditLot(models.Model):
    """One addition of credit to a wallet, and what is left of it."""

    wallet = models.ForeignKey(
        CreditWallet, on_delete=models.PROTECT, related_name="lots", db_index=False
    )
    # The wallet's account, copied: on Citus a lot lives on its account's node, beside its
    # wallet and entries.
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # The entry that added it (a grant or a gift card redemption, or a refund of credit consumed
    # before lots were kept); empty for an opening lot made from a balance older than lots.
    # Without a constraint in the database: the ledger can be partitioned by month, and a row
    # of a partitioned table is found by its ID and month.
    entry = models.ForeignKey(
        CreditEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    # The wallet's unit, copied as entries copy it: amounts are shown without a join, and tokens
    # are held whole by a constraint.
    credit_type = models.CharField("type", max_length=10, choices=CreditType)
    currency = models.CharField(max_length=3, blank=True)
    kind = models.CharField(max_length=12, choices=LotKind)
    # The last day the credit is meant to be used on; empty: it does not expire.
    expires_on = models.DateField(null=True, blank=True)
    amount = amount_field()
    remaining = amount_field()
    created_at = models.DateTimeField(default=timezone.now)

    objects = CreditLotQuerySet.as_manager()

    PERSONAL_DATA: dict[str, str] = {}
    NO_PERSONAL_DATA = ("credit_type", "currency", "kind")

    class Meta:
        # By the wallet's ID, not "wallet" (its own ordering would join the wallets: on Citus a
        # join not on the account).
        ordering = ["wallet_id", "pk"]
        default_permissions = ("view",)
        indexes = [
            # A wallet's lots with credit left: what a draw-down reads and locks.
            models.Index(
                fields=["wallet", "expires_on"],
                condition=Q(remaining__gt=0),
                name="credit_lot_open_idx",
            ),
            # An account's open lots, for its page.
            models.Index(
                fields=["account", "expires_on"],
                condition=Q(remaining__gt=0),
                name="credit_lot_account_open_idx",
            ),
            # Open lots that expire, by day: what the expiry run looks for across every wallet.
            models.Index(
                fields=["expires_on"],
                condition=Q(remaining__gt=0, expires_on__isnull=False),
                name="credit_lot_expiring_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="credit_lot_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(remaining__gte=0, remaining__lte=models.F("amount")),
                name="credit_lot_remaining_within_amount",
            ),
            *_unit_constraints("credit_lot", ("amount", "remaining")),
        ]
        triggers = [
            # Only what remains of a lot changes; what it was never does, and no lot goes away.
            pgtrigger.Protect(
                name="lot_written_once",
                operation=pgtrigger.Update,
                condition=(
                    pgtrigger.Q(old__wallet_id__df=pgtrigger.F("new__wallet_id"))
                    | pgtrigger.Q(old__account_id__df=pgtrigger.F("new__account_id"))
                    | pgtrigger.Q(old__entry_id__df=pgtrigger.F("new__entry_id"))
                    | pgtrigger.Q(old__kind__df=pgtrigger.F("new__kind"))
                    | pgtrigger.Q(old__expires_on__df=pgtrigger.F("new__expires_on"))
                    | pgtrigger.Q(old__amount__df=pgtrigger.F("new__amount"))
                    | pgtrigger.Q(old__created_at__df=pgtrigger.F("new__created_at"))
                ),
            ),
            triggers.no_delete(),
            triggers.no_truncate(),
        ]

    def __str__(self):
        return self.label

    @property
    def unit(self) -> Unit:
        return Unit.of(self.credit_type, self.currency)

    @property
    def label(self) -> str:
        """`goodwill lot of 2026-03-01`: the kind and the local day it was added."""
        day = timezone.localtime(self.created_at).date()
        return f"{self.get_kind_display().lower()} lot of {day:%Y-%m-%d}"

    def expires_within(self, days: int, today: dt.date | None = None) -> bool:
        """Whether the lot's credit expires within `days` days of today (or has expired)."""
        if self.expires_on is None:
            return False
        return self.expires_on <= (today or timezone.localdate()) + dt.timedelta(days=days)


class CreditAllocation(models.Model):
    """How much one entry took from one lot (negative: a draw-down) or gave back to it
    (positive: a refund). Written with the entry, never changed."""

    # Without a constraint in the database, as the lot's entry.
    entry = models.ForeignKey(
        CreditEntry,
        on_delete=models.PROTECT,
        related_name="allocations",
        db_index=False,
        db_constraint=False,
    )
    lot = models.ForeignKey(
        CreditLot, on_delete=models.PROTECT, related_name="allocations", db_index=False
    )
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    amount = amount_field()

    PERSONAL_DATA: dict[str, str] = {}
    NO_PERSONAL_DATA = ()

    class Meta:
        ordering = ["pk"]
        default_permissions = ("view",)
        indexes = [
            # An entry's allocations (the pages' "paid from"), and a lot's (verify_ledger, and
            # a refund looking for where a transaction's credit came from).
            models.Index(fields=["entry"], name="credit_allocation_entry_idx"),
            models.Index(fields=["lot"], name="credit_allocation_lot_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="credit_allocation_amount_not_0"),
        ]
        triggers = [triggers.append_only(), triggers.no_truncate()]

    def __str__(self):
        return self.describe()

    def describe(self) -> str:
        """`goodwill lot of 2026-03-01, 120.00 SEK`."""
        return f"{self.lot.label}, {self.lot.unit.describe(abs(self.amount))}"
