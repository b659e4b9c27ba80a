"""The record every CSV download leaves: who downloaded, when, with which filters, and how many
rows (empty while the file streams, or when the download was cut off). Each app that offers a
download keeps its records in its own model built on `DownloadRecord`."""

from collections.abc import Callable, Generator, Iterator
from typing import Any, TypeVar

import pgtrigger
from django.db import models, transaction
from django.utils import timezone

from core import triggers
from core.actors import ActorLike, Attributed, as_actor
from core.personal_data import REDACTED


class DownloadRecord(Attributed):
    # What `purge_retention` empties once a record is older than RETENTION_DAYS: who, when and
    # how many rows are kept; which filters (which may name customers) are not.
    RETENTION = {"filters": dict}

    created_at = models.DateTimeField(default=timezone.now)
    filters = models.JSONField(default=dict, blank=True)
    row_count = models.PositiveIntegerField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]
        default_permissions = ("view",)
        # Who, when and which filters never change; the count is written once, at the end.
        triggers = [
            triggers.written_once(
                "actor",
                "actor_name",
                "created_at",
                "filters",
                until=pgtrigger.Q(old__finished_at__isnull=False),
            ),
            triggers.no_delete(),
            triggers.no_truncate(),
        ]

    def __str__(self) -> str:
        return f"{self.actor_name} · {self.created_at:%Y-%m-%d %H:%M}"


Record = TypeVar("Record", bound=DownloadRecord)


@transaction.atomic
def download_start(model: type[Record], *, actor: ActorLike, filters: dict[str, Any]) -> Record:
    """Record that `actor` started a download with these filters (as typed); its row count
    follows when the last row has gone out."""
    return model._default_manager.create(**as_actor(actor).as_fields(), filters=filters)


def download_finish(record: DownloadRecord, *, rows: int) -> None:
    """Record how many rows a finished download held."""
    type(record)._default_manager.filter(pk=record.pk).update(
        row_count=rows, finished_at=timezone.now()
    )


def recorded(chunks: Generator[bytes, None, int], record: DownloadRecord) -> Iterator[bytes]:
    """Pass a file's bytes on; when the last has gone out, record the download's row count. A
    download cut off before its end keeps no count."""
    rows = yield from chunks
    download_finish(record, rows=rows)


def redact_filters(
    model: type[DownloadRecord], naming: Callable[[dict[str, Any]], list[str]]
) -> int:
    """Replace, in every download record of `model`, the filter values that `naming` says name
    a customer; return how many records changed. Past the trigger that keeps finished records
    as they were: erasure is the one path allowed to change them."""
    changed = []
    for record in model._default_manager.exclude(filters={}):
        named = naming(record.filters)
        if named:
            record.filters = {
                key: (REDACTED if key in named else value) for key, value in record.filters.items()
            }
            changed.append(record)
    label = model._meta.label
    with pgtrigger.ignore(f"{label}:written_once"):
        model._default_manager.bulk_update(changed, ["filters"])
    return len(changed)
