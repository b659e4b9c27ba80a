"""The credit ledger.

A `CreditWallet` holds one unit of credit (tokens, or one currency) for an account or for one
of its subscriptions, with its current balance. A `CreditEntry` is one movement in a wallet:
numbered per wallet (`seq`, no gaps), signed by its activity, with the balance after it.
Entries are never changed or deleted (a trigger refuses it on PostgreSQL); a mistake is
corrected by a new entry. Every write goes through `credits.services`, which keeps
`balance_after` = previous `balance_after` + `amount` and the wallet's balance = its last
entry's `balance_after`; `verify_ledger` checks both.
"""

import functools
import operator
from decimal import Decimal
from typing import Any

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.urls import reverse
from django.utils import timezone

from core import money, triggers
from core.actors import MAX_ACTOR_NAME, Attributed
from core.cards import no_card_number
from core.downloads import DownloadRecord
from core.money import CreditType, Unit
from credits.operations import (
    ADDING,
    GIFT_CARD_ACTIVITIES,
    NOT_MOVING,
    SUBTRACTING,
    Activity,
    ApprovalOperation,
    credit_permissions,
)

# Half the smallest amount kept (four decimals).
HALF_QUANTUM = Decimal("0.00005")


def amount_field(verbose_name: str | None = None, **kwargs: Any) -> models.DecimalField:
    """An amount or balance: four decimals hold every currency's minor units (CLDR has none
    above four); tokens use none."""
    return models.DecimalField(verbose_name, max_digits=18, decimal_places=4, **kwargs)


# The trigger that makes entries append-only. Anonymisation (redacting a note in place) is the
# only path that may bypass it, through `pgtrigger.ignore(APPEND_ONLY_TRIGGER)`.
APPEND_ONLY_TRIGGER = "credits.CreditEntry:append_only"


class GiftCardStatus(models.TextChoices):
    """What the payment processor answered to a gift card status inquiry."""

    ACTIVE = "active", "Active"
    DEACTIVE = "deactive", "Deactive"
    REDEMPTION_PENDING = "redemption_pending", "Redemption Pending"
    UNKNOWN = "unknown", "Unknown"


def _unit_constraints(prefix: str, amount_fields: tuple[str, ...]) -> list:
    """A token row has no currency and whole amounts; a currency row names its currency."""
    whole = Q()
    for name in amount_fields:
        whole &= Q(**{name: Round(F(name))})
    return [
        models.CheckConstraint(
            condition=Q(credit_type=CreditType.TOKEN, currency="")
            | (Q(credit_type=CreditType.CURRENCY) & ~Q(currency="")),
            name=f"{prefix}_currency_matches_type",
        ),
        models.CheckConstraint(
            condition=Q(credit_type=CreditType.CURRENCY) | whole,
            name=f"{prefix}_whole_tokens",
        ),
    ]


def _moves_nothing() -> Q:
    """An activity that moves nothing has an amount of zero (one condition per activity)."""
    conditions = [Q(activity=code, amount=0) for code in NOT_MOVING]
    return functools.reduce(operator.or_, conditions)


class CreditWalletQuerySet(models.QuerySet):
    def for_account(self, account):
        return self.filter(account=account)


class CreditWallet(models.Model):
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="credit_wallets"
    )
    # Empty for the account's own wallet; set for a subscription's wallet.
    subscription = models.ForeignKey(
        "accounts.Subscription",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_wallets",
    )
    credit_type = models.CharField(max_length=10, choices=CreditType)
    currency = models.CharField(
        max_length=3,
        blank=True,
        validators=[money.validate_currency_code],
        help_text="Empty for tokens",
    )
    balance = amount_field(default=0)
    # Running totals of the wallet's entries: all it ever added, and all it ever removed
    # (negative); balance = added + removed. Credit Activity's totals over whole wallets (no
    # filter, or one on the account or the unit) sum these instead of the ledger.
    added = amount_field(default=0, db_default=0)
    removed = amount_field(default=0, db_default=0)
    # The seq of the newest entry: the next entry is last_seq + 1.
    last_seq = models.PositiveIntegerField(default=0)
    # The hash of the newest entry, which the next entry's hash covers (credits.chain).
    last_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = CreditWalletQuerySet.as_manager()

    # Personal data, field by field (core.personal_data).
    PERSONAL_DATA: dict[str, str] = {}
    NO_PERSONAL_DATA = ("credit_type", "currency", "last_hash")

    class Meta:
        ordering = ["account", "subscription", "credit_type", "currency"]
        default_permissions = ("view",)
        # Balances move with every entry; a wallet is never removed.
        triggers = [triggers.no_delete(), triggers.no_truncate()]
        constraints = [
            # One wallet per unit for the account itself and per unit for each subscription.
            # Two partial constraints rather than one over a NULL-able column: NULLs are
            # distinct in a unique index, which would let two account wallets through.
            models.UniqueConstraint(
                fields=["account", "credit_type", "currency"],
                condition=Q(subscription__isnull=True),
                name="credit_wallet_one_per_account_unit",
            ),
            # The account last in each key: a subscription (and a wallet) belongs to one
            # account, so it changes nothing here, and a table distributed by account needs it.
            models.UniqueConstraint(
                fields=["subscription", "credit_type", "currency", "account"],
                condition=Q(subscription__isnull=False),
                name="credit_wallet_one_per_subscription_unit",
            ),
            models.CheckConstraint(condition=Q(balance__gte=0), name="credit_wallet_balance_gte_0"),
            # Within half the smallest amount rather than equal: SQLite (`make run`) computes
            # decimals as floating point; PostgreSQL is exact either way.
            models.CheckConstraint(
                condition=Q(
                    balance__gt=F("added") + F("removed") - HALF_QUANTUM,
                    balance__lt=F("added") + F("removed") + HALF_QUANTUM,
                    added__gte=0,
                    removed__lte=0,
                ),
                name="credit_wallet_balance_is_its_totals",
            ),
            *_unit_constraints("credit_wallet", ("balance",)),
        ]

    def __str__(self):
        return f"{self.scope_label} · {self.unit} · {self.account.customer_number}"

    @property
    def scope_label(self) -> str:
        return self.subscription.order_id if self.subscription else "Account"

    @property
    def unit(self) -> Unit:
        return Unit.of(self.credit_type, self.currency)


class CreditOperation(models.Model):
    """One call of a credit service made with an idempotency key: what was asked and what it
    left to bill. A second call with the same key and the same request returns the stored
    result; with another request it is refused. Its entries point back here (a consumption
    may write two entries, or none, under one key)."""

    key = models.CharField("idempotency key", max_length=100, unique=True)
    service = models.CharField(max_length=40)
    request = models.JSONField()
    remainder = amount_field(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    # Personal data, field by field (core.personal_data).
    PERSONAL_DATA = {"request": "the note and gift card code in it are replaced"}
    NO_PERSONAL_DATA = ("key", "service")

    class Meta:
        default_permissions = ("view",)
        triggers = [
            # The remainder is written once, by the call that made the operation.
            triggers.written_once(
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
    # and the entry's hash, chained to the previous entry's in its wallet.
    text_digest = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)
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
        "actor_name", "text_digest", "hash", "approved_by_name",
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


class CreditExport(DownloadRecord):
    """One CSV download of the Credit Activity (see DownloadRecord)."""

    # Personal data, field by field (core.personal_data).
    PERSONAL_DATA = {
        "filters": "values naming the customer (e-mail, name) are replaced; all values are "
        "removed after RETENTION_DAYS"
    }
    NO_PERSONAL_DATA = ("actor_name",)

    class Meta(DownloadRecord.Meta):
        pass


class ApprovalState(models.TextChoices):
    PENDING = "pending", "Waiting"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    EXPIRED = "expired", "Expired"


class CreditApprovalQuerySet(models.QuerySet):
    def waiting(self, now=None):
        """Pending and not yet overdue: what an approver can still decide on."""
        return self.filter(state=ApprovalState.PENDING, expires_at__gt=now or timezone.now())


class CreditApproval(Attributed):
    """A credit operation over its requester's limit, waiting for another person (four eyes).

    It keeps the whole operation (`operation`, the unit and amount, the subscription, and in
    `params` the rest the service takes) with the idempotency key it will run under, why
    (`reason`) and when. The actor is the requester. Approval runs the operation once, through
    the same service, as the requester with the approver recorded beside; a rejection keeps the
    approver's reason. Every change of state is an event on the account's timeline.
    """

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="credit_approvals"
    )
    subscription = models.ForeignKey(
        "accounts.Subscription",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    operation = models.CharField(max_length=20, choices=ApprovalOperation)
    credit_type = models.CharField("type", max_length=10, choices=CreditType)
    currency = models.CharField(max_length=3, blank=True)
    amount = amount_field()
    params = models.JSONField(default=dict, blank=True)
    reason = models.TextField()
    idempotency_key = models.CharField(max_length=100, unique=True)
    requested_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=ApprovalState, default=ApprovalState.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_by_name = models.CharField(max_length=MAX_ACTOR_NAME, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # The approver's words on a rejection.
    decision_note = models.TextField(blank=True)
    # What the approved operation wrote: its entry, or (a manual charge or refund) its event.
    entry = models.ForeignKey(
        CreditEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    event = models.ForeignKey(
        "activity.ActivityEvent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    redacted_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = CreditApprovalQuerySet.as_manager()

    # Personal data, field by field (core.personal_data).
    PERSONAL_DATA = {
        "reason": "replaced",
        "decision_note": "replaced",
    }
    NO_PERSONAL_DATA = (
        "operation", "credit_type", "currency", "idempotency_key", "state", "actor_name",
        "decided_by_name", "params",
    )  # fmt: skip

    class Meta:
        ordering = ["-requested_at", "-id"]
        default_permissions = ("view",)
        permissions = [
            ("approve_credit", "Can approve or reject credit operations over a limit"),
        ]
        indexes = [
            models.Index(fields=["state", "-requested_at"], name="credit_approval_state_idx"),
            models.Index(fields=["account", "-requested_at"], name="credit_approval_account_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="credit_approval_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(state=ApprovalState.PENDING, decided_at__isnull=True)
                | (~Q(state=ApprovalState.PENDING) & Q(decided_at__isnull=False)),
                name="credit_approval_decided_when_not_pending",
            ),
        ]
        triggers = [
            # A decided request is final: nothing of it changes again (but anonymisation's
            # redaction of its texts), and no request is ever deleted.
            triggers.written_once(
                "account",
                "operation",
                "credit_type",
                "currency",
                "amount",
                "idempotency_key",
                "requested_at",
                "actor",
                until=~pgtrigger.Q(old__state=ApprovalState.PENDING),
            ),
            triggers.no_delete(),
            triggers.no_truncate(),
        ]

    def __str__(self):
        return f"Request {self.pk}: {self.get_operation_display()} {self.described_amount}"

    def get_absolute_url(self) -> str:
        return reverse("credits:approval", args=[self.pk])

    @property
    def unit(self) -> Unit:
        return Unit.of(self.credit_type, self.currency)

    @property
    def described_amount(self) -> str:
        """`600.00 SEK`: the amount asked for, as the pages' sentences name it."""
        return self.unit.describe(self.amount)

    @property
    def overdue(self) -> bool:
        return self.state == ApprovalState.PENDING and self.expires_at <= timezone.now()


class CreditBalancesExport(DownloadRecord):
    """One CSV download of the credit liability roll-forward or of its wallets (see
    DownloadRecord). Its filters are a period and a unit: they never name a customer."""

    # Personal data, field by field (core.personal_data).
    PERSONAL_DATA = {"filters": "all values removed after RETENTION_DAYS"}
    NO_PERSONAL_DATA = ("actor_name",)

    class Meta(DownloadRecord.Meta):
        verbose_name = "credit balances download"
