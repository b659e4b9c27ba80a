"""The measurements: each returns rows of (name, unit, samples or value, note)."""

import gc
import os
import statistics
import threading
import time
import uuid
from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.db import connection, transaction
from django.test import Client

from accounts.models import Account
from activity.selectors import encode_cursor, events_for_account, keyset_page


@dataclass
class Result:
    name: str
    unit: str
    samples: list[float] = field(default_factory=list)
    value: float | None = None
    note: str = ""
    # The same measurement on the baseline (e.g. without an index), shown in the note.
    baseline: float | None = None

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else self.value

    def as_dict(self) -> dict:
        data = {"name": self.name, "unit": self.unit, "median": self.median, "note": self.note}
        if self.samples:
            data |= {"min": min(self.samples), "max": max(self.samples), "n": len(self.samples)}
        if self.baseline is not None:
            data["baseline"] = self.baseline
        return data


def timed(fn, repeat: int) -> list[float]:
    fn()  # warm caches and connections once
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def signed_in_client(user) -> Client:
    """A client signed in as `user` with the second factor entered, as a System Administrator's
    every page is served (the bench user's authenticator app is set up here)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="Bench", defaults={"confirmed": True}
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _get(client, url, answers=(200,)):
    def fn():
        response = client.get(url)
        assert response.status_code in answers, (url, response.status_code)

    return fn


# A search with exactly one match answers with the account's address (302): it ran in full.
SEARCH_ANSWERS = (200, 302)


def recent_activity(client, whale: str, repeat: int, depth: int) -> list[Result]:
    account = Account.objects.get(customer_number=whale)
    events = events_for_account(account)
    base = f"/accounts/{whale}/activity/"
    # The edge event of page `depth`: where a reader who clicked Older depth-1 times would be.
    edge = events[(depth - 1) * 25 - 1]
    cursor = encode_cursor("o", edge)
    results = [
        Result("Recent Activity: whale first page", "ms", timed(_get(client, base), repeat)),
        Result(
            f"Recent Activity: whale page {depth:,} by cursor",
            "ms",
            timed(_get(client, f"{base}?cursor={cursor}"), repeat),
        ),
        Result(
            "Recent Activity: two types + 30 days",
            "ms",
            timed(
                _get(
                    client,
                    f"{base}?type=email_sent&type=subscription_renewed"
                    "&date_from=2026-09-01&date_to=2026-09-30",
                ),
                repeat,
            ),
        ),
        Result(
            f"  query only: page {depth:,} by cursor",
            "ms",
            timed(lambda: keyset_page(events, cursor).events, repeat),
        ),
        Result(
            f"  query only: page {depth:,} by OFFSET (Paginator)",
            "ms",
            timed(lambda: list(Paginator(events, 25).page(depth).object_list), repeat),
            note="baseline",
        ),
    ]
    return results


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


def credit_activity(client, email: str, repeat: int) -> list[Result]:
    return [
        Result(
            "Credit Activity: unfiltered", "ms", timed(_get(client, "/credits/activity/"), repeat)
        ),
        Result(
            "Credit Activity: filtered by account e-mail",
            "ms",
            timed(_get(client, f"/credits/activity/?account_email={email}"), repeat),
        ),
    ]


# Account search and Credit Activity's text filters, over the search accounts (bench.generate).
SEARCH_NAME_PART = "nilss"  # Nilsson, Nilsen...: about 1 account in 400


def search_pages(account: int) -> list[tuple[str, str]]:
    """(row name, address) of the searches measured; `account` is one of the accounts with
    credit entries, whose e-mail, customer number and order ID are searched for."""
    from bench import generate

    return [
        (f"Account search: a name part ({SEARCH_NAME_PART})", f"/accounts/?q={SEARCH_NAME_PART}"),
        ("Account search: an e-mail", f"/accounts/?q={generate.account_email(account)}"),
        ("Account search: a customer number", f"/accounts/?q={generate.customer_number(account)}"),
        ("Account search: an order ID", f"/accounts/?q={generate.order_id(account)}"),
        ("Account search: a term that matches nothing", "/accounts/?q=zzqx"),
        (
            f"Credit Activity: account name contains {SEARCH_NAME_PART}",
            f"/credits/activity/?account_name={SEARCH_NAME_PART}",
        ),
        (
            "Credit Activity: subscription name contains sport",
            "/credits/activity/?subscription_name=sport",
        ),
    ]


def search(client, account: int, repeat: int) -> list[Result]:
    """Each search with the trigram indexes, and the same without them: they are dropped in a
    transaction, measured, and the transaction rolled back (which restores them unbuilt)."""
    from bench.generate import trigram_indexes

    pages = search_pages(account)
    results = [
        Result(name, "ms", timed(_get(client, url, SEARCH_ANSWERS), repeat), note="target <= 30 ms")
        for name, url in pages
    ]
    with transaction.atomic():
        with connection.cursor() as cursor:
            for name, _definition in trigram_indexes():
                cursor.execute(f'DROP INDEX "{name}"')
        for result, (_name, url) in zip(results, pages, strict=True):
            result.baseline = statistics.median(
                timed(_get(client, url, SEARCH_ANSWERS), max(repeat // 4, 1))
            )
            result.note = f"without trigram indexes: {result.baseline:,.1f} ms; {result.note}"
        transaction.set_rollback(True)
    return results


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
    with PeakMemory() as memory:
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


def concurrent_apply_credits(customer_number: str, workers: int, per_worker: int) -> list[Result]:
    """`workers` threads consume from one wallet at once; then the ledger is verified."""
    from django.core.management import CommandError, call_command
    from django.db import close_old_connections

    from credits.services import apply_credits, credit_grant

    account = Account.objects.get(customer_number=customer_number)
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
                    account=account,
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
    try:
        call_command("verify_ledger", verbosity=0)
        drift = 0
    except CommandError:
        drift = 1
    return [
        Result(
            f"apply_credits: {workers} workers on one wallet",
            "op/s",
            value=workers * per_worker / seconds,
            note=f"{workers * per_worker} operations",
        ),
        Result(
            "Ledger drift after the run (verify_ledger)", "wallets", value=drift, note="must be 0"
        ),
    ]


# The credit roll-forward: a month of the ledger (bench.generate spreads every wallet's entries
# over START..END, so any month holds about 1/46 of them).
ROLLFORWARD_MONTH = ("2026-09-01", "2026-09-30")
LEDGER_SUM_SQL = (
    "SELECT credit_type, currency, SUM(amount) FROM credits_creditentry"
    " GROUP BY credit_type, currency"
)


def rollforward(client, repeat: int) -> list[Result]:
    """The Credit Balances page for a month, and its queries alone, beside the cost of summing
    every amount of the ledger once (what a roll-forward computed from sums would pay twice)."""
    import datetime as dt

    from credits.rollforward import Period, credit_rollforward

    first, last = ROLLFORWARD_MONTH
    period = Period(dt.date.fromisoformat(first), dt.date.fromisoformat(last))

    def ledger_sum():
        with connection.cursor() as cursor:
            cursor.execute(LEDGER_SUM_SQL)
            cursor.fetchall()

    baseline = statistics.median(timed(ledger_sum, repeat))
    return [
        Result(
            "Credit Balances: one month (page)",
            "ms",
            timed(_get(client, f"/credits/balances/?date_from={first}&date_to={last}"), repeat),
            note="target < 300 ms",
        ),
        Result(
            "  query only: the month's roll-forward",
            "ms",
            timed(lambda: credit_rollforward(period), repeat),
            note=f"SUM(amount) of the whole ledger per unit: {baseline:,.1f} ms",
            baseline=baseline,
        ),
        Result(
            "  Credit Balances: one unit's wallets (page 1)",
            "ms",
            timed(_get(client, f"/credits/balances/SEK/?date_from={first}&date_to={last}"), repeat),
        ),
    ]


def totals(email: str, repeat: int) -> list[Result]:
    """The totals above Credit Activity (their queries alone), as the page computes them: over
    whole wallets (no filter, or an account's) from the wallets' running totals, beside the
    same totals aggregated from the entries; and a month, which only the entries can give."""
    from credits.filters import CreditActivityFilter
    from credits.selectors import credit_activity, credit_totals, wallet_totals

    def page_totals(query):
        filterset = CreditActivityFilter(query or None, queryset=credit_activity())
        assert not filterset.is_bound or filterset.is_valid()
        wallets = filterset.whole_wallets()
        return wallet_totals(wallets) if wallets is not None else credit_totals(filterset.qs)

    by_email = {"account_email": email}
    # A month inside the generated ledger's span (January 2023 to November 2026).
    month = {"created_from": "2026-09-01", "created_to": "2026-09-30"}
    results = []
    for label, query in (
        ("unfiltered", {}),
        ("by account e-mail", by_email),
        ("one month", month),
    ):
        from_entries = timed(
            lambda q=query: credit_totals(CreditActivityFilter(q, queryset=credit_activity()).qs),
            repeat,
        )
        note = (
            "" if query is month else f"from the entries: {statistics.median(from_entries):,.1f} ms"
        )
        results.append(
            Result(
                f"Credit Activity totals: {label} (queries only)",
                "ms",
                timed(lambda q=query: page_totals(q), repeat),
                note=note,
            )
        )
    return results
