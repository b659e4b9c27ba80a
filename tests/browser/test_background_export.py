"""Finance downloads a Credit Activity too large to stream: the file is written by the worker
while its page shows the progress, then downloaded from the page."""

import csv
import io
import threading

import pytest
from django.db import connections
from django_tasks_db.management.commands.db_worker import Worker

from config import roles
from credits import services
from credits.models import CreditExport, CreditExportJob
from tests.factories import AccountFactory, ProductFactory, SubscriptionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


SEK = {"credit_type": "currency", "currency": "SEK"}


@pytest.fixture
def ledger():
    """Six entries of Karin's (four billings noted as a formula), one of Olle's."""
    karin = AccountFactory(name="Karin Nilsson", email="karin.nilsson@example.se")
    premium = ProductFactory(code="premium", name="Premium", price="149.00")
    subscription = SubscriptionFactory(account=karin, product=premium, order_id="ORD-777001")
    services.credit_grant(actor=None, account=karin, amount="300", **SEK)
    for day in (5, 12, 19, 26):
        services.apply_credits(
            account=karin,
            subscription=subscription,
            amount="49.90",
            transaction_id=f"BILL-{day}",
            note="=SUM(A1:A2) billing",
            **SEK,
        )
    services.credit_grant(actor=None, account=karin, amount="10", **SEK)
    other = AccountFactory(name="Olle Berg", email="olle@example.com")
    services.credit_grant(actor=None, account=other, amount="99", **SEK)


@pytest.fixture
def worker(export_storage):
    """django-tasks' database worker, running in a thread of this process as `run_worker` runs
    it beside the site, until the test ends."""
    running = Worker(
        queue_names=["default"],
        interval=0.2,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="browser-test-worker",
        excluded_queue_names=[],
    )

    def run():
        try:
            running.run()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield running
    running.running = False
    thread.join(timeout=10)


def test_finance_has_a_large_download_written_and_downloads_it(
    page,
    sign_in,
    make_user,
    ledger,
    settings,
    worker,
    tmp_path,  # noqa: F811
):
    settings.EXPORT_BACKGROUND_ROWS = 3
    make_user(roles.FINANCE, username="analyst")
    sign_in("analyst")
    page.get_by_role("link", name="Credit Activity").click()
    page.get_by_label("Account e-mail").fill("karin.nilsson@example.se")
    page.get_by_role("button", name="Filter").click()

    page.get_by_role("link", name="Download CSV").click()
    assert page.get_by_text("These filters match more than 3 entries").is_visible()
    page.get_by_role("button", name="Prepare the file").click()

    page.wait_for_url("**/credits/exports/*/")
    assert page.get_by_role("heading", name="Credit Activity download").is_visible()
    # The page follows the job by itself until the file is ready.
    link = page.get_by_role("link", name="Download the file")
    link.wait_for()
    assert page.get_by_text("The file is ready: 6 entries.").is_visible()

    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.startswith("credit-activity-")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    header, *rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert header[0] == "Date (Europe/Stockholm)"
    assert len(rows) == 6
    assert {row[2] for row in rows} == {"Karin Nilsson"}
    assert all(row[14] == "'=SUM(A1:A2) billing" for row in rows if row[5] == "Consumption")

    job = CreditExportJob.objects.get()
    assert job.record == CreditExport.objects.get()
    assert job.record.row_count == 6

    page.get_by_role("link", name="My downloads").click()
    assert page.get_by_role("link", name=f"Download {job.pk}").is_visible()
