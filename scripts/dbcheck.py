"""Make sure the PostgreSQL server of DATABASE_URL answers before the test suite runs.

If nothing answers on a local address and a Debian cluster is installed, start it; otherwise
stop with a message that says how to point DATABASE_URL at a server.
Run as `python scripts/dbcheck.py` (the Makefile's `test` target does).
"""

import os
import shutil
import subprocess
import sys
import time

import environ
import psycopg

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/backoffice"


def _connect(config) -> str | None:
    try:
        with psycopg.connect(
            host=config["HOST"] or None,
            port=config["PORT"] or None,
            user=config["USER"] or None,
            password=config["PASSWORD"] or None,
            dbname="postgres",
            connect_timeout=3,
        ):
            return None
    except psycopg.OperationalError as exc:
        return str(exc).strip()


def _start_local_cluster() -> bool:
    if not shutil.which("pg_ctlcluster") or not os.path.isdir("/etc/postgresql"):
        return False
    for version in sorted(os.listdir("/etc/postgresql")):
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
            check=False,
        )
    return True


def main() -> int:
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    config = environ.Env.db_url_config(url)
    if "postgresql" not in config["ENGINE"]:
        print(f"DATABASE_URL must point at PostgreSQL for the tests (got {config['ENGINE']}).")
        return 2
    error = _connect(config)
    if error and config["HOST"] in ("", "127.0.0.1", "localhost") and _start_local_cluster():
        for _ in range(20):
            time.sleep(0.5)
            error = _connect(config)
            if not error:
                break
    if error:
        print(
            f"No PostgreSQL server answers at {config['HOST'] or 'the local socket'}:"
            f"{config['PORT'] or 5432} ({error}).\n"
            "Start one, or point DATABASE_URL at one, e.g.\n"
            "  DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/backoffice make test"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
