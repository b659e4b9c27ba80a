"""The entries: each movement of a wallet, append-only and hash-chained; and the idempotent
operation (a service call under an idempotency key) that entries point back to."""

import functools
import operator

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core import triggers
from core.actors import MAX_ACTOR_NAME, Attributed
from core.cards import no_card_number
from core.money import CreditType, Unit
from credits.models.amounts import _unit_constraints, amount_field
from credits.models.wallets import CreditWallet
from credits.operations import (
    ADDING,
    GIFT_CARD_ACTIVITIES,
    NOT_MOVING,
    SUBTRACTING,
    Activity,
    credit_permissions,
)

# The trigger that makes entries append-only. Anonymisation (redacting a note in place) is the
# only path that may bypass it, through `pgtrigger.ignore(APPEND_ONLY_TRIGGER)`.
APPEND_ONLY_TRIGGER = "credits.CreditEntry:append_only"


class GiftCardStatus(models.TextChoices):
    """What the payment processor answered to a gift card status inquiry."""

    ACTIVE = "active", "Active"
    DEACTIVE = "deactive", "Deactive"
    REDEMPTION_PENDING = "redemption_pending", "Redemption Pending"
    UNKNOWN = "unknown", "Unknown"


def _moves_nothing() -> Q:
    """An activity that moves nothing has an amount of zero (one condition per activity)."""
    conditions = [Q(activity=code, amount=0) for code in NOT_MOVING]
    return functools.reduce(operator.or_, conditions)


class CreditOperation(models.Model):
    """One call of a credit service made with an idempotency key: what was asked and what it
    left to bill. A second call with the same key and the same request returns the stored
    result; with another request it is refused. Its entries point back here (a consumption
    may write two entries, or none, under one key)."""

    # A key names one call per account: the account's rows are where a replay is looked up
    # (on Citus, on the account's node alone).
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    key = models.CharField("idempotency key", max_length=100)
    service = models.CharField(max_length=40)
    request = models.JSONField()
    remainder = amount_field(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    # Personal data, field by field (core.personal_data).
    PERSONAL_DATA = {"request": "the note and gift card code in it are replaced"}
    NO_PERSONAL_DATA = ("key", "service")

    class Meta:
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(fields=["account", "key"], name="credit_operation_key"),
        ]
        triggers = [
            # The remainder is written once, by the call that made the operation.
            triggers.written_once(
                "account",
                "key",
                "service",
                "request",
                "created_at",
                until=pgtrigger.Q(old__remainder__isnull=False),
            ),
            triggers.no_delete(),
            triggers.no_truncate(),
        ]

    def __str__(self):
        return f"{self.service} {self.key}"


class CreditEntryQuerySet(models.QuerySet):
    def for_account(self, account):
        return self.filter(account=account)

    def newest_first(self):
        return self.order_by("-created_at", "-id")


class CreditEntry(Attributed):
    # The composite indexes below start with wallet, account and subscription, so the foreign
    # keys need no index of their own.
    wallet = models.ForeignKey(
        CreditWallet, on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="credit_entries", db_index=False
    )
    subscription = models.ForeignKey(
        "accounts.Subscription",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_entries",
        db_index=False,
    )
    # The wallet's unit, copied (a wallet never changes unit) so that constraints can require
    # whole tokens and the Credit Activity page can filter and show the unit without a join.
    credit_type = models.CharField("type", max_length=10, choices=CreditType)
    currency = models.CharField(max_length=3, blank=True)
    seq = models.PositiveIntegerField("number in wallet")
    activity = models.CharField(max_length=30, choices=Activity)
    gift_card = models.CharField(max_length=40, blank=True, help_text="Masked gift card number")
    gift_card_status = models.CharField(max_length=20, choices=GiftCardStatus, blank=True)
    amount = amount_field()
    balance_after = amount_field("balance")
    transaction_id = models.CharField("transaction", max_length=64, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    operation = models.ForeignKey(
        CreditOperation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
    )
    # Tamper evidence (credits.chain): the SHA-256 of the note and gift card code as written,
    # and the entry's hash (an HMAC under the key named by key_id, kept outside the database),
    # chained to the previous entry's in its wallet.
    text_digest = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)
    key_id = models.CharField(max_length=40, blank=True, editable=False)
    # When anonymisation replaced the note and gift card code (the digest stays as written).
    redacted_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The second person of an operation that was over its requester's limit (the actor above
    # is the requester): kept by name too, and part of the entry's hash.
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    # A database default too: rows written by COPY (the benchmark) or by older code need none.
    approved_by_name = models.CharField(
        max_length=MAX_ACTOR_NAME, blank=True, default="", db_default=""
    )
    # When the entry was written, whatever time it is dated (`created_at` may be given, e.g. a
    # billing run's): the daily grant limit counts by it. Empty on entries older than limits.
    recorded_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = CreditEntryQuerySet.as_manager()

    # Not stored: True on the entry a service returns for a repeated idempotency key (the first
    # call wrote it; this one wrote nothing). The API answers such a call with a 200.
    replayed = False

    # Personal data, field by field (core.personal_data).
    PERSONAL_DATA = {
        "note": "replaced; its digest stays, so the hash chain holds",
        "gift_card": "replaced; its digest stays, so the hash chain holds",
    }
    NO_PERSONAL_DATA = (
        "credit_type", "currency", "activity", "gift_card_status", "transaction_id",
        "actor_name", "text_digest", "hash", "approved_by_name", "key_id",
    )  # fmt: skip

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "credit entries"
        default_permissions = ("view",)
        # Seeing and downloading the ledger, the operations' own (credits.operations), the
        # roll-forward.
        permissions = credit_permissions()  # type: ignore[assignment]
        indexes = [
            # The Credit Activity page: newest first, alone or behind each of its filters.
            models.Index(fields=["-created_at", "-id"], name="credit_entry_time_idx"),
            models.Index(
                fields=["account", "-created_at", "-id"], name="credit_entry_account_time_idx"
            ),
            models.Index(
                fields=["subscription", "-created_at", "-id"], name="credit_entry_sub_time_idx"
            ),
            models.Index(
                fields=["activity", "-created_at", "-id"], name="credit_entry_activity_time_idx"
            ),
            models.Index(
                fields=["credit_type", "-created_at", "-id"], name="credit_entry_type_time_idx"
            ),
            # A wallet's balance as of an instant: its last entry at or before it, found by one
            # backward step of an index-only scan (credits.rollforward); the amounts of a
            # wallet's entries in a period likewise (the roll-forward's drill-down).
            models.Index(
                fields=["wallet", "created_at", "seq"],
                include=["balance_after", "amount"],
                name="credit_entry_wallet_asof_idx",
            ),
            # The movements of a period, summed per unit and activity from the index alone: a
            # month's entries lie all over the table (each wallet's entries are scattered in
            # time), so reading them from the heap costs a page visit each.
            models.Index(
                fields=["created_at"],
                include=["credit_type", "currency", "activity", "amount"],
                name="credit_entry_period_idx",
            ),
            # The day's grants of one person (their daily limit).
            models.Index(
                fields=["actor", "recorded_at"],
                condition=Q(activity=Activity.GRANT, actor__isnull=False),
                name="credit_entry_grant_actor_idx",
            ),
            models.Index(
                fields=["actor_name", "recorded_at"],
                condition=Q(activity=Activity.GRANT, actor__isnull=True),
                name="credit_entry_grant_system_idx",
            ),
            # A transaction's entries (its page, refunds of a consumption).
            models.Index(
                fields=["transaction_id"],
                condition=~Q(transaction_id=""),
                name="credit_entry_transaction_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["wallet", "seq", "account"], name="credit_entry_seq_per_wallet"
            ),
            models.CheckConstraint(condition=Q(seq__gte=1), name="credit_entry_seq_gte_1"),
            models.CheckConstraint(
                condition=Q(activity__in=ADDING, amount__gt=0)
                | Q(activity__in=SUBTRACTING, amount__lt=0)
                | _moves_nothing(),
                name="credit_entry_sign_matches_activity",
            ),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="credit_entry_balance_after_gte_0"
            ),
            models.CheckConstraint(
                condition=(Q(activity=Activity.GIFT_CARD_STATUS_INQUIRY) & ~Q(gift_card_status=""))
                | (~Q(activity=Activity.GIFT_CARD_STATUS_INQUIRY) & Q(gift_card_status="")),
                name="credit_entry_status_only_on_inquiry",
            ),
            models.CheckConstraint(
                condition=(Q(activity__in=GIFT_CARD_ACTIVITIES) & ~Q(gift_card=""))
                | (~Q(activity__in=GIFT_CARD_ACTIVITIES) & Q(gift_card="")),
                name="credit_entry_gift_card_on_gift_card_activity",
            ),
            *_unit_constraints("credit_entry", ("amount", "balance_after")),
            models.CheckConstraint(
                condition=no_card_number("note") & no_card_number("gift_card"),
                name="credit_entry_no_card_number",
            ),
        ]
        triggers = [triggers.append_only(), triggers.no_truncate()]

    def __str__(self):
        return f"{self.get_activity_display()} {self.unit.describe(self.amount)}"

    @property
    def unit(self) -> Unit:
        return Unit.of(self.credit_type, self.currency)

    @property
    def lots_text(self) -> str:
        """Which lots the entry moved: `paid from: goodwill lot of 2026-03-01, 120.00 SEK` for a
        draw-down, `returned to: ...` for a refund; "" for an entry that moved none (one that
        made its own lot, or one older than lots). Reads `allocations`: prefetch them
        (credits.selectors.with_allocations)."""
        allocations = list(self.allocations.all())
        if not allocations:
            return ""
        lead = "paid from" if self.amount < 0 else "returned to"
        return f"{lead}: " + "; ".join(a.describe() for a in allocations)
