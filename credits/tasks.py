"""The credit app's background work, run by the worker (`manage.py run_worker`, which `make
run` and `make serve` start beside the site): writing a Credit Activity download too large to
stream, the watch that takes up jobs a lost worker left and removes expired files, and the
periodic expiry of lots whose day has passed.

Tasks are queued in the database (django-tasks' DatabaseBackend), so a request for a file
outlives a restart of the site or of the worker. The job itself (credits.CreditExportJob) holds
what the page shows; the task only carries its ID.
"""

import datetime as dt
import tempfile
from typing import Any

from django.conf import settings
from django.core.files import File
from django.http import QueryDict
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from credits import export, services
from credits.filters import CreditActivityFilter
from credits.models import CreditExportJob
from credits.selectors import credit_activity

# How often the watch looks for lost jobs and expired files.
WATCH_SECONDS = 30
FILTERS_NO_LONGER_VALID = "The filters of this download are no longer valid"


def export_enqueue(job: CreditExportJob) -> None:
    """Queue the task that writes `job`'s file."""
    credit_export_write.enqueue(job.pk)


@task()
def credit_export_write(job_id: int) -> None:
    """Write the file of a queued Credit Activity download; a repeated task does nothing."""
    job = services.credit_export_job_claim(job_id=job_id)
    if job is None:
        return
    try:
        _write(job)
    except services.Overtaken:
        return  # a newer run has the job: it writes the file
    except Exception as error:
        # Said on the job's status page: the kind of error (its text may name the server's
        # paths); the task's own result and the worker's log keep the traceback.
        reason = (
            f"The worker stopped on an error ({type(error).__name__}); its log has the details."
        )
        services.credit_export_job_fail(job=job, reason=reason)
        raise
    except BaseException:
        # The worker is shutting down mid-file: back in the queue, to be written again.
        if services.credit_export_job_requeue(job=job):
            export_enqueue(job)
        raise


def _write(job: CreditExportJob) -> None:
    # The download's filters as recorded, read in the reader's zone and order of the request.
    data = QueryDict(mutable=True)
    data.update(job.record.filters)
    with timezone.override(job.time_zone):
        filterset = CreditActivityFilter(data, queryset=credit_activity())
        if not filterset.is_valid():
            errors = "; ".join(" ".join(messages) for messages in filterset.errors.values())
            services.credit_export_job_fail(job=job, reason=f"{FILTERS_NO_LONGER_VALID}: {errors}")
            return
        entries = filterset.qs
        if job.oldest_first:
            entries = entries.order_by("created_at", "id")
        ids = export.entry_ids(entries)
        services.credit_export_job_progress(job=job, rows=0, total=len(ids))
        with tempfile.TemporaryFile() as out:
            rows = export.write_file(
                entries,
                ids,
                out,
                progress=lambda written: services.credit_export_job_progress(job=job, rows=written),
            )
            out.seek(0)
            services.credit_export_job_finish(job=job, content=File(out), rows=rows)


def _waiting(queued: Any) -> bool:
    """Whether `queued` (a task) waits in the queue already, now or for later (one that a lost
    worker left running does not count)."""
    return DBTaskResult.objects.filter(task_path=queued.module_path, status="READY").exists()


@task()
def jobs_watch() -> None:
    """Take up the jobs whose worker was lost, remove the files whose time is up, and come back
    in WATCH_SECONDS."""
    try:
        jobs_recover()
    finally:
        if not _waiting(jobs_watch):
            later = timezone.now() + dt.timedelta(seconds=WATCH_SECONDS)
            jobs_watch.using(run_after=later).enqueue()


def jobs_recover() -> int:
    """Queue again the jobs a lost worker left, and remove expired files; the number of jobs
    queued again."""
    lost = services.credit_export_jobs_lost()
    for job in lost:
        export_enqueue(job)
    services.credit_export_jobs_expire()
    return len(lost)


@task()
def credit_expiry_run() -> None:
    """Expire the credit of the lots whose day has passed (credits.services.expiry), and come
    back in LOT_EXPIRY_INTERVAL_SECONDS. What failed is in the worker's log; the lots of a
    wallet that failed are tried again on the next run."""
    try:
        services.credit_lots_expire()
    finally:
        if not _waiting(credit_expiry_run):
            later = timezone.now() + dt.timedelta(seconds=settings.LOT_EXPIRY_INTERVAL_SECONDS)
            credit_expiry_run.using(run_after=later).enqueue()


def watch_start() -> int:
    """What a worker does as it starts: recover now, and make sure that the watch and the
    expiry run are queued (the expiry to run now, unless one is queued already)."""
    recovered = jobs_recover()
    if not _waiting(jobs_watch):
        jobs_watch.enqueue()
    if not _waiting(credit_expiry_run):
        credit_expiry_run.enqueue()
    return recovered
