from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from credits.verification import checkpoint_write


class Command(BaseCommand):
    help = (
        "Write the head (last entry number and hash) of every wallet's chain, signed with the "
        "ledger's key, to a new file in LEDGER_CHECKPOINT_DIR (or --dir), outside the "
        "database; verify_ledger then checks the chains still hold those heads. Run it daily "
        "and keep the files where the database's administrators cannot write."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dir", default=settings.LEDGER_CHECKPOINT_DIR)

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["dir"]:
            raise CommandError("Set LEDGER_CHECKPOINT_DIR or give --dir.")
        path = checkpoint_write(options["dir"])
        self.stdout.write(self.style.SUCCESS(f"Checkpoint written: {path}"))
