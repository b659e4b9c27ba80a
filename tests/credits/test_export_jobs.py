"""Credit Activity downloads too large to stream: written by the background worker, shown with
their progress, offered to their owner for a limited time, audited as a streamed download is,
and taken up again when a worker is lost."""

import csv
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.services import account_anonymise
from config import roles
from credits import export, services, tasks
from credits.models import CreditEntry, CreditExport, CreditExportJob, ExportState
from credits.views.exports import NOT_READY
from tests.conftest import messages_of
from tests.credits.conftest import SEK
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

EXPORT = reverse("credits:export")
EXPORTS = reverse("credits:exports")
SUMMER = dt.datetime(2026, 6, 10, 8, 30, 15, tzinfo=dt.UTC)


@pytest.fixture
def entries(account, subscription):
    """Nine entries over two accounts, with text that must be guarded and quoted."""
    other = AccountFactory(name="=Olle Berg", email="olle@example.com")
    for day in range(1, 6):
        services.credit_grant(
            actor=None,
            account=account,
            amount=f"{day}.50",
            note=f'Day {day}, "goodwill"\nline two',
            created_at=SUMMER + dt.timedelta(days=day),
            **SEK,
        )
    services.apply_credits(
        account=account,
        subscription=subscription,
        amount="3",
        transaction_id="BILL-1",
        created_at=SUMMER + dt.timedelta(days=7),
        **SEK,
    )
    for day in range(3):
        services.credit_grant(
            actor=None, account=other, amount="1", created_at=SUMMER + dt.timedelta(days=day), **SEK
        )
    assert CreditEntry.objects.count() == 9


@pytest.fixture
def threshold(settings):
    settings.EXPORT_BACKGROUND_ROWS = 4
    return 4


def streamed(client, query=""):
    response = client.get(f"{EXPORT}?{query}")
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def start(client, **filters):
    """Ask for a background download as its page's form does; the job it made."""
    response = client.post(EXPORTS, filters)
    assert response.status_code == 302
    job = CreditExportJob.objects.latest("pk")
    assert response.url == job.get_absolute_url()
    return job


def fetch(client, job):
    response = client.get(reverse("credits:export-file", args=[job.pk]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_a_download_over_the_threshold_offers_to_write_it_in_the_background(
    finance_client, entries, threshold
):
    response = finance_client.get(f"{EXPORT}?account_id=700001&sort=created_at")
    page = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert "more than 4 entries" in page
    assert '<input type="hidden" name="account_id" value="700001">' in page
    assert '<input type="hidden" name="sort" value="created_at">' in page
    assert "Prepare the file" in page
    # Nothing is recorded until the file is asked for.
    assert not CreditExport.objects.exists()
    assert not CreditExportJob.objects.exists()


def test_at_the_threshold_the_download_is_streamed_as_before(finance_client, entries, settings):
    settings.EXPORT_BACKGROUND_ROWS = 9
    body = streamed(finance_client)
    assert len(list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))) == 10  # header + 9
    assert not CreditExportJob.objects.exists()


@pytest.mark.parametrize(
    "query",
    ["", "sort=created_at", "account_id=700001&created_from=2026-06-12", "activity=grant"],
)
def test_the_file_written_in_the_background_is_the_streamed_one_byte_for_byte(
    finance_client, entries, threshold, run_worker, monkeypatch, settings, query
):
    monkeypatch.setattr(export, "BACKGROUND_SLICE_ROWS", 2)  # several slices, one part-filled
    job = start(finance_client, **dict(p.split("=") for p in query.split("&") if p))
    run_worker()
    settings.EXPORT_BACKGROUND_ROWS = 1000
    assert fetch(finance_client, job) == streamed(finance_client, query)


@pytest.mark.parametrize("use_copy", [True, False])
@pytest.mark.parametrize("order", [("-created_at", "-id"), ("created_at", "id")])
@pytest.mark.parametrize("size", [1, 2, 3, 4, 9, 50])
def test_both_ways_of_writing_a_file_in_slices_give_the_streamed_bytes(
    account, entries, monkeypatch, use_copy, order, size
):
    # Two more entries at a time that two others have: slices end inside runs of equal times.
    for _ in range(2):
        services.credit_grant(
            actor=None, account=account, amount="1", created_at=SUMMER + dt.timedelta(days=7), **SEK
        )
    monkeypatch.setattr(export, "BACKGROUND_SLICE_ROWS", size)
    rows = CreditEntry.objects.order_by(*order)
    target = b"".join(export.csv_rows(rows, use_copy=use_copy))
    written = bytearray()
    progress = []

    class Out:
        def write(self, data):
            written.extend(data)

    count = export.write_file(
        rows, export.entry_ids(rows), Out(), progress=progress.append, use_copy=use_copy
    )
    assert bytes(written) == target
    assert count == 11
    assert progress == [min(n, 11) for n in range(size, 11 + size, size)]


def test_a_file_in_slices_is_ordered_by_time_and_id_only(entries):
    rows = CreditEntry.objects.order_by("amount")
    with pytest.raises(ValueError, match="ordered by time and ID"):
        export.write_file(rows, export.entry_ids(rows), io.BytesIO(), progress=print)


def test_a_file_in_utc_says_so_and_is_the_streamed_one(
    finance_client, entries, threshold, run_worker, settings
):
    response = finance_client.post(f"{EXPORTS}?utc=1", {})
    job = CreditExportJob.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[1])
    assert job.time_zone == "UTC"
    run_worker()
    body = fetch(finance_client, job)
    assert body.startswith("\ufeffDate (UTC),".encode())
    settings.EXPORT_BACKGROUND_ROWS = 1000
    assert body == streamed(finance_client, "utc=1")


def test_the_download_is_recorded_as_a_streamed_one_with_its_row_count(
    finance_client, finance, entries, threshold, run_worker
):
    job = start(finance_client, account_name="karin", type="currency", sort="-created_at")
    record = CreditExport.objects.get()
    assert record == job.record
    assert (record.actor, record.filters) == (
        finance,
        {"account_name": "karin", "type": "currency"},
    )
    assert (record.row_count, record.finished_at) == (None, None)
    run_worker()
    record.refresh_from_db()
    assert record.row_count == 6
    assert record.finished_at is not None
    fetch(finance_client, job)
    assert CreditExport.objects.count() == 1


def test_the_status_page_shows_progress_and_then_the_file(
    finance_client, entries, threshold, run_worker
):
    job = start(finance_client)
    page = finance_client.get(job.get_absolute_url()).content.decode()
    assert "Waiting for the worker" in page
    assert reverse("credits:export-progress", args=[job.pk]) in page  # what the script polls

    claimed = services.credit_export_job_claim(job_id=job.pk)
    services.credit_export_job_progress(job=claimed, rows=0, total=9)
    services.credit_export_job_progress(job=claimed, rows=3, total=None)
    part = finance_client.get(reverse("credits:export-progress", args=[job.pk])).content.decode()
    assert "3 of 9 entries written" in part
    assert '<progress max="100" value="33"' in part

    # The run is taken for lost and queued again; the worker writes the file.
    CreditExportJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - dt.timedelta(hours=1)
    )
    assert tasks.jobs_recover() == 1
    run_worker()
    part = finance_client.get(reverse("credits:export-progress", args=[job.pk])).content.decode()
    assert "The file is ready: 9 entries." in part
    assert reverse("credits:export-file", args=[job.pk]) in part
    assert "data-progress-url" not in finance_client.get(job.get_absolute_url()).content.decode()


def test_the_user_lists_their_own_recent_downloads(finance_client, finance, entries, make_user):
    mine = start(finance_client, account_id="700001")
    theirs = services.credit_export_job_start(
        actor=make_user(roles.FINANCE), filters={}, time_zone="UTC", oldest_first=False
    )
    page = finance_client.get(EXPORTS).content.decode()
    assert mine.get_absolute_url() in page
    assert "account_id=700001" in page
    assert theirs.get_absolute_url() not in page


def test_another_users_download_is_not_found(client, entries, threshold, run_worker, make_user):
    owner, other = make_user(roles.FINANCE), make_user(roles.FINANCE)
    client.force_login(owner)
    job = start(client)
    run_worker()
    client.force_login(other)
    for name in ("credits:export-job", "credits:export-progress", "credits:export-file"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    assert client.get(reverse("credits:export-job", args=[10**9])).status_code == 404


def test_a_role_without_the_download_may_not_see_a_download(client, make_user, finance, entries):
    job = services.credit_export_job_start(
        actor=finance, filters={}, time_zone="UTC", oldest_first=False
    )
    client.force_login(make_user(roles.CUSTOMER_SERVICE))
    for name in ("credits:export-job", "credits:export-progress", "credits:export-file"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 403
    assert client.post(EXPORTS, {}).status_code == 403
    assert CreditExportJob.objects.count() == 1


@pytest.mark.parametrize(
    ("filters", "said"),
    [
        ({"created_from": "2026-13-01"}, "Created from: Enter a valid date."),
        ({"type": "points"}, "Select a valid choice."),
        ({"created_from": "2026-06-02", "created_to": "2026-06-01"}, ""),
    ],
)
def test_bad_filters_start_no_background_download_and_say_why(
    finance_client, entries, filters, said
):
    response = finance_client.post(EXPORTS, filters, follow=True)
    assert response.redirect_chain[0][0] == reverse("credits:activity")
    shown = messages_of(response)
    assert shown
    assert all(message.startswith("Export not started: ") for message in shown)
    assert said in " ".join(shown)
    assert not CreditExportJob.objects.exists()
    assert not CreditExport.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_an_expired_file_is_gone_and_says_so(
    finance_client, entries, threshold, run_worker, export_storage
):
    job = start(finance_client)
    run_worker()
    job.refresh_from_db()
    path = export_storage / job.file_name
    assert path.exists()
    CreditExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now())

    response = finance_client.get(reverse("credits:export-file", args=[job.pk]), follow=True)
    assert response.redirect_chain[-1][0] == job.get_absolute_url()
    assert messages_of(response) == [services.export_jobs.EXPIRED]
    assert services.export_jobs.EXPIRED in response.content.decode()
    job.refresh_from_db()
    assert (job.state, job.file_name) == (ExportState.EXPIRED, "")
    assert not path.exists()
    assert job.record.row_count == 9  # the record of the download stays as it was


def test_files_are_offered_for_export_file_hours(
    finance_client, entries, threshold, run_worker, settings
):
    settings.EXPORT_FILE_HOURS = 2
    job = start(finance_client)
    before = timezone.now()
    run_worker()
    job.refresh_from_db()
    assert (
        before + dt.timedelta(hours=2) <= job.expires_at <= timezone.now() + dt.timedelta(hours=2)
    )


def test_the_periodic_watch_removes_expired_files_only(
    finance_client, entries, threshold, run_worker, export_storage
):
    old, new = start(finance_client), start(finance_client)
    run_worker()
    old.refresh_from_db(), new.refresh_from_db()
    CreditExportJob.objects.filter(pk=old.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    tasks.jobs_watch.enqueue()
    run_worker()
    old.refresh_from_db(), new.refresh_from_db()
    assert (old.state, new.state) == (ExportState.EXPIRED, ExportState.READY)
    assert [p.name for p in (export_storage / "credit-activity").iterdir()] == [
        new.file_name.rsplit("/", 1)[1]
    ]
    # The watch comes back later: one is queued for then, and no more.
    waiting = DBTaskResult.objects.filter(task_path=tasks.jobs_watch.module_path, status="READY")
    assert waiting.count() == 1
    assert waiting.get().run_after > timezone.now()


def test_a_job_whose_filters_no_longer_hold_fails_and_says_why(
    finance_client, finance, entries, run_worker
):
    job = services.credit_export_job_start(
        actor=finance, filters={"type": "points"}, time_zone="UTC", oldest_first=False
    )
    tasks.export_enqueue(job)
    run_worker()
    job.refresh_from_db()
    assert job.state == ExportState.FAILED
    page = finance_client.get(job.get_absolute_url()).content.decode()
    assert "The file could not be written." in page
    assert f"{tasks.FILTERS_NO_LONGER_VALID}: Select a valid choice." in page
    response = finance_client.get(reverse("credits:export-file", args=[job.pk]), follow=True)
    assert messages_of(response) == [NOT_READY]


def test_a_job_that_cannot_store_its_file_fails_and_says_why(
    finance_client, entries, threshold, run_worker, export_storage
):
    export_storage.parent.mkdir(parents=True, exist_ok=True)
    export_storage.write_text("a file where the directory should be")
    job = start(finance_client)
    run_worker()
    job.refresh_from_db()
    assert job.state == ExportState.FAILED
    assert job.error == (
        "The worker stopped on an error (NotADirectoryError); its log has the details."
    )
    assert job.error in finance_client.get(job.get_absolute_url()).content.decode()
    assert job.record.row_count is None
    task = DBTaskResult.objects.get(task_path=tasks.credit_export_write.module_path)
    assert task.status == "FAILED"


def test_a_job_left_running_by_a_killed_worker_is_written_by_the_next_one(
    finance_client, entries, threshold, run_worker, settings
):
    job = start(finance_client)
    # A worker took the task and the job, wrote some rows, and was killed: both stay running.
    task = DBTaskResult.objects.get()
    task.claim("killed-worker")
    lost = services.credit_export_job_claim(job_id=job.pk)
    services.credit_export_job_progress(job=lost, rows=2, total=9)
    CreditExportJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - dt.timedelta(seconds=settings.JOB_STALE_SECONDS + 1)
    )

    # The next worker starts (the command make run and make serve start), with --batch to end.
    call_command("run_worker", "--batch", "--no-startup-delay", verbosity=0)
    job.refresh_from_db()
    assert (job.state, job.attempt, job.rows_written) == (ExportState.READY, 2, 9)
    settings.EXPORT_BACKGROUND_ROWS = 1000
    assert fetch(finance_client, job) == streamed(finance_client)


def test_a_running_job_with_a_live_worker_is_left_to_it(finance_client, entries, threshold):
    job = start(finance_client)
    services.credit_export_job_claim(job_id=job.pk)
    assert tasks.jobs_recover() == 0
    job.refresh_from_db()
    assert (job.state, job.attempt) == (ExportState.RUNNING, 1)


def test_a_run_overtaken_by_a_newer_one_stops_without_writing(finance_client, entries, threshold):
    job = start(finance_client)
    first = services.credit_export_job_claim(job_id=job.pk)
    assert services.credit_export_job_requeue(job=first)
    second = services.credit_export_job_claim(job_id=job.pk)
    assert second.attempt == 2
    with pytest.raises(services.Overtaken):
        services.credit_export_job_progress(job=first, rows=5)
    job.refresh_from_db()
    assert (job.state, job.rows_written) == (ExportState.RUNNING, 0)


def test_a_job_lost_three_times_fails_and_says_why(finance_client, entries, threshold):
    job = start(finance_client)
    for _ in range(3):
        run = services.credit_export_job_claim(job_id=job.pk)
        CreditExportJob.objects.filter(pk=job.pk).update(
            heartbeat_at=timezone.now() - dt.timedelta(hours=1)
        )
        tasks.jobs_recover()
    job.refresh_from_db()
    assert run.attempt == 3
    assert (job.state, job.error) == (
        ExportState.FAILED,
        services.export_jobs.INTERRUPTED_TOO_OFTEN,
    )


def test_a_repeated_task_does_nothing(finance_client, entries, threshold, run_worker):
    job = start(finance_client)
    tasks.export_enqueue(job)  # the same job queued twice
    run_worker()
    job.refresh_from_db()
    assert (job.state, job.attempt) == (ExportState.READY, 1)
    assert CreditExport.objects.get().row_count == 9


def test_erasing_a_customer_removes_the_files_still_offered(
    finance_client, entries, threshold, run_worker, export_storage, account, admin_user_role
):
    job = start(finance_client, account_id="700001")
    run_worker()
    job.refresh_from_db()
    path = export_storage / job.file_name
    assert path.exists()
    with TestCase.captureOnCommitCallbacks(execute=True):
        account_anonymise(actor=admin_user_role, account=account, reason="Asked for it")
    job.refresh_from_db()
    assert (job.state, job.error) == (ExportState.EXPIRED, services.export_jobs.ERASED)
    assert not path.exists()
    response = finance_client.get(reverse("credits:export-file", args=[job.pk]), follow=True)
    assert messages_of(response) == [services.export_jobs.ERASED]


def test_a_worker_stopped_mid_file_puts_its_job_back_for_the_next_run(
    finance_client, entries, threshold, run_worker, monkeypatch, settings
):
    job = start(finance_client)
    drain = export._drain
    stops = []

    def stopped_once(chunks, out):
        # The worker's second stop signal ends the task where it is, as sys.exit() does.
        if not stops:
            stops.append(True)
            raise SystemExit(1)
        return drain(chunks, out)

    monkeypatch.setattr(export, "_drain", stopped_once)
    run_worker()
    first, second = DBTaskResult.objects.filter(
        task_path=tasks.credit_export_write.module_path
    ).order_by("enqueued_at")
    assert (first.status, second.status) == ("FAILED", "SUCCESSFUL")
    job.refresh_from_db()
    assert (job.state, job.attempt, job.error) == (ExportState.READY, 2, "")
    settings.EXPORT_BACKGROUND_ROWS = 1000
    assert fetch(finance_client, job) == streamed(finance_client)


def test_the_status_its_polled_part_and_the_list_cost_a_few_queries(
    finance_client, entries, threshold, django_assert_max_num_queries
):
    jobs = [start(finance_client) for _ in range(5)]
    finance_client.get(EXPORTS)  # the session's first reads
    for url in (
        jobs[0].get_absolute_url(),
        reverse("credits:export-progress", args=[jobs[0].pk]),
        EXPORTS,
    ):
        with django_assert_max_num_queries(6):
            assert finance_client.get(url).status_code == 200


def test_a_download_that_matches_nothing_is_a_header_only_file(
    finance_client, finance, entries, run_worker, settings
):
    job = services.credit_export_job_start(
        actor=finance, filters={"account_id": "999999"}, time_zone="UTC", oldest_first=False
    )
    tasks.export_enqueue(job)
    run_worker()
    job.refresh_from_db()
    assert (job.state, job.total_rows, job.record.row_count) == (ExportState.READY, 0, 0)
    assert fetch(finance_client, job) == streamed(finance_client, "account_id=999999&utc=1")
