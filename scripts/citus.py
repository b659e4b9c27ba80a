"""A local Citus cluster (`make citus`): a coordinator and two workers, built when missing.

1. Citus is built from `vendor/citus/` and installed into the machine's PostgreSQL when its
   library is not there yet (Debian's build packages first; about a minute on two cores).
2. Three Debian clusters of that PostgreSQL, `citus5440` (the coordinator), `citus5441` and
   `citus5442` (the workers), are created with trust authentication on 127.0.0.1 and Citus
   preloaded, and started; the database `backoffice` gets the extension on each, and the
   coordinator learns its workers.
3. The coordinator's DATABASE_URL is printed. `manage.py migrate` against it distributes the
   schema (core.migration_operations.Distribute).

Safe to run again: what exists is left alone, what is stopped is started. `make citus
CITUS_ADD_WORKER=1` adds one more worker (port 5443) to a running cluster, without moving
shards (`manage.py rebalance_shards` does that). Run as root (standard library only, so that
it runs before the project is installed).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "vendor" / "citus"
SOURCE = VENDOR / "citus-13.2.2.tar.gz"
PATCH = VENDOR / "pg15.20-have_createdb_privilege.patch"
BUILD_PACKAGES = (
    "postgresql-server-dev-{version} liblz4-dev libzstd-dev libkrb5-dev libselinux1-dev "
    "libxslt1-dev libpam0g-dev libreadline-dev autoconf flex make gcc"
)
COORDINATOR_PORT = int(os.environ.get("CITUS_PORT", "5440"))
WORKER_PORTS = (COORDINATOR_PORT + 1, COORDINATOR_PORT + 2)
DATABASE = os.environ.get("CITUS_DATABASE", "backoffice")
HOST = "127.0.0.1"
# What every node runs with: Citus preloaded; prepared transactions for writes that span
# nodes (two-phase commit); triggers on distributed tables (the ledger's append-only ones run
# on every shard); logical decoding, with which a shard moves to another node while it is
# written to (the rebalancer's logical transfer).
SETTINGS = """\
shared_preload_libraries = 'citus'
listen_addresses = '127.0.0.1'
max_prepared_transactions = 200
max_connections = 300
citus.enable_unsafe_triggers = on
wal_level = logical
"""


def run(*command: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, check=check, text=True, capture_output=True, **kwargs)


def as_postgres(*command: str) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return list(command)


def psql(port: int, query: str, database: str = DATABASE, check: bool = True) -> str:
    result = run(
        "psql", "-X", "-h", HOST, "-p", str(port), "-U", "postgres", "-d", database,
        "-v", "ON_ERROR_STOP=1", "-Atc", query, check=False,
    )  # fmt: skip
    if check and result.returncode != 0:
        raise SystemExit(f"psql on port {port} failed: {query}\n{result.stderr}")
    return result.stdout.strip()


def postgres_version() -> str:
    versions = sorted(p.name for p in Path("/usr/lib/postgresql").iterdir() if p.name.isdigit())
    if not versions:
        raise SystemExit("No Debian PostgreSQL under /usr/lib/postgresql.")
    return versions[-1]


def installed(version: str) -> bool:
    return Path(f"/usr/lib/postgresql/{version}/lib/citus.so").exists()


def build(version: str) -> None:
    """Build Citus from the vendored source and install it into PostgreSQL `version`."""
    print(f"building Citus from {SOURCE.relative_to(ROOT)} for PostgreSQL {version} ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run("apt-get", "update", "-qq", check=False, env=env)
    packages = BUILD_PACKAGES.format(version=version).split()
    result = run("apt-get", "install", "-y", "-qq", *packages, check=False, env=env)
    if result.returncode != 0:
        raise SystemExit(f"apt-get install failed:\n{result.stderr}")
    with tempfile.TemporaryDirectory(prefix="citus-build-") as work:
        with tarfile.open(SOURCE) as archive:
            archive.extractall(work, filter="tar")
        (tree,) = Path(work).iterdir()
        steps = [
            ["patch", "-p1", "-i", str(PATCH)],
            [
                "./configure",
                "--without-libcurl",
                f"PG_CONFIG=/usr/lib/postgresql/{version}/bin/pg_config",
            ],
            ["make", f"-j{os.cpu_count() or 2}"],
            ["make", "install"],
        ]
        for step in steps:
            result = run(*step, cwd=tree, check=False)
            if result.returncode != 0:
                tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
                raise SystemExit(f"{' '.join(step)} failed:\n{tail}")
    print("Citus installed")


def clusters() -> dict[str, dict[str, str]]:
    """name -> pg_lsclusters' row, for `version`'s clusters."""
    found = {}
    for row in run("pg_lsclusters", "--no-header").stdout.splitlines():
        version, name, port, status, *_ = row.split()
        found[name] = {"version": version, "port": port, "status": status}
    return found


def node(version: str, port: int) -> None:
    """The cluster `citus<port>`: created with Citus preloaded, and started."""
    name = f"citus{port}"
    existing = clusters().get(name)
    if existing is None:
        run("pg_createcluster", version, name, "-p", str(port), "--", "--auth=trust")
        print(f"created cluster {name}")
    conf = Path(f"/etc/postgresql/{version}/{name}/conf.d/citus.conf")
    changed = not conf.exists() or conf.read_text() != SETTINGS
    if changed:
        conf.parent.mkdir(parents=True, exist_ok=True)
        conf.write_text(SETTINGS)
    action = "start"
    if existing is not None and existing["status"] == "online":
        action = "restart" if changed else ""
    if action:
        run("pg_ctlcluster", "--skip-systemctl-redirect", version, name, action)


def database(port: int, name: str, *, fresh: bool) -> None:
    """The database `name` on the node, with the extension; made anew when `fresh`."""
    exists = psql(port, f"SELECT 1 FROM pg_database WHERE datname = '{name}'", "postgres") == "1"
    if exists and fresh:
        psql(port, f'DROP DATABASE "{name}" WITH (FORCE)', "postgres")
    if not exists or fresh:
        psql(port, f'CREATE DATABASE "{name}"', "postgres")
    psql(port, "CREATE EXTENSION IF NOT EXISTS citus", name)


def join(worker: int, name: str) -> None:
    """Add `worker` to the nodes the coordinator's database `name` uses, unless it is one."""
    known = psql(
        COORDINATOR_PORT, f"SELECT count(*) FROM pg_dist_node WHERE nodeport = {worker}", name
    )
    if known == "0":
        psql(COORDINATOR_PORT, f"SELECT citus_add_node('{HOST}', {worker})", name)
        print(f"worker on port {worker} added to {name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--add-worker", action="store_true", help="add one more worker to a running cluster"
    )
    parser.add_argument("--database", default=DATABASE, help=f"the database (default {DATABASE})")
    parser.add_argument(
        "--fresh", action="store_true", help="drop the database on every node and make it anew"
    )
    args = parser.parse_args(argv)
    if shutil.which("pg_createcluster") is None:
        raise SystemExit("Debian's postgresql-common (pg_createcluster) is needed.")
    version = postgres_version()
    if not installed(version):
        build(version)
    workers = list(WORKER_PORTS)
    if args.add_worker:
        workers.append(max(WORKER_PORTS) + 1)
    for port in (COORDINATOR_PORT, *workers):
        node(version, port)
        database(port, args.database, fresh=args.fresh)
    psql(
        COORDINATOR_PORT,
        f"SELECT citus_set_coordinator_host('{HOST}', {COORDINATOR_PORT})",
        args.database,
    )
    for port in workers:
        join(port, args.database)
    nodes = psql(
        COORDINATOR_PORT, "SELECT string_agg(nodeport::text, ', ') FROM pg_dist_node", args.database
    )
    release = psql(COORDINATOR_PORT, "SELECT citus_version()", args.database).split()[1]
    print(f"Citus {release}; nodes on {nodes}")
    print(f"DATABASE_URL=postgres://postgres@{HOST}:{COORDINATOR_PORT}/{args.database}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
