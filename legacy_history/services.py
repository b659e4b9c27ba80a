"""The writes of legacy history: importing old entries and migrating them into the timeline."""

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count, Q
from import_export.results import Result, RowResult
from tablib import Dataset

from activity.models import ActivityEvent
from activity.registry import REGISTRY
from activity.services import activity_record_bulk
from core import citus
from core.actors import Actor, ActorLike, as_actor
from core.downloads import download_start
from legacy_history.mapping import registry_code_for
from legacy_history.models import LegacyEntry, LegacyExport, LegacyImport
from legacy_history.resources import LegacyEntryBatchResource

# Migrated events get an ID derived from the entry's account and source ID: the same entry can
# only ever become the same event.
LEGACY_EVENT_NAMESPACE = uuid.UUID("6f1c2a57-3f0e-4a56-9a0b-6b8f3d1c7e21")
COMMAND_LINE_ACTOR = "command line"


@dataclass
class ImportReport:
    created: int = 0
    skipped: int = 0  # imported before
    failed: int = 0
    # (line, message), in the order of the file; line None for an error of the whole file.
    errors: list[tuple[int | None, str]] = field(default_factory=list)
    committed: bool = False
    batch: LegacyImport | None = None

    @property
    def rows(self) -> int:
        return self.created + self.skipped + self.failed


def _collect(report: ImportReport, result: Result) -> None:
    report.created += result.totals[RowResult.IMPORT_TYPE_NEW]
    report.skipped += result.totals[RowResult.IMPORT_TYPE_SKIP]
    report.failed += (
        result.totals[RowResult.IMPORT_TYPE_INVALID] + result.totals[RowResult.IMPORT_TYPE_ERROR]
    )
    for error in result.base_errors:
        report.errors.append((None, str(error.error)))
    found: list[tuple[int, str]] = []
    for invalid in result.invalid_rows:
        for column, messages in invalid.error_dict.items():
            prefix = "" if column == "__all__" else f"{column}: "
            found += [(invalid.number, prefix + message) for message in messages]
    for error_row in result.error_rows:
        found += [(error_row.number, str(error.error)) for error in error_row.errors]
    report.errors += sorted(found, key=lambda item: item[0] or 0)


def legacy_history_import(
    *,
    actor: ActorLike,
    datasets: Iterable[Dataset],
    file_name: str,
    skip_errors: bool = False,
    dry_run: bool = False,
    on_batch: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import the rows of a legacy file (given as one or more datasets) as LegacyEntry rows.

    All or nothing by default: if any row is bad, nothing is written and `report.errors` says
    which lines and why. With `skip_errors` the good rows are imported and the bad ones
    reported. Rows whose ID was imported before are skipped. An error of the whole file (or of
    the database) writes nothing even with `skip_errors`. `dry_run` checks everything and
    writes nothing. An import that adds entries is recorded as a LegacyImport naming `actor`;
    `on_batch(rows)` is called after each dataset.
    """
    # Without an actor, the import is the command line's.
    who = as_actor(actor) if actor is not None else Actor.system(COMMAND_LINE_ACTOR)
    report = ImportReport()
    with transaction.atomic():
        batch = None
        if not dry_run:
            batch = LegacyImport.objects.create(
                file_name=file_name[:255],
                **who.as_fields(),
                skip_errors=skip_errors,
            )
        resource = LegacyEntryBatchResource(batch=batch)
        for dataset in datasets:
            result = resource.import_data(
                dataset, dry_run=dry_run, use_transactions=True, file_name=file_name, user=who.user
            )
            _collect(report, result)
            if on_batch:
                on_batch(len(dataset))
        whole_file_failed = any(line is None for line, _ in report.errors)
        if dry_run or whole_file_failed or (report.failed and not skip_errors):
            transaction.set_rollback(True)
            return report
        if not report.created:
            # Nothing new (a file imported again): leave no trace, not even the record.
            transaction.set_rollback(True)
            report.committed = True
            return report
        assert batch is not None  # made above unless dry_run
        batch.created, batch.skipped, batch.failed = report.created, report.skipped, report.failed
        batch.save(update_fields=["created", "skipped", "failed"])
        report.batch, report.committed = batch, True
    return report


# --- Migration into the timeline ------------------------------------------------------------


@dataclass
class MigrationLine:
    event_name: str
    maps_to: str | None  # registry code
    migrated: int = 0  # by this run
    earlier: int = 0  # by earlier runs
    left: int = 0  # still in Legacy mode

    @property
    def title(self) -> str:
        return REGISTRY[self.maps_to].title if self.maps_to else "—"


@dataclass
class MigrationReport:
    lines: list[MigrationLine] = field(default_factory=list)

    @property
    def migrated(self) -> int:
        return sum(line.migrated for line in self.lines)

    @property
    def left(self) -> int:
        return sum(line.left for line in self.lines)

    @property
    def earlier(self) -> int:
        return sum(line.earlier for line in self.lines)


def _event_for(entry: LegacyEntry, code: str) -> dict:
    """The typed event an entry becomes: its time, its producer as actor, its message kept, and
    no attributes (the old row has none to give)."""
    return {
        "id": uuid.uuid5(
            LEGACY_EVENT_NAMESPACE, f"{entry.account.customer_number}/{entry.source_id}"
        ),
        "account": entry.account,
        "type": code,
        "occurred_at": entry.created_at,
        # A person of the old product has no user here: a person known by name.
        "actor": (
            Actor.named(entry.producer)
            if entry.producer_is_person
            else Actor.system(entry.producer)
        ),
        "origin": ActivityEvent.Origin.LEGACY,
        "message": entry.message,
        "data": {},
    }


# The lock a migration's batch holds on a Citus cluster, where rows of every account cannot be
# locked in one query: migrations there take their batches one after another.
CLUSTER_BATCH_LOCK = 0x1E6AC1


def _migrate_batch(event_name: str, code: str, batch_size: int) -> int:
    with transaction.atomic():
        waiting = LegacyEntry.objects.not_migrated().filter(event_name=event_name)
        if citus.active():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CLUSTER_BATCH_LOCK])
        else:
            # SKIP LOCKED: a second migration running at the same time takes other entries
            # instead of waiting and then migrating these twice.
            waiting = waiting.select_for_update(skip_locked=True, of=("self",))
        entries = list(waiting.select_related("account").order_by("id")[:batch_size])
        if not entries:
            return 0
        events = activity_record_bulk(
            events=[_event_for(entry, code) for entry in entries], batch_size=batch_size
        )
        for entry, event in zip(entries, events, strict=True):
            entry.migrated_event = event
        LegacyEntry.objects.bulk_update(entries, ["migrated_event"], batch_size=batch_size)
        return len(entries)


def legacy_history_migrate(
    *,
    batch_size: int = 1000,
    dry_run: bool = False,
    on_batch: Callable[[int], None] | None = None,
) -> MigrationReport:
    """Turn every entry whose event name has a registry type into a typed timeline event.

    Each entry becomes one event (origin legacy, at the entry's created_at, its producer as the
    actor, its message kept) and is marked migrated in the same transaction, batch by batch.
    Idempotent: migrated entries are never taken again. Returns, per event name, what this run
    migrated, what earlier runs did and what stays in Legacy mode. `dry_run` writes nothing and
    reports what would be migrated.
    """
    report = MigrationReport()
    counts = (
        LegacyEntry.objects.values("event_name")
        .annotate(
            total=Count("id"),
            pending=Count("id", filter=Q(migrated_event__isnull=True)),
        )
        .order_by("event_name")
    )
    for row in counts:
        name, pending = row["event_name"], row["pending"]
        line = MigrationLine(name, registry_code_for(name), earlier=row["total"] - pending)
        report.lines.append(line)
        if line.maps_to is None:
            line.left = pending
        elif dry_run:
            line.migrated = pending
        else:
            while done := _migrate_batch(name, line.maps_to, batch_size):
                line.migrated += done
                if on_batch:
                    on_batch(done)
            # Counted again: entries another run held (SKIP LOCKED) may or may not be migrated.
            line.left = LegacyEntry.objects.not_migrated().filter(event_name=name).count()
    return report


def legacy_export_start(*, actor: ActorLike, filters: dict[str, object]) -> LegacyExport:
    """Record that `actor` started a Legacy mode download with these filters (as typed, with
    the account's customer number); its row count follows when the file is complete."""
    return download_start(LegacyExport, actor=actor, filters=filters)
