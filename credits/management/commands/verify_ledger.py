from django.core.management.base import BaseCommand, CommandError
from django.db import connection

# One pass over the ledger in SQL. Per wallet, a window over its entries in seq order gives the
# running sum of the amounts (what each balance_after must be) and the row number (what each
# seq must be: 1, 2, 3... without gaps); the wallet's balance must equal the sum of all its
# amounts and its last_seq the number of its entries. Works on PostgreSQL and SQLite (3.25+).
# On SQLite decimals are stored as floating point, so equality allows half of the smallest
# stored unit (0.0001); on PostgreSQL numeric is exact and the tolerance changes nothing.
DRIFT_SQL = """
WITH running AS (
    SELECT
        e.wallet_id,
        e.seq,
        e.amount,
        e.balance_after,
        SUM(e.amount) OVER (
            PARTITION BY e.wallet_id ORDER BY e.seq ROWS UNBOUNDED PRECEDING
        ) AS expected_balance,
        ROW_NUMBER() OVER (PARTITION BY e.wallet_id ORDER BY e.seq) AS expected_seq
    FROM credits_creditentry e
),
per_wallet AS (
    SELECT
        wallet_id,
        COUNT(*) AS entries,
        SUM(amount) AS total,
        MIN(CASE WHEN ABS(balance_after - expected_balance) > 0.00005 THEN seq END)
            AS first_drifted_seq,
        SUM(CASE WHEN seq <> expected_seq THEN 1 ELSE 0 END) AS misnumbered
    FROM running
    GROUP BY wallet_id
)
SELECT
    w.id,
    a.customer_number,
    s.order_id,
    w.credit_type,
    w.currency,
    w.balance,
    COALESCE(p.total, 0),
    w.last_seq,
    COALESCE(p.entries, 0),
    p.first_drifted_seq,
    COALESCE(p.misnumbered, 0)
FROM credits_creditwallet w
JOIN accounts_account a ON a.id = w.account_id
LEFT JOIN accounts_subscription s ON s.id = w.subscription_id
LEFT JOIN per_wallet p ON p.wallet_id = w.id
WHERE ABS(w.balance - COALESCE(p.total, 0)) > 0.00005
   OR w.last_seq <> COALESCE(p.entries, 0)
   OR p.first_drifted_seq IS NOT NULL
   OR COALESCE(p.misnumbered, 0) > 0
ORDER BY w.id
"""


class Command(BaseCommand):
    help = (
        "Recompute every wallet's running balances from its entries and report the wallets whose "
        "stored balances or entry numbers disagree. Exits with status 1 on any drift."
    )

    def handle(self, *args, **options):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*), (SELECT COUNT(*) FROM credits_creditentry) "
                "FROM credits_creditwallet"
            )
            wallets, entries = cursor.fetchone()
            cursor.execute(DRIFT_SQL)
            drifted = cursor.fetchall()
        for row in drifted:
            (
                pk,
                customer,
                order_id,
                credit_type,
                currency,
                balance,
                total,
                last_seq,
                count,
                first_seq,
                misnumbered,
            ) = row
            where = f"subscription {order_id}" if order_id else "account"
            problems = []
            if abs(balance - total) > 0.00005:
                problems.append(f"balance {balance} but its entries sum to {total}")
            if first_seq is not None:
                problems.append(f"balance_after drifts from entry {first_seq}")
            if misnumbered:
                problems.append(f"{misnumbered} entries numbered out of sequence")
            if last_seq != count:
                problems.append(f"last_seq {last_seq} for {count} entries")
            self.stdout.write(
                f"Wallet {pk} ({customer}, {where}, {currency or credit_type}): "
                + "; ".join(problems)
            )
        if drifted:
            raise CommandError(f"{len(drifted)} of {wallets} wallets drifted.")
        self.stdout.write(
            self.style.SUCCESS(f"Ledger verified: {wallets} wallets, {entries} entries, no drift.")
        )
