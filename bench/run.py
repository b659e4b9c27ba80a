"""Benchmark: build a large dataset in PostgreSQL with COPY, measure, print a table, write JSON.

    make bench                       # default sizes (see --help)
    python -m bench.run --events 20000 --accounts 200 --whale 5000 --credit-entries 20000 \
        --search-accounts 50000

Uses BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/backoffice_bench); the
database is created and migrated when missing, and its tables are refilled on every run.
"""

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time
import warnings
from pathlib import Path

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/backoffice_bench"
BASELINE = Path(__file__).with_name("baseline.json")


def configure_django(url: str) -> None:
    warnings.filterwarnings("ignore", message="No directory at")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-0123456789abcdefghijklmnop")
    os.environ["DEBUG"] = "false"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    os.environ["STATIC_STORAGE"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def ensure_database(url: str, *, fresh: bool = False) -> None:
    """Create the database of `url` when it is missing (`fresh`: drop it first)."""
    import environ
    import psycopg

    config = environ.Env.db_url_config(url)
    with psycopg.connect(
        host=config["HOST"],
        port=config["PORT"] or 5432,
        user=config["USER"],
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{config["NAME"]}" WITH (FORCE)')
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{config["NAME"]}"')


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--whale", type=int, default=200_000, help="events of the largest account")
    parser.add_argument("--credit-entries", type=int, default=1_000_000)
    parser.add_argument(
        "--search-accounts",
        type=int,
        default=2_000_000,
        help="accounts in all, for the search measurements (the first --accounts have events)",
    )
    parser.add_argument("--repeat", type=int, default=20, help="samples per timed measurement")
    parser.add_argument("--depth", type=int, default=1000, help="page depth for the deep page")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batches", type=int, default=20, help="API batches to ingest")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=8, help="concurrent apply_credits workers")
    parser.add_argument("--per-worker", type=int, default=50)
    parser.add_argument("--json", default="bench/results/latest.json")
    parser.add_argument(
        "--baseline",
        default=str(BASELINE),
        help="a saved run to compare each row with (the repository keeps one)",
    )
    parser.add_argument(
        "--save-baseline",
        action="store_true",
        help="also write this run to --baseline, for later runs to compare with",
    )
    parser.add_argument("--skip-generate", action="store_true", help="reuse the existing data")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse(argv)
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    ensure_database(url)
    configure_django(url)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from bench import generate, measure
    from config import roles

    call_command("migrate", verbosity=0)
    rng = random.Random(args.seed)
    timings = {}
    if not args.skip_generate:
        for step, fn in [
            ("accounts", lambda: generate.accounts(args.accounts, rng)),
            ("events", lambda: generate.events(args.events, args.accounts, args.whale, rng)),
            ("ledger", lambda: generate.ledger(args.credit_entries, args.accounts, rng)),
            ("search accounts", lambda: generate.search_accounts(args.search_accounts, rng)),
        ]:
            start = time.perf_counter()
            fn()
            timings[step] = time.perf_counter() - start
            print(f"generated {step} in {timings[step]:.1f} s", flush=True)
    generate.settle()

    roles.sync_roles()
    User = get_user_model()
    user, _ = User.objects.get_or_create(username="bench-admin", defaults={"is_staff": True})
    from django.contrib.auth.models import Group

    user.groups.set([Group.objects.get(name=roles.SYSTEM_ADMINISTRATOR)])
    client = measure.signed_in_client(user)

    depth = min(args.depth, max(args.whale // 25, 1))
    results = measure.recent_activity(client, generate.WHALE, args.repeat, depth)
    results += measure.credit_activity(client, generate.account_email(2), args.repeat)
    results += measure.totals(generate.account_email(2), args.repeat)
    print("measuring the credit roll-forward ...", flush=True)
    results += measure.rollforward(
        client, args.repeat, generate.customer_number(min(2, args.accounts))
    )
    print("measuring search, with and without the trigram indexes ...", flush=True)
    results += measure.search(client, min(2, args.accounts), args.repeat)
    print("measuring the CSV download ...", flush=True)
    results += measure.csv_export(client)
    print("measuring the CSV written in the background ...", flush=True)
    results += measure.background_export(user)
    print("measuring ingestion and concurrent apply_credits ...", flush=True)
    numbers = [generate.customer_number(i) for i in range(2, min(args.accounts, 1000) + 1)]
    results += measure.ingestion(args.batches, args.batch_size, numbers or [generate.WHALE])
    one = [generate.customer_number(min(2, args.accounts))]
    results += measure.concurrent_apply_credits(one, args.workers, args.per_worker)
    # As many wallets as workers (other accounts': each its own lock).
    spread = [generate.customer_number(min(3 + w, args.accounts)) for w in range(args.workers)]
    results += measure.concurrent_apply_credits(spread, args.workers, args.per_worker)
    print("measuring apply_credits on a wallet of many lots ...", flush=True)
    lots_account = generate.customer_number(min(3 + args.workers, args.accounts))
    results += measure.apply_credits_with_lots(lots_account, 40, args.per_worker * 4)
    results += measure.ledger_drift()

    previous = load_baseline(Path(args.baseline))
    print_table(results, previous)
    payload = write_json(args, results, timings)
    if args.save_baseline:
        Path(args.baseline).write_text(json.dumps(payload, indent=2, default=str) + "\n")
        print(f"saved as the baseline: {args.baseline}")
    return 0


def load_baseline(path: Path) -> dict:
    """The baseline's rows by name ({} when there is none), and the commit they were taken at."""
    if not path.exists():
        return {}
    saved = json.loads(path.read_text())
    rows = {row["name"]: row for row in saved.get("results", [])}
    return {"commit": saved.get("commit", "?"), "rows": rows}


def change(result, previous: dict) -> str:
    """This run's median against the baseline's: the ratio, and whether it is better."""
    row = previous.get("rows", {}).get(result.name)
    if not row or not row.get("median") or result.median is None or row.get("unit") != result.unit:
        return ""
    ratio = result.median / row["median"]
    # Rates (per second) are better higher; times, memory, ratios and drift better lower.
    better = ratio > 1 if result.unit.endswith("/s") else ratio < 1
    word = "better" if better else "worse"
    if 0.95 <= ratio <= 1.05:
        word = "same"
    return f"{row['median']:,.2f} → ×{ratio:.2f} {word}"


def print_table(results, previous: dict) -> None:
    print()
    if previous:
        print(f"compared with the baseline taken at {str(previous['commit'])[:12]}")
    head = f"{'measurement':<52} {'median':>12} {'':<5} {'min':>10} {'max':>10}"
    print(f"{head}  {'baseline → change':<28}  note")
    print("-" * 130)
    for r in results:
        low = f"{min(r.samples):.2f}" if r.samples else ""
        high = f"{max(r.samples):.2f}" if r.samples else ""
        line = f"{r.name:<52} {r.median:>12,.2f} {r.unit:<5} {low:>10} {high:>10}"
        print(f"{line}  {change(r, previous):<28}  {r.note}")


def current_commit() -> str:
    """HEAD's commit, marked `+changes` when the work tree differs from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}+changes" if dirty else head


def write_json(args, results, timings) -> dict:
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "commit": current_commit(),
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "sizes": vars(args),
        "generate_seconds": timings,
        "results": [r.as_dict() for r in results],
    }
    path.write_text(json.dumps(payload, indent=2, default=str))
    print(f"\nresults written to {path}")
    return payload


if __name__ == "__main__":
    sys.exit(main())
