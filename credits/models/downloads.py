"""The records of the CSV downloads: of Credit Activity, and of the credit liability
roll-forward; and the Credit Activity downloads written in the background."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from core.downloads import DownloadRecord


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


class CreditBalancesExport(DownloadRecord):
    """One CSV download of the credit liability roll-forward, of its wallets, or of the credit
    journal (its filters then say `"report": "journal"`; see DownloadRecord). Its filters are a
    period and a unit: they never name a customer."""

    # Personal data, field by field (core.personal_data).
    PERSONAL_DATA = {"filters": "all values removed after RETENTION_DAYS"}
    NO_PERSONAL_DATA = ("actor_name",)

    class Meta(DownloadRecord.Meta):
        verbose_name = "credit balances download"


class ExportState(models.TextChoices):
    QUEUED = "queued", "Waiting for the worker"
    RUNNING = "running", "Being written"
    READY = "ready", "Ready to download"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


class CreditExportJob(models.Model):
    """A Credit Activity download too large to stream, written by the background worker.

    Its download record (`record`: who, when, which filters, and the row count once the file
    is written) is made when it is asked for, as for a streamed download. The file is offered to
    its owner only, until `expires_at`; then it is removed and the job says so. A job the worker
    lost (killed, restarted) is found by its old `heartbeat_at` and written again from the
    start; `attempt` numbers the runs, so that a run overtaken by a newer one stops.
    """

    record = models.OneToOneField(CreditExport, on_delete=models.PROTECT, related_name="job")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=10, choices=ExportState.choices, default="queued")
    # The reader's zone and order when it was asked for: the file is the streamed one's.
    time_zone = models.CharField(max_length=64)
    oldest_first = models.BooleanField(default=False)
    total_rows = models.PositiveIntegerField(null=True, blank=True)
    rows_written = models.PositiveIntegerField(default=0)
    attempt = models.PositiveSmallIntegerField(default=0)
    file_name = models.CharField(max_length=255, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    # Personal data, field by field (core.personal_data): the file itself holds customers'
    # names and e-mails, which is why it lives for EXPORT_FILE_HOURS only.
    PERSONAL_DATA: dict[str, str] = {}
    NO_PERSONAL_DATA = ("state", "time_zone", "file_name", "error")

    class Meta:
        ordering = ["-created_at", "-id"]
        default_permissions = ()
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="credit_export_job_owner"),
            models.Index(fields=["state"], name="credit_export_job_state"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=ExportState.values), name="credit_export_job_state"
            ),
        ]

    def __str__(self) -> str:
        return f"Credit Activity export {self.pk} ({self.state})"

    def get_absolute_url(self) -> str:
        return reverse("credits:export-job", kwargs={"pk": self.pk})

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.state == ExportState.READY else 0
        return min(100, self.rows_written * 100 // self.total_rows)

    @property
    def finished(self) -> bool:
        return self.state in (ExportState.READY, ExportState.FAILED, ExportState.EXPIRED)
