import pgtrigger
from django.db import models
from django.utils import timezone

from core import triggers
from core.actors import Attributed
from core.cards import no_card_number
from core.downloads import DownloadRecord


class LegacyImport(Attributed):
    """One import of a legacy file: who ran it and what it did (the audit trail of imports)."""

    file_name = models.CharField(max_length=255)
    started_at = models.DateTimeField(default=timezone.now)
    skip_errors = models.BooleanField(default=False)
    created = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)

    # Personal data, field by field (core.personal_data).
    PERSONAL_DATA: dict[str, str] = {}
    NO_PERSONAL_DATA = ("file_name", "actor_name")

    class Meta:
        ordering = ["-started_at", "-id"]
        # The counts are written once, when the import ends.
        triggers = [
            triggers.written_once(
                "file_name",
                "actor",
                "actor_name",
                "started_at",
                "skip_errors",
                until=pgtrigger.Q(old__created__gt=0)
                | pgtrigger.Q(old__skipped__gt=0)
                | pgtrigger.Q(old__failed__gt=0),
            ),
            triggers.no_delete(),
            triggers.no_truncate(),
        ]

    def __str__(self):
        return f"{self.file_name} · {self.started_at:%Y-%m-%d %H:%M} · {self.actor_name}"


def producer_label(producer: str) -> str:
    """How a producer is shown: a person's e-mail as it is; anything else is the system
    (naming the integration)."""
    if "@" in producer:
        return producer
    if producer.casefold() == "system":
        return "System"
    return f"System ({producer})"


class LegacyEntryQuerySet(models.QuerySet):
    def for_account(self, account):
        return self.filter(account=account)

    def not_migrated(self):
        return self.filter(migrated_event__isnull=True)


class LegacyEntry(models.Model):
    """An entry of the old Account History product, kept as it was imported."""

    class Type(models.TextChoices):
        ACCOUNT = "account", "Account"
        COMMENT = "comment", "Comment"
        CONTACT = "contact", "Contact"
        ORDER = "order", "Order"
        SHARING = "sharing", "Sharing"
        SUBSCRIPTION = "subscription", "Subscription"
        SYSTEM = "system", "System"
        PASSWORD = "password", "Password"
        PAYMENT = "payment", "Payment"
        VOUCHER = "voucher", "Voucher"
        DISTRIBUTION = "distribution", "Distribution"

    # The old product's entry ID: re-importing a file finds it and adds nothing. Unique per
    # account (every unique key of a table distributed by account includes the account).
    source_id = models.CharField("source ID", max_length=100)
    event_name = models.CharField("event", max_length=200)
    type = models.CharField(max_length=20, choices=Type)
    message = models.TextField(blank=True)
    # A person's e-mail, `System`, or an integration's name, as the old product stored it.
    producer = models.CharField(max_length=150)
    # The account's e-mail (or customer number) as the old product stored it.
    proprietor = models.CharField(max_length=254)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(null=True, blank=True)
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="legacy_entries"
    )
    imported_by = models.ForeignKey(LegacyImport, on_delete=models.PROTECT, related_name="entries")
    # The typed event this entry became; set once by the migration, never cleared. One entry
    # per event, by the constraint below (with the account, rather than a one-to-one field).
    migrated_event = models.ForeignKey(
        "activity.ActivityEvent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="legacy_entries",
        # The timeline's events are partitioned by month (core.partitions): found by ID and
        # month, they take no foreign key; the migration writes both rows together.
        db_constraint=False,
    )

    objects = LegacyEntryQuerySet.as_manager()

    # Personal data, field by field (core.personal_data).
    PERSONAL_DATA = {
        "message": "replaced",
        "proprietor": "replaced by the customer number",
    }
    # The producer is the old product's staff member or system, not the customer.
    NO_PERSONAL_DATA = ("source_id", "event_name", "type", "producer")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "legacy entry"
        verbose_name_plural = "legacy entries"
        permissions = [("import_legacyentry", "Can import legacy history files")]
        # Kept as imported; the migration links the typed event once.
        triggers = [
            triggers.written_once(
                "source_id",
                "event_name",
                "type",
                "message",
                "producer",
                "proprietor",
                "created_at",
                "updated_at",
                "account",
                "imported_by",
                until=pgtrigger.Q(old__migrated_event__isnull=False),
            ),
            triggers.no_delete(),
            triggers.no_truncate(),
        ]
        constraints = [
            # Imports mask card numbers in messages (core.cards).
            models.CheckConstraint(
                condition=no_card_number("message"), name="legacy_entry_no_card_number"
            ),
            # The source ID first: an import looks entries up by the IDs of its file.
            models.UniqueConstraint(
                fields=["source_id", "account"], name="legacy_entry_source_id_per_account"
            ),
            models.UniqueConstraint(
                fields=["account", "migrated_event"],
                condition=models.Q(migrated_event__isnull=False),
                name="legacy_entry_one_per_event",
            ),
        ]
        indexes = [
            # The Legacy mode page: one account's entries still outside the timeline.
            models.Index(
                fields=["account", "-created_at", "-id"],
                condition=models.Q(migrated_event__isnull=True),
                name="legacy_account_pending_idx",
            ),
            # The migration: the entries of one event name still to migrate.
            models.Index(
                fields=["event_name", "id"],
                condition=models.Q(migrated_event__isnull=True),
                name="legacy_event_pending_idx",
            ),
        ]

    def __str__(self):
        return f"{self.event_name} · {self.created_at:%Y-%m-%d %H:%M} · {self.source_id}"

    @property
    def producer_is_person(self) -> bool:
        return "@" in self.producer

    @property
    def producer_display(self) -> str:
        return producer_label(self.producer)


class LegacyExport(DownloadRecord):
    """One CSV download of an account's Legacy mode (see DownloadRecord); its filters include
    the account's customer number."""

    # Personal data, field by field (core.personal_data): the filters name an account by its
    # customer number only; they are removed after RETENTION_DAYS like every download's.
    PERSONAL_DATA = {"filters": "all values removed after RETENTION_DAYS"}
    NO_PERSONAL_DATA = ("actor_name",)

    class Meta(DownloadRecord.Meta):
        pass
