import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from accounts import services
from accounts.models import Account
from accounts.selectors import erasure_preview
from core.actors import Actor

COMMAND_ACTOR = "manage.py anonymise_accounts"


class Command(BaseCommand):
    help = (
        "Erase the personal data of the customers with these customer numbers (GDPR art. 17), "
        "each in its own transaction, and report what was redacted. --dry-run reports what "
        "would be, and changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("customer_numbers", nargs="+", metavar="CUSTOMER_NUMBER")
        parser.add_argument(
            "--reason",
            default="Right to erasure (GDPR art. 17), by the command line.",
            help="kept with each Customer Anonymised event",
        )
        parser.add_argument("--dry-run", action="store_true", help="report, change nothing")

    def handle(
        self, *args: Any, customer_numbers: list[str], reason: str, dry_run: bool, **options: Any
    ) -> None:
        found = Account.objects.in_bulk(customer_numbers, field_name="customer_number")
        missing = [number for number in customer_numbers if number not in found]
        if missing:
            raise CommandError(f"No account with customer number {', '.join(missing)}.")
        totals: dict[str, int] = {}
        done = already = 0
        for number in tqdm(customer_numbers, desc="Anonymising", file=sys.stderr, disable=None):
            account = found[number]
            if dry_run:
                counts = erasure_preview(account)
            else:
                try:
                    erasure = services.account_anonymise(
                        account=account, actor=Actor.system(COMMAND_ACTOR), reason=reason
                    )
                except ValidationError as exc:
                    raise CommandError(f"{number}: {' '.join(exc.messages)}") from exc
                counts = erasure.redacted
            if not counts:
                already += 1
                self.stdout.write(f"{number}: anonymised already, nothing to do")
                continue
            done += 1
            self.stdout.write(
                f"{number}: " + ", ".join(f"{count} {kind}" for kind, count in counts.items())
            )
            for kind, count in counts.items():
                totals[kind] = totals.get(kind, 0) + count
        verb = "Would anonymise" if dry_run else "Anonymised"
        summary = ", ".join(f"{count} {kind}" for kind, count in totals.items()) or "nothing"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} {done} account(s), {already} already: {summary}.")
        )
