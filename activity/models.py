import datetime as dt
import uuid

from django.db import models
from django.db.models import Value
from django.db.models.functions import Cast
from django.utils import timezone

from activity.registry import REGISTRY, Category, EventType
from core import partitions, triggers
from core.actors import Attributed
from core.cards import no_card_number
from core.downloads import DownloadRecord

# The trigger that makes the timeline append-only; only anonymisation may bypass it, through
# `pgtrigger.ignore(APPEND_ONLY_TRIGGER)`.
APPEND_ONLY_TRIGGER = "activity.ActivityEvent:append_only"


class ActivityEventQuerySet(models.QuerySet):
    def for_account(self, account):
        # The account as the column's own type (bigint): a plain number is an integer to
        # PostgreSQL, which the search's GIN index on (account, text) cannot compare with its
        # bigint account column; the btree indexes serve either.
        return self.filter(account_id=Cast(Value(account.pk), models.BigIntegerField()))

    def newest_first(self):
        return self.order_by("-occurred_at", "-id")


class ActivityEvent(Attributed):
    """One interaction on an account's timeline (see `activity.registry` for the types)."""

    class Origin(models.TextChoices):
        AGENT = "agent", "Agent"
        API = "api", "API"
        SYSTEM = "system", "System"
        LEGACY = "legacy", "Legacy migration"

    class ActorKind(models.TextChoices):
        AGENT = "agent", "Agent"
        SYSTEM = "system", "System"

    id = models.UUIDField("unique ID", primary_key=True, default=uuid.uuid4, editable=False)
    # Indexed first in event_account_time_idx: an index of its own would only cost every insert.
    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.PROTECT,
        related_name="activity_events",
        db_index=False,
    )
    type = models.CharField(max_length=64)
    occurred_at = models.DateTimeField(default=timezone.now)
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    # Besides `actor` and `actor_name` (Attributed): an agent's, or the system's.
    actor_kind = models.CharField(max_length=10, choices=ActorKind)
    subscription = models.ForeignKey(
        "accounts.Subscription",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activity_events",
    )
    data = models.JSONField(default=dict, blank=True)
    origin = models.CharField(max_length=10, choices=Origin)
    # Free text kept from a migrated legacy entry (the old product's message).
    message = models.TextField(blank=True)

    objects = ActivityEventQuerySet.as_manager()

    # Personal data, field by field (core.personal_data).
    PERSONAL_DATA = {
        "data": "the values of the attributes the registry marks personal are replaced",
        "message": "replaced (the old product's free text)",
    }
    NO_PERSONAL_DATA = ("type", "actor_kind", "actor_name", "origin")
    # Not stored: True on the event a keyed service returns when the key had recorded it
    # already (nothing was recorded now).
    replayed = False

    class Meta:
        ordering = ["-occurred_at", "-id"]
        permissions = [("add_comment", "Can add a comment to an account's activity")]
        indexes = [
            # Keyset pagination of one account's timeline, and the same with a type filter.
            models.Index(fields=["account", "-occurred_at", "-id"], name="event_account_time_idx"),
            models.Index(
                fields=["account", "type", "-occurred_at", "-id"], name="event_acct_type_time_idx"
            ),
        ]
        constraints = [
            # The message kept from a migrated legacy entry, masked on import (core.cards).
            # The attributes (JSON) are checked by the registry on the one write path: their
            # amounts' digits could look like a card number to a check of the whole document.
            models.CheckConstraint(
                condition=no_card_number("message"), name="event_message_no_card_number"
            ),
        ]
        triggers = [triggers.append_only(), triggers.no_truncate()]

    def __str__(self):
        return f"{self.title} · {self.occurred_at:%Y-%m-%d %H:%M}"

    @property
    def event_type(self) -> EventType | None:
        return REGISTRY.get(self.type)

    @property
    def title(self) -> str:
        event_type = self.event_type
        return event_type.title if event_type else self.type

    @property
    def category(self) -> Category | None:
        event_type = self.event_type
        return event_type.category if event_type else None

    def attribute_rows(self) -> list[tuple[str, object, str, str]]:
        """(label, value, kind, key) for each attribute present, in the registry's order."""
        event_type = self.event_type
        if event_type is None:
            return [(key, value, "text", key) for key, value in self.data.items()]
        return [
            (attr.label, self.data[attr.key], attr.kind.value, attr.key)
            for attr in event_type.attributes
            if attr.key in self.data
        ]


def month_of(instant: dt.datetime) -> dt.date:
    """The month (its first day) of an instant, in UTC: an event's row of EventMonthCount, and
    its partition (core.partitions)."""
    return partitions.month_of(instant)


class EventMonthCount(models.Model):
    """How many events of one type and actor kind an account has in one month (UTC): what
    Recent Activity's total of the matching events is summed from, instead of counting the
    account's history (every filter of the page but the dates is one of its columns).

    A row is counted up in the transaction that inserts its events (`activity.services`: with
    each event of `activity_record`, and once per batch of `activity_store_built`), so a total
    is never behind the timeline; `manage.py verify_timeline` recomputes every row from the
    events. Events are never deleted one by one (append-only), so nothing counts down; when
    retention drops a month's partition of the events (core.partitions), the month's rows go
    with it (`activity.services.forget_months`).
    """

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    type = models.CharField(max_length=64)
    actor_kind = models.CharField(max_length=10, choices=ActivityEvent.ActorKind)
    # The first day of the month, in UTC (the month of the events' `occurred_at`).
    month = models.DateField()
    count = models.BigIntegerField(default=0)

    # Personal data, field by field (core.personal_data).
    PERSONAL_DATA: dict[str, str] = {}
    NO_PERSONAL_DATA = ("type", "actor_kind")

    # The columns that name a row (the unique constraint's, in its order).
    KEY = ("account_id", "type", "actor_kind", "month")

    class Meta:
        default_permissions = ()
        constraints = [
            # Also the index the totals read: an account's rows, by type.
            models.UniqueConstraint(
                fields=["account", "type", "actor_kind", "month"], name="event_month_count_key"
            ),
        ]

    def __str__(self):
        return f"{self.account_id} {self.type} {self.actor_kind} {self.month:%Y-%m}: {self.count}"


class ActivityExport(DownloadRecord):
    """One CSV download of an account's Recent Activity (see DownloadRecord); its filters
    include the account's customer number."""

    # Personal data, field by field (core.personal_data): the filters name an account by its
    # customer number only; they are removed after RETENTION_DAYS like every download's.
    PERSONAL_DATA = {"filters": "all values removed after RETENTION_DAYS"}
    NO_PERSONAL_DATA = ("actor_name",)

    class Meta(DownloadRecord.Meta):
        pass
