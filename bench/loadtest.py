"""Load test: locust, headless, against `make serve` on a freshly loaded demo (`make loadtest`).

    make loadtest                                  # 60 s, 30 users
    python -m bench.loadtest --users 50 --seconds 120

Builds LOADTEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/backoffice_loadtest)
anew with the demo data, serves it with `make serve` (gunicorn, production settings given
here) on 127.0.0.1 only, runs bench/locustfile.py for the given time, stops the server, and
prints requests per second and the p50/p95/p99 response times of each page. Exits 1 if any
request failed.
"""

import argparse
import csv
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.run import ensure_database

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/backoffice_loadtest"
ROOT = Path(__file__).resolve().parent.parent
NAME_PARTS = ["berg", "son", "lind", "holm", "sen", "anna", "erik", "lund", "nen", "str"]


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    return parser.parse_args(argv)


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, text=True, capture_output=True
    )
    if result.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def wait_until_up(url: str, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 (127.0.0.1 only)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"The server did not answer at {url} within {seconds:.0f} s.")


def report(stats_csv: Path) -> int:
    """Print the table; return the number of failed requests."""
    with stats_csv.open() as file:
        rows = list(csv.DictReader(file))
    print()
    columns = ("requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors")
    print(f"{'page':<30} " + " ".join(f"{c:>{9 if c == 'requests' else 7}}" for c in columns))
    print("-" * 80)
    failures = 0
    for row in sorted(rows, key=lambda r: (r["Name"] == "Aggregated", r["Name"])):
        name = "all" if row["Name"] == "Aggregated" else row["Name"]
        print(
            f"{name:<30} {int(row['Request Count']):>9,} {float(row['Requests/s']):>7.1f}"
            f" {row['50%']:>7} {row['95%']:>7} {row['99%']:>7} {int(row['Failure Count']):>7}"
        )
        if row["Name"] == "Aggregated":
            failures = int(row["Failure Count"])
    with stats_csv.with_name("load_failures.csv").open() as file:
        for row in csv.DictReader(file):
            print(f"  {row['Occurrences']} × {row['Method']} {row['Name']}: {row['Error']}")
    return failures


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    url = os.environ.get("LOADTEST_DATABASE_URL", DEFAULT_URL)
    address = f"127.0.0.1:{args.port}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        # Plain HTTP on the loopback: no TLS proxy in front of this server.
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        "BIND": address,
        "WORKERS": str(args.workers),
    }
    print(f"loading the demo into {url} ...", flush=True)
    ensure_database(url, fresh=True)
    manage(env, "migrate", "--no-input")
    manage(env, "load_demo")
    token = manage(env, "create_integration", f"Load test {secrets.token_hex(3)}").strip()
    accounts = manage(
        env,
        "shell",
        "--no-imports",
        "-c",
        "from accounts.models import Account;"
        "print(' '.join(Account.objects.filter(status='active')"
        ".values_list('customer_number', flat=True)))",
    ).split()

    with tempfile.TemporaryDirectory() as work:
        fixture = Path(work) / "fixture.json"
        fixture.write_text(
            json.dumps(
                {
                    "accounts": accounts,
                    "name_parts": NAME_PARTS,
                    "token": token.splitlines()[-1],
                    "password": "demo-password",
                }
            )
        )
        print(f"serving on http://{address} (make serve) ...", flush=True)
        log = (Path(work) / "server.log").open("w")
        server = subprocess.Popen(
            ["make", "--no-print-directory", "serve"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,  # its own process group: stopped as one below
        )
        try:
            wait_until_up(f"http://{address}/login/")
            print(f"{args.users} users for {args.seconds} s ...", flush=True)
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "locust",
                    "-f",
                    str(ROOT / "bench" / "locustfile.py"),
                    "--headless",
                    "--host",
                    f"http://{address}",
                    "--users",
                    str(args.users),
                    "--spawn-rate",
                    str(args.spawn_rate),
                    "--run-time",
                    f"{args.seconds}s",
                    "--stop-timeout",
                    "10",
                    "--csv",
                    str(Path(work) / "load"),
                    "--only-summary",
                    "--loglevel",
                    "WARNING",
                ],
                cwd=ROOT,
                env={**env, "LOADTEST_FIXTURE": str(fixture)},
                check=False,
                timeout=args.seconds + 120,
            )
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
            log.close()
        failures = report(Path(work) / "load_stats.csv")
        if failures:
            errors = [line for line in (Path(work) / "server.log").read_text().splitlines()]
            print("\nthe server's log, last lines:", *errors[-30:], sep="\n  ")
    print(f"\nerrors: {failures}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
