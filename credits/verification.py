"""Checks of the whole ledger, for `verify_ledger`: the running balances and entry numbers
(in SQL, one pass), the hash chains (streamed, in constant memory), the chains' heads against
the newest signed checkpoint outside the database, and the credit roll-forward of every month
(opening + movements = closing, per credit type and currency), the day totals against the
entries they count, and the lots against the balances and the allocations."""

import datetime as dt
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import connection
from django.db.models import Q, Sum
from django.utils import timezone

from credits import chain
from credits.models import HALF_QUANTUM, CreditAllocation, CreditEntry, CreditLot, CreditWallet
from credits.rollforward import Period, RollForwardLine, credit_rollforward, ledger_months
from credits.services import day_totals, wallet_months

CHUNK = 5000

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
        SUM(CASE WHEN amount > 0 THEN amount ELSE 0 END) AS added,
        SUM(CASE WHEN amount < 0 THEN amount ELSE 0 END) AS removed,
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
    COALESCE(p.misnumbered, 0),
    w.added,
    COALESCE(p.added, 0),
    w.removed,
    COALESCE(p.removed, 0)
FROM credits_creditwallet w
JOIN accounts_account a ON a.id = w.account_id
LEFT JOIN accounts_subscription s ON s.id = w.subscription_id
LEFT JOIN per_wallet p ON p.wallet_id = w.id
WHERE ABS(w.balance - COALESCE(p.total, 0)) > 0.00005
   OR w.last_seq <> COALESCE(p.entries, 0)
   OR p.first_drifted_seq IS NOT NULL
   OR COALESCE(p.misnumbered, 0) > 0
   OR ABS(w.added - COALESCE(p.added, 0)) > 0.00005
   OR ABS(w.removed - COALESCE(p.removed, 0)) > 0.00005
ORDER BY w.id
"""


@dataclass
class WalletProblems:
    wallet_id: int
    label: str  # customer number, account or subscription, unit
    problems: list[str] = field(default_factory=list)


def wallet_label(wallet_id: int) -> str:
    wallet = CreditWallet.objects.select_related("account", "subscription").get(pk=wallet_id)
    where = f"subscription {wallet.subscription.order_id}" if wallet.subscription else "account"
    return f"{wallet.account.customer_number}, {where}, {wallet.currency or wallet.credit_type}"


def ledger_size() -> tuple[int, int]:
    """(wallets, entries)."""
    return CreditWallet.objects.count(), CreditEntry.objects.count()


def drifted_wallets() -> list[WalletProblems]:
    """Wallets whose balances, running totals (added, removed), balance-after chain or entry
    numbers disagree with their entries."""
    with connection.cursor() as cursor:
        cursor.execute(DRIFT_SQL)
        rows = cursor.fetchall()
    found = []
    for row in rows:
        (pk, customer, order_id, credit_type, currency, balance, total, last_seq, count,
         first_seq, misnumbered, added, added_sum, removed, removed_sum) = row  # fmt: skip
        where = f"subscription {order_id}" if order_id else "account"
        report = WalletProblems(pk, f"{customer}, {where}, {currency or credit_type}")
        if abs(Decimal(balance) - Decimal(total)) > Decimal("0.00005"):
            report.problems.append(f"balance {balance} but its entries sum to {total}")
        if first_seq is not None:
            report.problems.append(f"balance_after drifts from entry {first_seq}")
        if misnumbered:
            report.problems.append(f"{misnumbered} entries numbered out of sequence")
        for name, stored, summed in (
            ("added", added, added_sum),
            ("removed", removed, removed_sum),
        ):
            if abs(Decimal(stored) - Decimal(summed)) > Decimal("0.00005"):
                report.problems.append(f"{name} {stored} but its entries sum to {summed}")
        if last_seq != count:
            report.problems.append(f"last_seq {last_seq} for {count} entries")
        found.append(report)
    return found


def broken_chains() -> Iterator[tuple[int, str]]:
    """(wallet, what is wrong) for each wallet whose hash chain does not hold: the first entry
    whose hash (or, unless redacted, whose text's digest) does not match, or a wallet whose last
    hash is not its newest entry's. Reads the entries in (wallet, seq) order in chunks."""
    last_hashes = dict(CreditWallet.objects.values_list("pk", "last_hash"))
    rows = (
        CreditEntry.objects.order_by("wallet_id", "seq")
        .values_list(
            "note",
            "gift_card",
            "redacted_at",
            "hash",
            "key_id",
            *chain.HASHED_FIELDS,
            *chain.ENDORSEMENT_FIELDS,
        )
        .iterator(chunk_size=CHUNK)
    )
    current, previous, broken = None, "", False
    for note, gift_card, redacted_at, stored, key_id, *values in rows:
        fields = dict(zip(chain.HASHED_FIELDS + chain.ENDORSEMENT_FIELDS, values, strict=True))
        wallet_id = fields["wallet_id"]
        if wallet_id != current:
            if current is not None and not broken and last_hashes.get(current) != previous:
                yield current, "its last hash is not its newest entry's"
            current, previous, broken = wallet_id, "", False
        if broken:
            continue
        if redacted_at is None and chain.text_digest(note, gift_card) != fields["text_digest"]:
            yield wallet_id, f"entry {fields['seq']}: its note or gift card was changed"
            broken = True
        elif (key := chain.key_for(key_id)) is None:
            yield wallet_id, f"entry {fields['seq']} is signed with no known key ({key_id!r})"
            broken = True
        elif chain.entry_hash(previous=previous, key=key, **fields) != stored:
            yield wallet_id, f"hash chain broken at entry {fields['seq']}"
            broken = True
        previous = stored
    if current is not None and not broken and last_hashes.get(current) != previous:
        yield current, "its last hash is not its newest entry's"


def _sums_by(model, key: str) -> Iterator[tuple[int, Decimal]]:
    """(key, sum of amount) of `model`'s rows grouped by `key`, in the key's order: streamed,
    and one table alone (a query Citus runs on every shard)."""
    return (
        model.objects.order_by(key)
        .values(key)
        .annotate(total=Sum("amount"))
        .values_list(key, "total")
        .iterator(CHUNK)
    )


def lot_problems() -> dict[int, list[str]]:
    """Per wallet, what is wrong with its lots (credits.models.lots): a balance that is not
    the sum of its lots' remaining amounts; a lot whose remaining amount is not its amount plus
    its allocations (a lot changed past the services); an entry that took credit whose
    allocations do not add up to its amount. {} when all agree. Each check streams two sorted
    queries of one table each and walks them side by side (memory: one row per wallet)."""
    found: dict[int, list[str]] = {}
    zero = Decimal(0)
    held = dict(
        CreditLot.objects.order_by()
        .values("wallet_id")
        .annotate(held=Sum("remaining"))
        .values_list("wallet_id", "held")
    )
    for pk, balance in CreditWallet.objects.values_list("pk", "balance").iterator(CHUNK):
        lots = held.get(pk) or zero
        if abs(balance - lots) > HALF_QUANTUM:
            found.setdefault(pk, []).append(
                f"balance {balance} but its lots hold {lots} (the balance must be their sum)"
            )
    lots_rows = CreditLot.objects.order_by("pk").values_list(
        "pk", "wallet_id", "amount", "remaining"
    )
    moved = _sums_by(CreditAllocation, "lot_id")
    pending = next(moved, None)
    for pk, wallet_id, amount, remaining in lots_rows.iterator(CHUNK):
        while pending is not None and pending[0] < pk:
            pending = next(moved, None)
        expected = amount + (pending[1] if pending is not None and pending[0] == pk else zero)
        if abs(remaining - expected) > HALF_QUANTUM:
            found.setdefault(wallet_id, []).append(
                f"lot {pk} has {remaining} left but its amount and allocations give {expected}"
            )
    # Each draw-down written since lots are kept (those older have no allocation).
    allocated = _sums_by(CreditAllocation, "entry_id")
    entries = (
        CreditEntry.objects.filter(amount__lt=0)
        .order_by("pk")
        .values_list("pk", "wallet_id", "seq", "amount")
    )
    pending = next(allocated, None)
    for pk, wallet_id, seq, amount in entries.iterator(CHUNK):
        if pending is None:
            break
        while pending is not None and pending[0] < pk:
            pending = next(allocated, None)
        if pending is not None and pending[0] == pk and abs(pending[1] - amount) > HALF_QUANTUM:
            found.setdefault(wallet_id, []).append(
                f"entry {seq} took {amount} but its lots gave {pending[1]}"
            )
    return found


def unreconciled_months() -> Iterator[tuple[Period, RollForwardLine]]:
    """(month, line) for each line of each month's roll-forward, over the ledger's whole life,
    whose opening balance + movements is not its closing balance: the same report the Credit
    Balances page shows. On a ledger whose balances agree with its entries, a line fails when
    entries are dated out of their wallet's order (a balance as of an instant then is not the
    sum of the amounts before it)."""
    for period in ledger_months():
        for line in credit_rollforward(period):
            if not line.reconciles:
                yield period, line


def day_total_problems() -> list[str]:
    """Each day total and unit total (credits.models.totals) that is not what its entries add
    up to, said as day ("All days" for a unit total), unit, activity, product and slot with
    both figures; [] when all agree."""
    kept, expected = day_totals.stored(), day_totals.recomputed()
    problems = []
    none = (0, Decimal(0), Decimal(0))
    for key in sorted(kept.keys() | expected.keys(), key=str):
        have, want = kept.get(key, none), expected.get(key, none)
        sums = ((have[1], want[1]), (have[2], want[2]))
        if have[0] != want[0] or any(abs(a - b) > HALF_QUANTUM for a, b in sums):
            day, credit_type, currency, activity, product, slot = key
            problems.append(
                f"{day or 'All days'} {currency or credit_type} {activity} product {product} "
                f"slot {slot}: "
                f"kept {have[0]} entries (+{have[1]}, {have[2]}), the entries give {want[0]} "
                f"(+{want[1]}, {want[2]})"
            )
    return problems


def wallet_month_problems() -> list[str]:
    """Each wallet's month-end balance (credits.models.CreditWalletMonth, what a balance as of
    an instant reads for the months before the instant's) that is not its entries', said as
    wallet and month with both figures; [] when all agree."""
    kept, expected = wallet_months.stored(), wallet_months.recomputed()
    problems = []
    for wallet_id, month in sorted(kept.keys() | expected.keys()):
        have, want = kept.get((wallet_id, month)), expected.get((wallet_id, month))
        if have is None or want is None or have[1:] != want[1:]:
            said = [f"entry {v[1]}, balance {v[2]}" if v else "nothing" for v in (have, want)]
            problems.append(
                f"wallet {wallet_id} {month:%Y-%m}: kept {said[0]}, the entries give {said[1]}"
            )
    return problems


# --- Checkpoints ------------------------------------------------------------------------------
# The head of every wallet's chain (its last seq and hash), signed with the ledger's key and
# written outside the database (LEDGER_CHECKPOINT_DIR). A later rewrite of any entry up to a head,
# even by someone who holds the key and signs the rewritten chain again, no longer matches the
# newest checkpoint.

CHECKPOINT_GLOB = "ledger-checkpoint-*.json"


def _signed_text(written_at: str, heads: dict[str, list]) -> str:
    return json.dumps({"written_at": written_at, "heads": heads}, sort_keys=True)


def checkpoint_write(directory: str | Path) -> Path:
    """Write the signed heads of every wallet's chain to a new file in `directory`."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    written_at = timezone.now().astimezone(dt.UTC).isoformat(timespec="microseconds")
    heads = {
        str(pk): [seq, last_hash]
        for pk, seq, last_hash in CreditWallet.objects.filter(last_seq__gt=0)
        .order_by("pk")
        .values_list("pk", "last_seq", "last_hash")
    }
    key_id, key = chain.signing_key()
    payload = {
        "written_at": written_at,
        "key_id": key_id,
        "heads": heads,
        "signature": chain.sign(key, _signed_text(written_at, heads)),
    }
    stamp = written_at.replace(":", "").replace("-", "").replace("+0000", "Z")
    path = folder / f"ledger-checkpoint-{stamp}.json"
    path.write_text(json.dumps(payload, indent=1))
    return path


def newest_checkpoint(directory: str | Path) -> Path | None:
    paths = sorted(Path(directory).glob(CHECKPOINT_GLOB)) if directory else []
    return paths[-1] if paths else None


def checkpoint_problems(path: Path) -> Iterator[tuple[int | None, str]]:
    """(wallet or None, what is wrong) where the ledger disagrees with the checkpoint at `path`:
    a checkpoint whose signature does not hold, or a wallet whose entry at the recorded head is
    missing or has another hash."""
    try:
        saved = json.loads(path.read_text())
        heads, written_at = saved["heads"], saved["written_at"]
        key = chain.key_for(saved["key_id"])
        signature = saved["signature"]
    except (OSError, ValueError, KeyError, TypeError):
        yield None, f"the checkpoint {path.name} cannot be read"
        return
    if key is None or not hmac.compare_digest(
        chain.sign(key, _signed_text(written_at, heads)), signature
    ):
        yield None, f"the checkpoint {path.name} is not signed by a known key"
        return
    wanted = {int(pk): (seq, digest) for pk, (seq, digest) in heads.items()}
    found = dict.fromkeys(wanted)
    for pk_range in range(0, len(wanted), CHUNK):
        chunk = sorted(wanted)[pk_range : pk_range + CHUNK]
        condition = Q()
        for pk in chunk:
            condition |= Q(wallet_id=pk, seq=wanted[pk][0])
        for wallet_id, digest in CreditEntry.objects.filter(condition).values_list(
            "wallet_id", "hash"
        ):
            found[wallet_id] = digest
    for pk, (seq, digest) in sorted(wanted.items()):
        if found[pk] != digest:
            yield pk, f"entry {seq} differs from the checkpoint of {written_at}"
