"""scripts/with_worker.py, which `make run` and `make serve` run the server through: the
worker runs beside the server as a process of its own, does the queued work, and stops when
the server is stopped."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from config import roles
from credits import services, tasks
from credits.models import CreditExportJob, ExportState

pytestmark = pytest.mark.django_db(transaction=True)

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "with_worker.py"


def _database_url() -> str:
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as children:
        return [int(child) for child in children.read().split()]


def _command_line(pid: int) -> str:
    with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
        return cmdline.read().replace(b"\0", b" ").decode()


def _wait(condition, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_the_worker_runs_beside_the_server_and_stops_with_it(make_user, export_storage):
    if connection.vendor != "postgresql":
        pytest.skip("the worker process reaches the tests' database through DATABASE_URL")
    job = services.credit_export_job_start(
        actor=make_user(roles.FINANCE), filters={}, time_zone="UTC", oldest_first=False
    )
    tasks.export_enqueue(job)
    environment = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "EXPORT_DIR": str(export_storage),
        "PYTHONPATH": str(SCRIPT.parent.parent),
    }
    server_command = [sys.executable, "-c", "import time; time.sleep(120)"]
    supervisor = subprocess.Popen(
        [sys.executable, str(SCRIPT), *server_command], env=environment, cwd=SCRIPT.parent.parent
    )
    try:
        assert _wait(lambda: len(_children(supervisor.pid)) == 2, 10)
        server, worker = sorted(
            _children(supervisor.pid), key=lambda pid: "run_worker" in _command_line(pid)
        )
        assert "run_worker" in _command_line(worker)
        assert "time.sleep(120)" in _command_line(server)

        # The worker takes the queued download and writes its file.
        assert _wait(lambda: CreditExportJob.objects.get(pk=job.pk).state == ExportState.READY, 60)
        job.refresh_from_db()
        assert (export_storage / job.file_name).exists()

        # Stopping it (as Ctrl+C or a service manager does) stops both.
        supervisor.send_signal(signal.SIGTERM)
        supervisor.wait(timeout=30)
        assert not Path(f"/proc/{server}").exists()
        assert not Path(f"/proc/{worker}").exists()
    finally:
        # Whatever failed, nothing of this test outlives it (the children have groups of
        # their own).
        for pid in _children(supervisor.pid) if supervisor.poll() is None else []:
            os.killpg(pid, signal.SIGKILL)
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()
