import datetime as dt
from typing import Any

import pgtrigger
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone


class Command(BaseCommand):
    help = (
        "Remove the personal data that records keep beside what stays (the filters of download "
        "records and of the accounts' access log, the addresses of staff sign-in records) once "
        "they are older than "
        "RETENTION_DAYS; who, when and how many rows are kept. Safe to run again."
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
