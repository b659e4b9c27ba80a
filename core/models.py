"""What the ground keeps itself: who was given a money role, at whose request, and who agreed.

A money role (core.roles.MONEY_ROLES) is never given by one person alone: an administrator asks
for it, and it takes effect when a second administrator (neither the asker nor the user) approves
(staff.services.roles). The grants are read by the four-eyes checks of money: an approver whose
money role the requester asked for or approved, or whose money role is younger than the
cooling-off period, may not approve that requester's money (credits.services.approvals).
"""

import pgtrigger
from django.conf import settings
from django.db import models
from django.utils import timezone

from core import triggers
from core.roles import Role


class RoleGrant(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved"
        REFUSED = "refused", "Refused"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_grants"
    )
    role = models.CharField(max_length=40, choices=[(r.value, r.value) for r in Role])
    state = models.CharField(max_length=10, choices=State, default=State.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_by_name = models.CharField(max_length=150)
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_by_name = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    # Personal data, field by field (core.personal_data): staff, not customers.
    PERSONAL_DATA: dict[str, str] = {}
    NO_PERSONAL_DATA = ("role", "state", "requested_by_name", "decided_by_name")

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = "money role grant"
        default_permissions = ("view", "change")
        triggers = [
            triggers.no_delete(),
            triggers.no_truncate(),
            # Who asked for what never changes; the decision is written once.
            triggers.written_once(
                "user",
                "role",
                "requested_by_name",
                "requested_at",
                until=pgtrigger.Q(old__state__in=["approved", "refused"]),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=models.Q(state="pending"),
                name="role_grant_one_pending",
            ),
            models.CheckConstraint(
                condition=models.Q(state="pending", decided_at__isnull=True)
                | (~models.Q(state="pending") & models.Q(decided_at__isnull=False)),
                name="role_grant_decided_when_decided",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} for {self.user} ({self.get_state_display()})"
