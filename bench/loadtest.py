"""Load test: how much the server carries (`make loadtest`).

    make loadtest                                        # steps of 20 s up to 64 users
    python -m bench.loadtest --steps 4,8,16 --seconds 30 --workers 4 --threads 2

Builds LOADTEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/backoffice_loadtest)
anew with the demo data, serves it with `make serve` (gunicorn, production settings given here,
second factor required) on 127.0.0.1 only, and then:

1. **signs in** every session the steps need before anything is measured — agents with their
   password, Finance with password and a second-factor code — one after another, as sign-ins
   spread over a day; their times are a row of their own;
2. **steps up** the number of users, who wait for nothing between requests (no think time: the
   server, not the pacing, is the limit), running bench/locustfile.py for `--seconds` per step
   with fresh statistics, until a step's p95 passes `--p95-ms` (150) or it has an error;
3. prints each step, the mix of the best step under the p95, and the capacity: the most
   requests per second served with p95 under the limit and no error.

Exits 1 if any request failed or no step stayed under the limit.
"""

import argparse
import csv
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench.run import ensure_database

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/backoffice_loadtest"
ROOT = Path(__file__).resolve().parent.parent
NAME_PARTS = ["berg", "son", "lind", "holm", "sen", "anna", "erik", "lund", "nen", "str"]
AGENT, FINANCE = "demo-service", "demo-finance"
PASSWORD = "demo-password"
# The users of a step, by class: 6 agents and 2 of Finance to 1 integration (bench/locustfile.py).
WEIGHTS = {"agent": 6, "finance": 2, "integration": 1}
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

# Enrols demo-finance's authenticator app with a code an administrator issued (as a new
# Finance user would), and prints {count} recovery codes, which sign in one session each (the
# ten of enrolment, and more of the same kind for a load test's many Finance sessions).
ENROL = """
import json, time
from django.contrib.auth import get_user_model
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from staff import services
users = get_user_model().objects
finance = users.get(username={finance!r})
code = services.enrolment_code_issue(actor=users.get(username="demo-admin"), user=finance)
key = services.totp_new_key()
totp = TOTP(bytes.fromhex(key))
totp.time = time.time()
services.second_factor_enrol(user=finance, key=key, token=f"{{totp.token():06d}}",
                             enrolment_code=code)
device = StaticDevice.objects.get(user=finance)
StaticToken.objects.bulk_create(
    StaticToken(device=device, token=StaticToken.random_token()) for _ in range({count})
)
print(json.dumps(services.recovery_codes(finance)))
"""


@dataclass
class Step:
    users: int
    rows: list[dict[str, str]]

    @property
    def total(self) -> dict[str, str]:
        return next(row for row in self.rows if row["Name"] == "Aggregated")

    @property
    def rps(self) -> float:
        return float(self.total["Requests/s"])

    @property
    def p95(self) -> float:
        return float(self.total["95%"])

    @property
    def errors(self) -> int:
        return int(self.total["Failure Count"])

    def within(self, limit_ms: float) -> bool:
        return self.errors == 0 and self.p95 < limit_ms


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--steps", default="3,6,9,12,18,27,36,54", help="users per step, comma-separated"
    )
    parser.add_argument("--seconds", type=int, default=20, help="measured seconds per step")
    parser.add_argument("--p95-ms", type=float, default=150.0, help="the p95 that ends the steps")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker")
    return parser.parse_args(argv)


def user_counts(users: int) -> dict[str, int]:
    """How many users of each class locust runs for `users` in all (its weights, rounded as
    locust rounds them, at least one of each)."""
    total = sum(WEIGHTS.values())
    counts = {name: max(1, round(users * weight / total)) for name, weight in WEIGHTS.items()}
    return counts


def capacity(steps: list[Step], limit_ms: float) -> Step | None:
    """The step that served the most requests per second with p95 under `limit_ms` and no
    error."""
    good = [step for step in steps if step.within(limit_ms)]
    return max(good, key=lambda step: step.rps, default=None)


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


def sign_in(base: str, username: str, code: str | None) -> tuple[dict[str, str], float]:
    """Sign one session in over HTTP (password, then `code` for a second factor); return its
    cookies and how long the sign-in took (the password POST and the code POST)."""
    import requests

    session = requests.Session()
    page = session.get(f"{base}/login/")
    started = time.perf_counter()
    answer = session.post(
        f"{base}/login/",
        {
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": CSRF_INPUT.search(page.text).group(1),  # type: ignore[union-attr]
        },
    )
    if code is not None:
        answer = session.post(
            answer.url,
            {"token": code, "csrfmiddlewaretoken": CSRF_INPUT.search(answer.text).group(1)},  # type: ignore[union-attr]
        )
    took = time.perf_counter() - started
    home = session.get(f"{base}/accounts/", allow_redirects=False)
    if home.status_code != 200:
        raise SystemExit(f"{username} did not sign in: /accounts/ answered {home.status_code}.")
    return {name: value or "" for name, value in session.cookies.items()}, took


def sign_in_all(
    base: str, env: dict[str, str], counts: dict[str, int]
) -> tuple[dict[str, list[dict[str, str]]], list[float]]:
    sessions: dict[str, list[dict[str, str]]] = {"agent": [], "finance": []}
    times: list[float] = []
    for _ in range(counts["agent"]):
        cookies, took = sign_in(base, AGENT, None)
        sessions["agent"].append(cookies)
        times.append(took)
    enrol = ENROL.format(finance=FINANCE, count=counts["finance"])
    codes: list[str] = json.loads(
        manage(env, "shell", "--no-imports", "-c", enrol).strip().splitlines()[-1]
    )
    for _ in range(counts["finance"]):
        cookies, took = sign_in(base, FINANCE, codes.pop())
        sessions["finance"].append(cookies)
        times.append(took)
    return sessions, times


def run_step(users: int, args: argparse.Namespace, env: dict[str, str], work: Path) -> Step:
    prefix = work / f"step{users}"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "--host",
            f"http://127.0.0.1:{args.port}",
            "--users",
            str(users),
            "--spawn-rate",
            str(users),
            "--run-time",
            f"{args.seconds + 2}s",
            "--reset-stats",
            "--stop-timeout",
            "5",
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "ERROR",
        ],
        cwd=ROOT,
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=args.seconds + 120,
    )
    with prefix.with_name(f"{prefix.name}_stats.csv").open() as file:
        rows = list(csv.DictReader(file))
    with prefix.with_name(f"{prefix.name}_failures.csv").open() as file:
        for row in csv.DictReader(file):
            print(f"    {row['Occurrences']} × {row['Method']} {row['Name']}: {row['Error']}")
    return Step(users, rows)


def print_mix(step: Step) -> None:
    columns = ("requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors")
    print(f"\n{'request':<30} " + " ".join(f"{c:>9}" for c in columns))
    print("-" * 90)
    for row in sorted(step.rows, key=lambda r: (r["Name"] == "Aggregated", r["Name"])):
        name = "all" if row["Name"] == "Aggregated" else row["Name"]
        print(
            f"{name:<30} {int(row['Request Count']):>9,} {float(row['Requests/s']):>9.1f}"
            f" {row['50%']:>9} {row['95%']:>9} {row['99%']:>9} {int(row['Failure Count']):>9}"
        )


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    steps_users = sorted({int(n) for n in args.steps.split(",")})
    url = os.environ.get("LOADTEST_DATABASE_URL", DEFAULT_URL)
    base = f"http://127.0.0.1:{args.port}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "false",
        "MFA_REQUIRED": "true",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        # Plain HTTP on the loopback: no TLS proxy in front of this server.
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        "BIND": f"127.0.0.1:{args.port}",
        "WORKERS": str(args.workers),
        "THREADS": str(args.threads),
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
    most = user_counts(max(steps_users))

    with tempfile.TemporaryDirectory() as work_dir:
        work = Path(work_dir)
        log = (work / "server.log").open("w")
        print(
            f"serving on {base} (make serve: {args.workers} workers × {args.threads} threads) ...",
            flush=True,
        )
        server = subprocess.Popen(
            ["make", "--no-print-directory", "serve"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,  # its own process group: stopped as one below
        )
        steps: list[Step] = []
        try:
            wait_until_up(f"{base}/login/")
            print(f"signing in {most['agent']} agents and {most['finance']} of Finance ...")
            sessions, times = sign_in_all(base, env, most)
            fixture = work / "fixture.json"
            fixture.write_text(
                json.dumps(
                    {
                        "accounts": accounts,
                        "name_parts": NAME_PARTS,
                        "token": token.splitlines()[-1],
                        "sessions": sessions,
                    }
                )
            )
            step_env = {**env, "LOADTEST_FIXTURE": str(fixture)}
            print(f"\n{'users':>6} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7}")
            for users in steps_users:
                step = run_step(users, args, step_env, work)
                steps.append(step)
                print(
                    f"{users:>6} {step.rps:>8.1f} {step.total['50%']:>8} {step.p95:>8.0f}"
                    f" {step.errors:>7}",
                    flush=True,
                )
                if not step.within(args.p95_ms):
                    break
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
            log.close()
        ms = sorted(t * 1000 for t in times)
        print(
            f"\nsign-in ({len(ms)} sessions, before the steps): "
            f"p50 {statistics.median(ms):.0f} ms, p95 {ms[int(0.95 * (len(ms) - 1))]:.0f} ms"
        )
        best = capacity(steps, args.p95_ms)
        failures = sum(step.errors for step in steps)
        if failures:
            lines = (work / "server.log").read_text().splitlines()
            print("\nthe server's log, last lines:", *lines[-30:], sep="\n  ")
    if best is None:
        if steps:
            print_mix(steps[0])
        print(f"\nno step kept p95 under {args.p95_ms:.0f} ms without errors")
        return 1
    print_mix(best)
    print(
        f"\ncapacity: {best.rps:.1f} requests/s at {best.users} users without think time "
        f"(p95 {best.p95:.0f} ms < {args.p95_ms:.0f} ms), {args.workers} workers × "
        f"{args.threads} threads; the server, not the pacing, is the limit"
    )
    print(f"errors: {failures}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
