from typing import Any

from django.core.management.base import BaseCommand, CommandError

from credits.verification import (
    WalletProblems,
    broken_chains,
    drifted_wallets,
    ledger_size,
    wallet_label,
)


class Command(BaseCommand):
    help = (
        "Recompute every wallet's running balances and hash chain from its entries and report "
        "the wallets whose stored balances, entry numbers or hashes disagree (naming the first "
        "broken entry). Exits with status 1 on any problem."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        wallets, entries = ledger_size()
        problems = {report.wallet_id: report for report in drifted_wallets()}
        for wallet_id, problem in broken_chains():
            if wallet_id not in problems:
                problems[wallet_id] = WalletProblems(wallet_id, wallet_label(wallet_id))
            problems[wallet_id].problems.append(problem)
        for wallet_id in sorted(problems):
            report = problems[wallet_id]
            self.stdout.write(f"Wallet {wallet_id} ({report.label}): " + "; ".join(report.problems))
        if problems:
            raise CommandError(f"{len(problems)} of {wallets} wallets drifted.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Ledger verified: {wallets} wallets, {entries} entries, no drift, "
                "every hash chain intact."
            )
        )
