import argparse
import os
import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core.actors import Actor
from legacy_history.csvfile import HEADER, LegacyFileError, read_batches, text_lines
from legacy_history.services import legacy_history_import

COMMAND_ACTOR = "manage.py import_legacy_history"
IMPORT_PERMISSION = "legacy_history.import_legacyentry"


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"“{value}” is not a positive whole number")
    return int(value)


class Command(BaseCommand):
    help = (
        f"Import a legacy Account History CSV file (header {HEADER}). By default a file with "
        "any bad row imports nothing; rows imported before are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the CSV file (UTF-8, with or without BOM)")
        parser.add_argument(
            "--skip-errors", action="store_true", help="import the good rows, report the bad ones"
        )
        parser.add_argument(
            "--batch-size", type=_positive, default=2000, help="rows per batch (default 2000)"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check the whole file and write nothing"
        )
        parser.add_argument(
            "--user", help="username recorded as the importer (must hold the import permission)"
        )

    def handle(self, *args, file: Path, skip_errors, batch_size, dry_run, user, **options):
        actor = self._actor(user)
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        with (
            file.open("rb") as stream,
            tqdm(
                total=os.path.getsize(file),
                unit="B",
                unit_scale=True,
                desc=f"Importing {file.name}",
                file=sys.stderr,
                disable=None,  # no bar when stderr is not a terminal
            ) as bar,
        ):
            done = 0

            def on_batch(rows: int):
                nonlocal done
                done += rows
                bar.set_postfix_str(f"{done} rows")

            try:
                report = legacy_history_import(
                    actor=actor or Actor.system(COMMAND_ACTOR),
                    datasets=read_batches(text_lines(stream, bar.update), batch_size=batch_size),
                    file_name=file.name,
                    skip_errors=skip_errors,
                    dry_run=dry_run,
                    on_batch=on_batch,
                )
            except LegacyFileError as exc:
                raise CommandError(f"{file.name}: {exc} Nothing was imported.") from exc
        self._print_report(file, report, skip_errors=skip_errors, dry_run=dry_run)

    def _actor(self, username):
        if not username:
            return None
        actor = get_user_model().objects.filter(username=username, is_active=True).first()
        if actor is None:
            raise CommandError(f"No active user “{username}”.")
        if not actor.has_perm(IMPORT_PERMISSION):
            raise CommandError(f"“{username}” may not import legacy history.")
        return actor

    def _print_report(self, file, report, *, skip_errors, dry_run):
        write = self.stdout.write
        new = "created" if report.committed else "good (not written)"
        write(f"{file.name}: {_count(report.rows, 'row')}")
        write(f"  {new}: {report.created}")
        write(f"  skipped (already imported): {report.skipped}")
        write(f"  failed: {report.failed}")
        if report.errors:
            self.stderr.write("Errors:")
            for line, message in report.errors:
                self.stderr.write(f"  line {line}: {message}" if line else f"  {message}")
        if dry_run:
            write("Dry run: nothing was written.")
            if report.errors and not skip_errors:
                raise CommandError("The file has errors; an import would write nothing.")
            return
        if not report.committed:
            hint = "" if skip_errors else " Fix them, or run again with --skip-errors."
            raise CommandError(f"Nothing was imported: the file has errors.{hint}")
        outcome = f"Imported {_count(report.created, 'entry', 'entries')}"
        if report.failed:
            outcome += f"; left out {_count(report.failed, 'bad row')}"
        write(self.style.SUCCESS(outcome + "."))


def _count(number: int, one: str, many: str | None = None) -> str:
    return f"{number} {one if number == 1 else many or one + 's'}"
