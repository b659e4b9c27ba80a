import datetime as dt
from typing import Any

import pgtrigger
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from core import partitions


class Command(BaseCommand):
    help = (
        "Remove the personal data that records keep beside what stays (the filters of download "
        "records and of the accounts' access log, the addresses of staff sign-in records) once "
        "they are older than RETENTION_DAYS; who, when and how many rows are kept. Then drops "
        "the months of the timeline older than TIMELINE_RETENTION_MONTHS (whole partitions; 0 "
        "keeps them all). Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days", type=int, default=None, help="override RETENTION_DAYS for this run"
        )

    def handle(self, *args: Any, days: int | None, **options: Any) -> None:
        days = settings.RETENTION_DAYS if days is None else days
        before = timezone.now() - dt.timedelta(days=days)
        # Each model says what it empties (RETENTION: field -> the empty value's type) and
        # which date counts (RETENTION_DATE, created_at unless it says otherwise).
        for model in apps.get_models():
            retention = getattr(model, "RETENTION", None)
            if not retention:
                continue
            date_field = getattr(model, "RETENTION_DATE", "created_at")
            emptied = {field: empty() for field, empty in retention.items()}
            old = model._default_manager.filter(**{f"{date_field}__lt": before})
            for field, value in emptied.items():
                old = old.exclude(**{field: value})
            # Past the triggers that keep these records as written: this is the retention rule.
            with transaction.atomic(), pgtrigger.ignore():
                count = old.update(**emptied)
            self.stdout.write(
                f"{model._meta.verbose_name_plural}: emptied {', '.join(emptied)} of {count} "
                f"record(s) older than {days} days"
            )
        self._drop_old_months()

    def _drop_old_months(self) -> None:
        keep = settings.TIMELINE_RETENTION_MONTHS
        if keep <= 0:
            return
        # The oldest month kept: this one and the `keep - 1` before it.
        first = partitions.month_of(timezone.now())
        for _ in range(keep - 1):
            first = (first - dt.timedelta(days=1)).replace(day=1)
        for spec in partitions.configured():
            if spec.label != "activity.ActivityEvent":
                continue  # the ledger keeps every month (its chains and balances go back)
            gone = partitions.drop_before(spec, first)
            name = spec.model._meta.verbose_name_plural
            self.stdout.write(
                f"{name}: dropped {len(gone)} month(s) before {first:%Y-%m}"
                + (f" ({', '.join(f'{m:%Y-%m}' for m in gone)})" if gone else "")
            )
