"""The throughput measurements: the CSV download (rows per second and peak memory, beside
baselines), event ingestion through the batch API, concurrent consumption of one wallet, and
consumption of a wallet made of many lots."""

import gc
import os
import threading
import time
import uuid

from django.db import connection
from django.test import Client, override_settings

from accounts.models import Account
from bench.timing import Result


class PeakMemory:
    """Peak growth of this process's resident memory while the block runs (sampled)."""

    def __init__(self, interval: float = 0.005):
        self.interval = interval
        self.peak_mb = 0.0

    @staticmethod
    def _rss_mb() -> float:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    def __enter__(self):
        gc.collect()
        self.base = self._rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, self._rss_mb() - self.base)
            time.sleep(self.interval)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, self._rss_mb() - self.base)


def background_export(user) -> list[Result]:
    """The same download written by the worker's task (every entry, newest first): rows/s of
    the job from claiming it to the stored file, beside the streamed download's rate."""
    import tempfile

    from credits import services, tasks
    from credits.models import CreditExportJob

    results = []
    with tempfile.TemporaryDirectory() as directory:
        storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
        storages = {"exports": {**storage, "OPTIONS": {"location": directory}}}
        with override_settings(STORAGES={**_storages(), **storages}):
            job = services.credit_export_job_start(
                actor=user, filters={}, time_zone="Europe/Stockholm", oldest_first=False
            )
            with PeakMemory() as memory:
                start = time.perf_counter()
                tasks.credit_export_write.call(job.pk)
                seconds = time.perf_counter() - start
            job = CreditExportJob.objects.get(pk=job.pk)
            assert job.state == "ready", job.error
            results += _throughput(
                "CSV written in the background (the job)", job.rows_written, seconds, memory
            )
            services.credit_export_jobs_expire(now=job.expires_at)
    return results


def _storages() -> dict:
    from django.conf import settings

    return dict(settings.STORAGES)


def _throughput(name, rows, seconds, memory, note=""):
    return [
        Result(f"{name}: rows/s", "r/s", value=rows / seconds, note=note),
        Result(f"{name}: peak memory", "MB", value=memory.peak_mb, note=f"{rows:,} rows"),
    ]


def csv_export(client) -> list[Result]:
    """Our download, beside django-import-export's export and a bare COPY of the same rows."""
    from import_export import resources

    from credits.export import export_rows
    from credits.models import CreditEntry

    results = []
    # Streamed however many rows there are (above the threshold the page offers the worker).
    with PeakMemory() as memory, override_settings(EXPORT_BACKGROUND_ROWS=10**12):
        start = time.perf_counter()
        response = client.get("/credits/activity/export.csv")
        lines = sum(chunk.count(b"\n") for chunk in response.streaming_content)
        seconds = time.perf_counter() - start
    rows = lines - 1  # the header
    results += _throughput("CSV download (ours, COPY streamed)", rows, seconds, memory)
    ours = rows / seconds

    entries = CreditEntry.objects.all()
    sql, params = export_rows(entries, in_sql=True).query.sql_with_params()
    with PeakMemory() as memory, connection.cursor() as cursor:
        start = time.perf_counter()
        copied = 0
        with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
            for block in copy:
                copied += bytes(block).count(b"\n")
        seconds = time.perf_counter() - start
    floor = copied / seconds
    results += _throughput(
        "COPY ... TO STDOUT, same formatted rows", copied, seconds, memory, "baseline"
    )
    # The same sixteen columns and joins, as stored: no time zone, rounding, labels or guards.
    raw_sql = (
        "SELECT e.created_at, a.customer_number, a.name, a.email, e.credit_type, e.activity,"
        " e.gift_card, e.gift_card_status, e.amount, e.currency, e.balance_after,"
        " e.transaction_id, s.order_id, p.name, e.note, e.actor_name"
        " FROM credits_creditentry e JOIN accounts_account a ON a.id = e.account_id"
        " LEFT JOIN accounts_subscription s ON s.id = e.subscription_id"
        " LEFT JOIN accounts_product p ON p.id = s.product_id"
        " ORDER BY e.created_at DESC, e.id DESC"
    )
    with PeakMemory() as memory, connection.cursor() as cursor:
        start = time.perf_counter()
        raw_rows = 0
        with cursor.cursor.copy(f"COPY ({raw_sql}) TO STDOUT WITH (FORMAT csv)") as copy:
            for block in copy:
                raw_rows += bytes(block).count(b"\n")
        seconds = time.perf_counter() - start
    raw_floor = raw_rows / seconds
    results += _throughput(
        "COPY ... TO STDOUT, raw columns (floor)", raw_rows, seconds, memory, "baseline"
    )

    class EntryResource(resources.ModelResource):
        class Meta:
            model = CreditEntry
            fields = (
                "created_at",
                "account__customer_number",
                "account__name",
                "credit_type",
                "activity",
                "amount",
                "currency",
                "balance_after",
                "transaction_id",
                "subscription__order_id",
                "note",
            )

    with PeakMemory() as memory:
        start = time.perf_counter()
        queryset = entries.select_related("account", "subscription").order_by("-created_at")
        exported = EntryResource().export(queryset=queryset)
        body = exported.csv
        seconds = time.perf_counter() - start
    results += _throughput(
        "django-import-export resource", len(exported), seconds, memory, "baseline"
    )
    del body, exported
    results += [
        Result("CSV download: COPY formatted / ours", "x", value=floor / ours),
        Result("CSV download: COPY raw / ours", "x", value=raw_floor / ours, note="target <= 2"),
    ]
    return results


def ingestion(batches: int, batch_size: int, customer_numbers: list[str]) -> list[Result]:
    from integrations.services import integration_create

    name = f"bench-{uuid.uuid4().hex[:8]}"
    _, token = integration_create(name=name)
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    start = time.perf_counter()
    for b in range(batches):
        payload = [
            {
                "account": customer_numbers[(b * batch_size + i) % len(customer_numbers)],
                "type": "email_sent",
                "occurred_at": "2026-11-01T08:00:00+00:00",
                "attributes": {"subject": f"Receipt {b}-{i}", "to": "customer@example.com"},
            }
            for i in range(batch_size)
        ]
        response = client.post("/api/v1/events/", payload, content_type="application/json")
        assert response.status_code == 201, response.content[:500]
    seconds = time.perf_counter() - start
    total = batches * batch_size
    return [
        Result(
            "Ingestion: batch API",
            "ev/s",
            value=total / seconds,
            note=f"{batches} batches of {batch_size}",
        )
    ]


def concurrent_apply_credits(
    customer_numbers: list[str], workers: int, per_worker: int
) -> list[Result]:
    """`workers` threads consume at once, worker w from the SEK wallet of the account
    `customer_numbers[w % len(customer_numbers)]`: one number puts them all on one wallet (each
    waits for the other's lock), several spread them over as many wallets."""
    from django.db import close_old_connections

    from credits.services import apply_credits, credit_grant

    accounts = [Account.objects.get(customer_number=number) for number in customer_numbers]
    for account in accounts:
        credit_grant(
            account=account,
            amount="1000000.00",
            credit_type="currency",
            currency="SEK",
            actor=None,
            note="Benchmark float",
        )
    errors = []

    def work(worker: int):
        try:
            for n in range(per_worker):
                apply_credits(
                    account=accounts[worker % len(accounts)],
                    amount="1.25",
                    credit_type="currency",
                    currency="SEK",
                    transaction_id=f"BENCH-{worker}-{n}-{uuid.uuid4().hex[:6]}",
                )
        except Exception as exc:  # reported below: a failed worker must fail the benchmark
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"{len(errors)} workers failed: {errors[0]!r}")
    wallets = "one wallet" if len(accounts) == 1 else f"{len(accounts)} wallets"
    return [
        Result(
            f"apply_credits: {workers} workers on {wallets}",
            "op/s",
            value=workers * per_worker / seconds,
            note=f"{workers * per_worker} operations",
        )
    ]


def apply_credits_with_lots(customer_number: str, lots: int, operations: int) -> list[Result]:
    """Sequential `apply_credits` on wallets made of many lots, their kinds and expiries mixed
    (so that the draw-down order sorts them): `operations` charges that each take from one of
    `lots` lots, and as many that each take three whole lots (from 3 x `operations` lots of
    1.00 EUR), beside the same charges on a wallet of one lot (the baseline, in NOK)."""
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from credits.services import apply_credits, credit_grant

    account = Account.objects.get(customer_number=customer_number)
    today = timezone.localdate()
    kinds = ("paid", "promotional", "goodwill")

    def fill(currency: str, count: int, amount: Decimal) -> None:
        for n in range(count):
            credit_grant(
                actor=None,
                account=account,
                amount=amount,
                credit_type="currency",
                currency=currency,
                lot_kind=kinds[n % 3],
                expires_on=None if n % 4 == 0 else today + dt.timedelta(days=30 + n % 50),
            )

    def charges(currency: str, amount: str) -> float:
        start = time.perf_counter()
        for n in range(operations):
            apply_credits(
                account=account,
                amount=amount,
                credit_type="currency",
                currency=currency,
                transaction_id=f"LOTS-{currency}-{n}-{uuid.uuid4().hex[:6]}",
            )
        return operations / (time.perf_counter() - start)

    fill("NOK", 1, Decimal(operations) * 2)
    one_lot = charges("NOK", "1.25")
    fill("SEK", lots, Decimal(operations) * 2)
    within = charges("SEK", "1.25")
    fill("EUR", 3 * operations, Decimal(1))
    across = charges("EUR", "3.00")
    note = f"{operations} charges, one thread; one lot: {one_lot:,.0f} op/s"
    return [
        Result(
            f"apply_credits: a wallet of {lots} lots, each charge from one", "op/s",
            value=within, note=note, baseline=one_lot,
        ),
        Result(
            "apply_credits: each charge takes three whole lots", "op/s", value=across,
            note=f"{note}; from {3 * operations} lots", baseline=one_lot,
        ),
    ]  # fmt: skip


def ledger_drift() -> list[Result]:
    """`verify_ledger` after the writes above: the wallets it found drifted (must be 0)."""
    from django.core.management import CommandError, call_command

    try:
        call_command("verify_ledger", verbosity=0)
        drift = 0
    except CommandError:
        drift = 1
    return [
        Result(
            "Ledger drift after the run (verify_ledger)", "wallets", value=drift, note="must be 0"
        )
    ]
