"""The measurements: each returns rows of (name, unit, samples or value, note)."""

import statistics
import time
from dataclasses import dataclass, field

from django.core.paginator import Paginator
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

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else self.value

    def as_dict(self) -> dict:
        data = {"name": self.name, "unit": self.unit, "median": self.median, "note": self.note}
        if self.samples:
            data |= {"min": min(self.samples), "max": max(self.samples), "n": len(self.samples)}
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
    client = Client()
    client.force_login(user)
    return client


def _get(client, url):
    def fn():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    return fn


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
