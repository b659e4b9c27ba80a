"""Run the site's server with the background worker beside it, and stop both together.

    python scripts/with_worker.py SERVER_COMMAND...

`make run` (runserver) and `make serve` (gunicorn) run through this. The worker is
`manage.py run_worker` with the same interpreter and environment; if it stops while the server
runs, it is started again (after a pause that grows while it keeps stopping). When the server
stops, or this process is told to stop (Ctrl+C, SIGTERM), the server is stopped and then the
worker: asked to finish (it finishes the task it is running), asked again after
`GRACE_SECONDS` (it stops the task, which goes back in the queue: credits.tasks), and killed
after as long again. A job cut off even by a kill is taken up by the next worker (its heartbeat
stops: `JOB_STALE_SECONDS`).

Both children run in process groups of their own, so that a signal reaches all their
processes (runserver's reloader has two) and only through here.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

MANAGE = str(Path(__file__).resolve().parent.parent / "manage.py")
GRACE_SECONDS = 10.0
POLL_SECONDS = 0.5
MAX_RESTART_PAUSE = 30.0


def _start(command: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, start_new_session=True)


def _signal(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it has stopped already
        os.killpg(process.pid, signum)


def _stop(process: subprocess.Popen[bytes], first: int = signal.SIGTERM) -> int:
    """Ask `process` to stop, again after GRACE_SECONDS, then kill it; its exit code."""
    for signum in (first, signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            break
        _signal(process, signum)
        try:
            process.wait(timeout=GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            continue
    return process.wait()


def main(server_command: list[str]) -> int:
    if not server_command:
        print(__doc__, file=sys.stderr)
        return 2
    worker_command = [sys.executable, MANAGE, "run_worker"]
    stopping: list[int] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.append(signum)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    server = _start(server_command)
    worker = _start(worker_command)
    pause = 1.0
    while server.poll() is None and not stopping:
        if worker.poll() is not None:
            print(
                f"with_worker: the worker stopped (exit code {worker.returncode}); "
                f"starting it again in {pause:.0f} s",
                file=sys.stderr,
            )
            time.sleep(pause)
            pause = min(pause * 2, MAX_RESTART_PAUSE)
            worker = _start(worker_command)
        time.sleep(POLL_SECONDS)

    code = _stop(server, stopping[0] if stopping else signal.SIGTERM)
    _stop(worker)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
