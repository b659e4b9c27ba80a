from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core import money
from credits.services import day_totals, wallet_months
from credits.verification import (
    WalletProblems,
    broken_chains,
    checkpoint_problems,
    day_total_problems,
    drifted_wallets,
    ledger_size,
    lot_problems,
    newest_checkpoint,
    unreconciled_months,
    wallet_label,
    wallet_month_problems,
)


class Command(BaseCommand):
    help = (
        "Recompute every wallet's running balances and hash chain from its entries and report "
        "the wallets whose stored balances, entry numbers or hashes disagree (naming the first "
        "broken entry); then check that every month's credit roll-forward reconciles (opening "
        "+ movements = closing, per credit type and currency), and that every wallet's chain "
        "still holds the heads of the newest signed checkpoint in LEDGER_CHECKPOINT_DIR, and "
        "that the day totals (Credit Activity's totals) and the wallets' month-end balances "
        "(the balances as of a date) agree with the entries, and that every wallet's balance "
        "is the sum of its lots, each lot's remaining amount its amount plus its allocations. "
        "Exits with status 1 on any problem."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--rebuild-totals",
            action="store_true",
            help="First replace the day and unit totals and the wallets' month-end balances by "
            "the entries' (after a bulk load "
            "that went past the services, or an upgrade migrated while older code still wrote); "
            "run it with the ledger's writers stopped.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rebuild_totals"]:
            rows = day_totals.rebuild()
            self.stdout.write(f"Rebuilt the day and unit totals from the entries: {rows} rows.")
            rows = wallet_months.rebuild()
            self.stdout.write(f"Rebuilt the wallets' month-end balances: {rows} rows.")
        wallets, entries = ledger_size()
        problems = {report.wallet_id: report for report in drifted_wallets()}
        for wallet_id, problem in broken_chains():
            if wallet_id not in problems:
                problems[wallet_id] = WalletProblems(wallet_id, wallet_label(wallet_id))
            problems[wallet_id].problems.append(problem)
        for wallet_id, found in lot_problems().items():
            if wallet_id not in problems:
                problems[wallet_id] = WalletProblems(wallet_id, wallet_label(wallet_id))
            problems[wallet_id].problems.extend(found)
        checkpoint = newest_checkpoint(settings.LEDGER_CHECKPOINT_DIR)
        checkpoint_failures: list[str] = []
        for held_by, problem in checkpoint_problems(checkpoint) if checkpoint else ():
            if held_by is None:
                checkpoint_failures.append(problem)
                self.stdout.write(f"Checkpoint: {problem}")
                continue
            if held_by not in problems:
                problems[held_by] = WalletProblems(held_by, wallet_label(held_by))
            problems[held_by].problems.append(problem)
        for wallet_id in sorted(problems):
            report = problems[wallet_id]
            self.stdout.write(f"Wallet {wallet_id} ({report.label}): " + "; ".join(report.problems))
        months = list(unreconciled_months())
        for period, line in months:
            unit = line.currency
            self.stdout.write(
                f"Roll-forward {period.first:%Y-%m} ({settings.TIME_ZONE}), {line.unit.label}: "
                f"opening {money.plain(line.opening, unit)} + movements "
                f"{money.plain(line.moved, unit)} is not closing {money.plain(line.closing, unit)}"
                f" (off by {money.plain(line.difference, unit)})"
            )
        days = day_total_problems()
        for problem in days:
            self.stdout.write(f"Day total {problem}")
        ends = wallet_month_problems()
        for problem in ends:
            self.stdout.write(f"Month-end balance of {problem}")
        failures = list(checkpoint_failures)
        if problems:
            failures.append(f"{len(problems)} of {wallets} wallets drifted.")
        if months:
            failures.append(f"{len(months)} monthly roll-forward lines do not reconcile.")
        if days:
            failures.append(f"{len(days)} day totals disagree with their entries.")
        if ends:
            failures.append(f"{len(ends)} month-end balances disagree with their entries.")
        if failures:
            raise CommandError(" ".join(failures))
        against = f", the heads of {checkpoint.name} held" if checkpoint else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Ledger verified: {wallets} wallets, {entries} entries, no drift, "
                f"every hash chain intact{against}, every month's roll-forward reconciles, "
                "the day totals and month-end balances agree, every balance is its lots'."
            )
        )
