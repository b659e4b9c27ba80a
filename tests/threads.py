"""Run several workers at the same moment, each thread on its own database connection."""

import threading
from collections.abc import Callable

from django.db import connection


def run_together(workers: list[Callable[[], object]]) -> None:
    """Start every worker at the same moment; re-raise the first error any of them met."""
    barrier = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def wrap(work: Callable[[], object]) -> None:
        try:
            barrier.wait()
            work()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=wrap, args=(work,)) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker hung (deadlock?)"
    if errors:
        raise errors[0]
