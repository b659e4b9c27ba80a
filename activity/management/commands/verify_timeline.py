from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from activity.models import EventMonthCount
from activity.verification import count_problems, counts_rebuild


class Command(BaseCommand):
    help = (
        "Recount every account's timeline events per type and month (UTC) and compare them with "
        "the month counts Recent Activity's totals are summed from; print each that disagrees "
        "and exit with status 1. --rebuild replaces the counts by the events' (after a bulk load "
        "that bypassed the services; run it with the timeline quiet)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rebuild", action="store_true", help="replace the month counts by the events'"
        )

    def handle(self, *args: Any, rebuild: bool, **options: Any) -> None:
        if rebuild:
            rows = counts_rebuild()
            self.stdout.write(f"Timeline month counts rebuilt from the events: {rows} rows.")
        problems = count_problems()
        for problem in problems:
            self.stdout.write(f"Month count of {problem}")
        if problems:
            raise CommandError(f"{len(problems)} timeline month counts disagree with the events.")
        rows = EventMonthCount.objects.filter(count__gt=0).count()
        self.stdout.write(
            self.style.SUCCESS(f"Timeline verified: {rows} month counts agree with the events.")
        )
