import argparse
import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from core import partitions
from legacy_history.models import LegacyEntry
from legacy_history.services import legacy_history_migrate


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"“{value}” is not a positive whole number")
    return int(value)


class Command(BaseCommand):
    help = (
        "Turn legacy entries whose event name has a timeline type into typed events (safe to "
        "run again) and print, per event name, what was migrated and what stays in Legacy mode."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size", type=_positive, default=1000, help="entries per transaction"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would be migrated; write nothing"
        )

    def handle(self, *args, batch_size, dry_run, **options):
        with tqdm(
            total=LegacyEntry.objects.not_migrated().count(),
            unit=" entries",
            desc="Migrating",
            file=sys.stderr,
            disable=None,  # no bar when stderr is not a terminal
        ) as bar:
            report = legacy_history_migrate(
                batch_size=batch_size, dry_run=dry_run, on_batch=bar.update
            )
        write = self.stdout.write
        width = max([len(line.event_name) for line in report.lines] + [10])
        write(
            f"{'Event name':<{width}}  {'Timeline type':<36}  "
            f"{'Migrated':>8}  {'Earlier':>8}  {'Left':>8}"
        )
        for line in report.lines:
            write(
                f"{line.event_name:<{width}}  {line.title:<36}  "
                f"{line.migrated:>8}  {line.earlier:>8}  {line.left:>8}"
            )
        verb = "Would migrate" if dry_run else "Migrated"
        write(
            self.style.SUCCESS(
                f"{verb} {report.migrated} entries; {report.left} stay in Legacy mode "
                f"({report.earlier} were migrated by earlier runs)."
            )
        )
        if report.migrated and not dry_run:
            # The migrated events' months, caught by the default partition: their own now.
            made = partitions.maintain()
            if made:
                write(f"Made {len(made)} monthly partition(s) of the timeline for them.")
