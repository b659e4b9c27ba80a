"""The timeline's month counts (activity.models.EventMonthCount) checked against the events they
count, and rebuilt from them: what `manage.py verify_timeline` runs, and what a bulk load that
bypassed the services (the benchmark's COPY) runs afterwards."""

import datetime as dt
from collections.abc import Iterable

from django.db import models, transaction
from django.db.models import Count
from django.db.models.functions import TruncMonth

from activity.models import ActivityEvent, EventMonthCount

Key = tuple[int, str, str, dt.date]


def recomputed() -> dict[Key, int]:
    """Every month count as the events give it now: {(account_id, type, actor_kind, month):
    count}."""
    rows = (
        ActivityEvent.objects.order_by()
        .annotate(month=TruncMonth("occurred_at", output_field=models.DateField(), tzinfo=dt.UTC))
        .values_list("account_id", "type", "actor_kind", "month")
        .annotate(n=Count("pk"))
    )
    return {row[:4]: row[4] for row in rows.iterator()}


def stored() -> dict[Key, int]:
    """Every month count as kept (rows that count nothing left out)."""
    rows = EventMonthCount.objects.filter(count__gt=0).values_list(*EventMonthCount.KEY, "count")
    return {row[:4]: row[4] for row in rows.iterator()}


def count_problems() -> list[str]:
    """Each month count that disagrees with the events, as a line to print (none: all agree)."""
    kept, actual = stored(), recomputed()
    return [
        f"account {key[0]}, {key[1]} by {key[2]}, {key[3]:%Y-%m}: kept {kept.get(key, 0)}, "
        f"the events count {actual.get(key, 0)}"
        for key in sorted(kept.keys() | actual.keys())
        if kept.get(key, 0) != actual.get(key, 0)
    ]


@transaction.atomic
def counts_rebuild(batch_size: int = 5000) -> int:
    """Replace every month count by the events' (after a bulk load that bypassed the services);
    the number of rows written. Run it with the timeline quiet."""
    EventMonthCount.objects.all().delete()
    rows: Iterable[EventMonthCount] = (
        EventMonthCount(account_id=account, type=type, actor_kind=kind, month=month, count=n)
        for (account, type, kind, month), n in recomputed().items()
    )
    return len(EventMonthCount.objects.bulk_create(rows, batch_size=batch_size))
