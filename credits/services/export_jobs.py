"""The Credit Activity downloads written in the background: asked for, claimed by a worker,
advanced, finished or failed, taken up again after a lost worker, and removed when they expire.

The worker's task (credits.tasks) runs the filters and writes the file; these functions are the
job's every change of state. Each run of a job has its number (`attempt`): the writes of a run
are conditional on it, so a run that a newer one overtook (its worker was taken for lost) stops
instead of writing over it.
"""

import datetime as dt
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone

from core.actors import ActorLike
from core.downloads import download_finish, download_start
from credits.models import CreditExport, CreditExportJob, ExportState

STORAGE = "exports"
# Said on the status page of a job whose file is gone.
EXPIRED = "This file has expired and was removed: start the download again for a new one."
ERASED = (
    "This file was removed because a customer's personal data was erased after it was written: "
    "start the download again for a new one."
)
INTERRUPTED_TOO_OFTEN = "The worker stopped three times while writing this file."
MAX_ATTEMPTS = 3


class Overtaken(Exception):
    """A run of a job found that a newer run has taken the job over."""


def _storage() -> Any:
    return storages[STORAGE]


@transaction.atomic
def credit_export_job_start(
    *, actor: ActorLike, filters: dict[str, Any], time_zone: str, oldest_first: bool
) -> CreditExportJob:
    """Record a Credit Activity download (as a streamed one is recorded) and queue the job that
    writes its file, in `time_zone` and newest first unless `oldest_first`. The caller queues
    the worker's task once this has committed."""
    record = download_start(CreditExport, actor=actor, filters=filters)
    return CreditExportJob.objects.create(
        record=record,
        owner=record.actor,
        time_zone=time_zone,
        oldest_first=oldest_first,
    )


def credit_export_job_claim(*, job_id: int) -> CreditExportJob | None:
    """Take a queued job for this run (its next attempt) and return it; None when it is not
    waiting (already taken, finished or expired: a repeated task does nothing)."""
    now = timezone.now()
    with transaction.atomic():
        job = CreditExportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state != ExportState.QUEUED:
            return None
        job.attempt += 1
        job.state = ExportState.RUNNING
        job.started_at = job.heartbeat_at = now
        job.rows_written = 0
        job.total_rows = None
        job.save(
            update_fields=[
                "attempt",
                "state",
                "started_at",
                "heartbeat_at",
                "rows_written",
                "total_rows",
            ]
        )
    return job


def _this_run(job: CreditExportJob) -> Any:
    return CreditExportJob.objects.filter(pk=job.pk, attempt=job.attempt, state=ExportState.RUNNING)


def credit_export_job_progress(
    *, job: CreditExportJob, rows: int, total: int | None = None
) -> None:
    """Note how many rows this run has written (and how many there are, once known); this is
    also the run's sign of life. Raises Overtaken when a newer run has the job."""
    fields: dict[str, Any] = {"rows_written": rows, "heartbeat_at": timezone.now()}
    if total is not None:
        fields["total_rows"] = total
    if not _this_run(job).update(**fields):
        raise Overtaken(job.pk)
    job.rows_written = rows
    if total is not None:
        job.total_rows = total


def credit_export_job_finish(*, job: CreditExportJob, content: File, rows: int) -> None:
    """Keep the written file, offer it until EXPORT_FILE_HOURS from now, and give the download
    record its row count. Raises Overtaken (keeping nothing) when a newer run has the job."""
    now = timezone.now()
    name = _storage().save(f"credit-activity/{job.pk}-{job.attempt}.csv", content)
    with transaction.atomic():
        if not _this_run(job).select_for_update().exists():
            _storage().delete(name)
            raise Overtaken(job.pk)
        _this_run(job).update(
            state=ExportState.READY,
            file_name=name,
            rows_written=rows,
            total_rows=rows,
            finished_at=now,
            heartbeat_at=now,
            expires_at=now + dt.timedelta(hours=settings.EXPORT_FILE_HOURS),
        )
        download_finish(job.record, rows=rows)


def credit_export_job_fail(*, job: CreditExportJob, reason: str) -> None:
    """End this run's job as failed, saying why (on its status page)."""
    _this_run(job).update(state=ExportState.FAILED, error=reason[:500], finished_at=timezone.now())


def credit_export_job_requeue(*, job: CreditExportJob) -> bool:
    """Put a job whose run was stopped (its worker shut down) back in the queue, to be written
    again from the start; after MAX_ATTEMPTS runs it fails instead. True when queued again."""
    if job.attempt >= MAX_ATTEMPTS:
        credit_export_job_fail(job=job, reason=INTERRUPTED_TOO_OFTEN)
        return False
    return bool(_this_run(job).update(state=ExportState.QUEUED))


def credit_export_jobs_lost(*, now: dt.datetime | None = None) -> list[CreditExportJob]:
    """The running jobs whose worker gave no sign of life for JOB_STALE_SECONDS (killed, or
    its machine restarted), each put back in the queue (or failed after MAX_ATTEMPTS runs).
    Returns those queued again: the caller queues a task for each."""
    now = now or timezone.now()
    before = now - dt.timedelta(seconds=settings.JOB_STALE_SECONDS)
    lost = CreditExportJob.objects.filter(state=ExportState.RUNNING, heartbeat_at__lt=before)
    return [job for job in lost if credit_export_job_requeue(job=job)]


def credit_export_jobs_expire(*, now: dt.datetime | None = None) -> int:
    """Remove the files whose time is up; their jobs say that they expired. Returns how many."""
    now = now or timezone.now()
    due = CreditExportJob.objects.filter(state=ExportState.READY, expires_at__lte=now)
    count = 0
    for job in due:
        _storage().delete(job.file_name)
        count += CreditExportJob.objects.filter(pk=job.pk, state=ExportState.READY).update(
            state=ExportState.EXPIRED, file_name="", error=EXPIRED
        )
    return count


def credit_export_files_erase() -> int:
    """Remove every file still offered (any may hold the customer being erased); their jobs say
    why. The files go once the erasure has committed. Returns how many."""
    ready = list(
        CreditExportJob.objects.filter(state=ExportState.READY).values_list("pk", "file_name")
    )
    CreditExportJob.objects.filter(pk__in=[pk for pk, _name in ready]).update(
        state=ExportState.EXPIRED, file_name="", error=ERASED
    )
    for _pk, name in ready:
        transaction.on_commit(partial(_storage().delete, name))
    return len(ready)


def credit_export_job_file(*, job: CreditExportJob) -> File:
    """The finished file, opened for reading."""
    return _storage().open(job.file_name, "rb")
