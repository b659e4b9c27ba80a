"""The same measurements on one PostgreSQL node and on the Citus cluster, side by side.

    make citus                       # the cluster (coordinator on 5440, two workers)
    python -m bench.cluster          # or: make bench-cluster

Each side gets its own fresh database (`backoffice_bench_node` on the single node,
`backoffice_bench_cluster` on the coordinator, where `migrate` distributes the schema), filled
with the same data by the same generator at the sizes below, and measured by the same code, each
in its own process (Django is configured once per process). The table prints both medians and
their ratio; `--json` keeps them.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

NODE_URL = "postgres://postgres@127.0.0.1:5432/backoffice_bench_node"
CLUSTER_URL = "postgres://postgres@127.0.0.1:5440/backoffice_bench_cluster"
ROWS = (
    "Recent Activity: whale first page",
    "Credit Activity: unfiltered",
    "Ingestion: batch API",
    "apply_credits: 8 workers on 8 wallets",
    "CSV download (ours, COPY streamed): rows/s",
)


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node-url", default=os.environ.get("BENCH_NODE_URL", NODE_URL))
    parser.add_argument("--cluster-url", default=os.environ.get("BENCH_CLUSTER_URL", CLUSTER_URL))
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--accounts", type=int, default=2_000)
    parser.add_argument("--whale", type=int, default=50_000)
    parser.add_argument("--credit-entries", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", default="bench/results/cluster.json")
    parser.add_argument("--side", choices=("node", "cluster"), help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def measure_side(args) -> dict:
    """Fill and measure one side (in this process); {row name: (median, unit, note)}."""
    import random

    from bench.run import configure_django, ensure_database

    if args.side == "node":
        url = args.node_url
        ensure_database(url, fresh=True)
    else:
        # A database made anew on the coordinator, with Citus and its workers, before migrate.
        url = args.cluster_url
        where = urlsplit(url)
        if where.hostname not in ("127.0.0.1", "localhost"):
            raise SystemExit(f"the cluster must be the local one that `make citus` runs: {url}")
        command = [sys.executable, "scripts/citus.py", "--database", where.path.lstrip("/")]
        port = str(where.port or 5432)
        subprocess.run([*command, "--fresh"], check=True, env={**os.environ, "CITUS_PORT": port})
    configure_django(url)
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from bench import generate, measure
    from config import roles
    from core import citus

    call_command("migrate", verbosity=0)
    rng = random.Random(args.seed)
    started = time.perf_counter()
    generate.accounts(args.accounts, rng)
    generate.events(args.events, args.accounts, args.whale, rng)
    generate.ledger(args.credit_entries, args.accounts, rng)
    generate.settle()
    filled = time.perf_counter() - started
    roles.sync_roles()
    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True}
    )
    user.groups.set([Group.objects.get(name=roles.SYSTEM_ADMINISTRATOR)])
    client = measure.signed_in_client(user)
    results = measure.recent_activity(client, generate.WHALE, args.repeat, depth=2)
    results += measure.credit_activity(client, generate.account_email(2), args.repeat)
    numbers = [generate.customer_number(i) for i in range(2, min(args.accounts, 1000) + 1)]
    results += measure.ingestion(args.batches, 1000, numbers)
    spread = [generate.customer_number(3 + w) for w in range(8)]
    results += measure.concurrent_apply_credits(spread, 8, 50)
    results += measure.csv_export(client)
    rows = {r.name: (r.median, r.unit, r.note) for r in results if r.name in ROWS}
    rows["(filled in)"] = (filled, "s", "")
    rows["(distributed)"] = (float(citus.active()), "", "")
    return rows


def main(argv=None) -> int:
    args = parse(argv)
    if args.side:
        Path(args.out).write_text(json.dumps(measure_side(args)))
        return 0
    sides = {}
    for side in ("node", "cluster"):
        out = Path(args.json).with_suffix(f".{side}.json")
        out.parent.mkdir(parents=True, exist_ok=True)
        print(f"filling and measuring the {side} ...", flush=True)
        command = [sys.executable, "-m", "bench.cluster", "--side", side, "--out", str(out)]
        command += [a for a in (argv if argv is not None else sys.argv[1:])]
        subprocess.run(command, check=True)
        sides[side] = json.loads(out.read_text())
        out.unlink()
    if not sides["cluster"]["(distributed)"][0]:
        print("the cluster side did not distribute its tables: is --cluster-url a coordinator?")
        return 1
    print()
    print(f"{'measurement':<46} {'one node':>12} {'cluster':>12} {'':<5} {'cluster / node':>15}")
    print("-" * 95)
    for name in (*ROWS, "(filled in)"):
        node, cluster = sides["node"][name], sides["cluster"][name]
        ratio = cluster[0] / node[0] if node[0] else float("nan")
        print(f"{name:<46} {node[0]:>12,.2f} {cluster[0]:>12,.2f} {node[1]:<5} {ratio:>14.2f}x")
    sizes = {k: getattr(args, k) for k in ("events", "accounts", "whale", "credit_entries")}
    Path(args.json).write_text(json.dumps({"sizes": sizes, **sides}, indent=2) + "\n")
    print(f"\nresults written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
