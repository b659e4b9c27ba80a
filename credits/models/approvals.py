"""Requests for approval: a credit operation over its requester's limit, waiting for a second
person (four eyes)."""

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core import triggers
from core.actors import MAX_ACTOR_NAME, Attributed
from core.money import CreditType, Unit
from credits.models.amounts import amount_field
from credits.models.entries import CreditEntry
from credits.operations import ApprovalOperation


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
    # Without a constraint in the database: the ledger is partitioned by month, and a row of a
    # partitioned table is found by its ID and month (the event's likewise).
    entry = models.ForeignKey(
        CreditEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
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
