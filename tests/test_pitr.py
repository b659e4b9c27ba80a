"""Nothing lost on restore: `make backup` and `make restore TIME=...` (scripts/pitr.py) on a
cluster of this machine's PostgreSQL made for the test.

Writes, backs up, writes more, notes a time, writes more again, restores into a new
cluster as of the noted time, and proves with counts, sums and `verify_ledger` that exactly
the writes before that time are there. Needs Debian's PostgreSQL tools and root (CI has both).
"""

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE, SOURCE_PORT = "pitrsource", 5436
RESTORED, RESTORED_PORT = "pitrrestored", 5437

# Grants through the service, as an integration would; prints the ledger's and timeline's
# counts and sums after them.
WRITE = """
import json
from decimal import Decimal
from django.db.models import Count, Sum
from accounts.models import Account
from activity.models import ActivityEvent
from core.actors import Actor
from credits import services
from credits.models import CreditEntry
from accounts.services import account_create
account = Account.objects.order_by("pk").first() or account_create(
    actor=None, customer_number="900001", name="Drill Customer", email="drill@example.com"
)
for amount in {amounts}:
    services.credit_grant(actor=Actor.integration("Restore drill"), account=account,
                          amount=Decimal(amount), credit_type="currency", currency="SEK",
                          note="Restore drill")
ledger = CreditEntry.objects.aggregate(n=Count("pk"), total=Sum("amount"))
print(json.dumps({{"entries": ledger["n"], "sum": str(ledger["total"]),
                   "events": ActivityEvent.objects.count()}}))
"""

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("pg_createcluster"),
    reason="needs root and Debian's PostgreSQL tools (pg_createcluster), as in CI",
)


def run(*command: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(command, cwd=ROOT, env=env, text=True, capture_output=True)
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def version() -> str:
    return sorted(os.listdir("/etc/postgresql"))[-1]


def drop_clusters() -> None:
    for name in (SOURCE, RESTORED):
        subprocess.run(["pg_dropcluster", "--stop", version(), name], capture_output=True)


@pytest.fixture
def source():
    """A new cluster with the project's database, and a folder for its backups that the
    postgres user can reach (pytest's temporary folders are root's alone)."""
    drop_clusters()
    run("pg_createcluster", version(), SOURCE, "-p", str(SOURCE_PORT))
    shutil.copyfile(
        f"/etc/postgresql/{version()}/main/pg_hba.conf",
        f"/etc/postgresql/{version()}/{SOURCE}/pg_hba.conf",
    )
    run("pg_ctlcluster", "--skip-systemctl-redirect", version(), SOURCE, "start")
    run("runuser", "-u", "postgres", "--", "createdb", "-p", str(SOURCE_PORT), "backoffice")
    backups = Path(f"/var/lib/postgresql/pitr-test-{os.getpid()}")
    shutil.rmtree(backups, ignore_errors=True)
    backups.mkdir()
    shutil.chown(backups, "postgres", "postgres")
    yield backups
    drop_clusters()
    shutil.rmtree(backups, ignore_errors=True)


def django_env(port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/backoffice",
        "DATABASE_REPLICA_URL": "",
        "DEBUG": "true",
    }


def write(port: int, *amounts: str) -> dict[str, object]:
    script = WRITE.format(amounts=list(amounts))
    out = run(sys.executable, "manage.py", "shell", "-c", script, env=django_env(port))
    return json.loads(out.strip().splitlines()[-1])


def test_a_restore_to_a_time_brings_back_exactly_what_was_written_before_it(source):
    env = {
        **os.environ,
        "BACKUP_PORT": str(SOURCE_PORT),
        "BACKUP_DIR": str(source),
        "RESTORE_PORT": str(RESTORED_PORT),
        "RESTORE_CLUSTER": RESTORED,
    }
    run(sys.executable, "manage.py", "migrate", "--no-input", env=django_env(SOURCE_PORT))
    first = write(SOURCE_PORT, "5.00")

    run("make", "--no-print-directory", "backup", env=env)
    before = write(SOURCE_PORT, "10.00", "20.50")
    assert before["entries"] == first["entries"] + 2  # type: ignore[operator]
    time.sleep(1.5)
    chosen = dt.datetime.now(dt.UTC)
    time.sleep(1.5)
    after = write(SOURCE_PORT, "999.99", "5.00", "7.25")
    assert after["entries"] == before["entries"] + 3  # type: ignore[operator]

    run("make", "--no-print-directory", "restore", f"TIME={chosen.isoformat()}", env=env)

    restored = write(RESTORED_PORT)
    assert restored == before
    assert restored != after
    verified = run(sys.executable, "manage.py", "verify_ledger", env=django_env(RESTORED_PORT))
    assert "Ledger verified" in verified and "no drift" in verified, verified


def test_a_time_before_every_backup_is_refused_with_a_clear_message(tmp_path):
    backups = tmp_path / "backups"
    backups.mkdir()
    result = subprocess.run(
        ["make", "--no-print-directory", "restore", "TIME=2001-01-01 00:00:00"],
        cwd=ROOT,
        env={**os.environ, "BACKUP_DIR": str(backups), "RESTORE_CLUSTER": RESTORED},
        text=True,
        capture_output=True,
    )
    assert result.returncode != 0
    assert "No backup in" in result.stderr and "ended before 2001-01-01" in result.stderr


def test_a_time_that_is_no_time_is_refused(tmp_path):
    result = subprocess.run(
        ["make", "--no-print-directory", "restore", "TIME=yesterday"],
        cwd=ROOT,
        env={**os.environ, "BACKUP_DIR": str(tmp_path)},
        text=True,
        capture_output=True,
    )
    assert result.returncode != 0
    assert "“yesterday” is not a time" in result.stderr
