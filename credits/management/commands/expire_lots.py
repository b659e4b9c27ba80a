import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from credits.services import credit_lots_expire

BAD_DAY = "--today must be a date as YYYY-MM-DD, not {!r}."


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(BAD_DAY.format(value)) from None


class Command(BaseCommand):
    help = (
        "Expire the credit of every lot whose expiry date has passed (Credit Expired entries, "
        "by System). The background worker does it every LOT_EXPIRY_INTERVAL_SECONDS; run it "
        "from cron where no worker runs. Running it again expires nothing twice."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--today",
            help="Expire as of this local day (YYYY-MM-DD, today or earlier): lots whose "
            "expiry date is before it. Default: today in the site's time zone.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = _day(options["today"]) if options["today"] is not None else None
        try:
            run = credit_lots_expire(today=today)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(f"As of {run.today}: {run.describe()}")
        if run.failures:
            raise CommandError(f"{len(run.failures)} wallet(s) could not be expired; see above.")
