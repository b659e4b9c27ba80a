"""The record every CSV download leaves: who downloaded, when, with which filters, and how many
rows (empty while the file streams, or when the download was cut off). Each app that offers a
download keeps its records in its own model built on `DownloadRecord`."""

from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import pgtrigger
from django.db import models, transaction
from django.utils import timezone

from config import triggers
from config.actors import Attributed, acting_user, actor_name

if TYPE_CHECKING:
    from config.actors import Actor


class DownloadRecord(Attributed):
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
def download_start(model: type[Record], *, actor: "Actor", filters: dict[str, Any]) -> Record:
    """Record that `actor` started a download with these filters (as typed); its row count
    follows when the last row has gone out."""
    return model._default_manager.create(
        actor=acting_user(actor), actor_name=actor_name(actor), filters=filters
    )


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
