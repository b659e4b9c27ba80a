"""Backups and point-in-time recovery of the local Debian PostgreSQL (`make backup`,
`make restore TIME=...`).

    python3 scripts/pitr.py backup                       # a base backup, WAL archived from now on
    python3 scripts/pitr.py restore --time "2026-12-06 21:30:00+00"

`backup` makes sure the cluster on BACKUP_PORT (5432) archives its WAL into
BACKUP_DIR/wal (turning on `archive_mode` restarts that cluster once; the archive command
never overwrites a file), then takes a base backup with `pg_basebackup` into
BACKUP_DIR/base-<time>, and records when it ended.

`restore` replays onto the newest base backup that ended before TIME every archived WAL
record up to TIME, into a new cluster RESTORE_CLUSTER (`restored`) on RESTORE_PORT (5435),
made anew on every run; the cluster it was taken from is not touched beyond one WAL switch
(so that what it wrote last is archived too). The restored cluster is promoted at TIME and
serves on its own port: check it, then point DATABASE_URL at it or copy what was lost back.

Run as root or as the postgres user (standard library only, so that it runs before the
project is installed).
"""

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from localreplica import allow_replication, as_postgres, sql

SOCKET_DIR = "/var/run/postgresql"
BACKUP_PORT = int(os.environ.get("BACKUP_PORT", "5432"))
BACKUP_DIR = Path(os.environ.get("BACKUP_DIR", "/var/lib/postgresql/backoffice-backups"))
RESTORE_PORT = int(os.environ.get("RESTORE_PORT", "5435"))
RESTORE_CLUSTER = os.environ.get("RESTORE_CLUSTER", "restored")
INFO = "backup.json"


def run(*command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, check=False, text=True, capture_output=True)
    if check and result.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr}")
    return result


def cluster_on(port: int) -> tuple[str, str, str]:
    """(version, name, data directory) of the Debian cluster on `port`."""
    for row in run("pg_lsclusters", "--no-header").stdout.splitlines():
        version, name, found, _status, _owner, data, *_ = row.split()
        if found == str(port):
            return version, name, data
    raise SystemExit(f"No local cluster is set to port {port} (pg_lsclusters).")


def postgres_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")
    path.chmod(0o700)


def wait_for(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if sql(port, "SELECT 1") == "1":
            return
        time.sleep(0.3)
    raise SystemExit(f"The cluster on port {port} did not answer within {seconds:.0f} s.")


def archive_command(archive: Path) -> str:
    return f"test ! -f {archive}/%f && cp %p {archive}/%f"


def ensure_archiving(port: int, archive: Path) -> None:
    """Archive the cluster's WAL into `archive` (a restart when archive_mode was off)."""
    postgres_dir(archive)
    version, name, _data = cluster_on(port)
    if sql(port, "SELECT 1") != "1":
        run("pg_ctlcluster", "--skip-systemctl-redirect", version, name, "start")
        wait_for(port)
    wanted = archive_command(archive)
    if sql(port, "SHOW archive_command") != wanted:
        sql(port, f"ALTER SYSTEM SET archive_command = '{wanted}'")
        sql(port, "SELECT pg_reload_conf()")
    if sql(port, "SHOW archive_mode") != "on":
        print(f"turning on WAL archiving of the cluster on port {port} (one restart) ...")
        sql(port, "ALTER SYSTEM SET archive_mode = 'on'")
        run("pg_ctlcluster", "--skip-systemctl-redirect", version, name, "restart")
        wait_for(port)
    allow_replication(version, name, port)


def archive_now(port: int, seconds: float = 60) -> None:
    """Close the current WAL segment and wait until it is in the archive."""
    segment = sql(port, "SELECT pg_walfile_name(pg_switch_wal())")
    if segment is None:
        return  # the source does not answer: restore from what was archived
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done = sql(port, "SELECT last_archived_wal FROM pg_stat_archiver")
        if done and done >= segment:
            return
        time.sleep(0.3)
    raise SystemExit(f"WAL segment {segment} was not archived within {seconds:.0f} s.")


def backup(port: int, root: Path) -> Path:
    ensure_archiving(port, root / "wal")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = root / f"base-{stamp}"
    postgres_dir(target)
    print(f"base backup of the cluster on port {port} into {target} ...", flush=True)
    run(
        *as_postgres(
            "pg_basebackup",
            "-h",
            SOCKET_DIR,
            "-p",
            str(port),
            "-U",
            "postgres",
            "-D",
            str(target),
            "-X",
            "stream",
            "-c",
            "fast",
        )
    )
    ended = dt.datetime.now(dt.UTC)
    (target / INFO).write_text(json.dumps({"ended": ended.isoformat(), "port": port}))
    archive_now(port)
    print(f"backup done at {ended:%Y-%m-%d %H:%M:%S} UTC; restore to any time after it")
    return target


def parse_time(text: str) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise SystemExit(
            f"TIME “{text}” is not a time: give it as 2026-12-06 21:30:00+00:00 (UTC if no offset)."
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def base_for(root: Path, when: dt.datetime) -> Path:
    """The newest base backup that ended before `when`."""
    found = []
    for info in root.glob(f"base-*/{INFO}"):
        ended = dt.datetime.fromisoformat(json.loads(info.read_text())["ended"])
        if ended < when:
            found.append((ended, info.parent))
    if not found:
        raise SystemExit(f"No backup in {root} ended before {when.isoformat()}.")
    return max(found)[1]


def restore(source_port: int, root: Path, when: dt.datetime, port: int, name: str) -> None:
    base = base_for(root, when)
    archive_now(source_port)
    version = cluster_on(source_port)[0]
    run("pg_dropcluster", "--stop", version, name, check=False)
    run("pg_createcluster", version, name, "-p", str(port))
    _v, _n, data = cluster_on(port)
    source_config = Path(f"/etc/postgresql/{version}/{cluster_on(source_port)[1]}")
    shutil.copyfile(source_config / "pg_hba.conf", f"/etc/postgresql/{version}/{name}/pg_hba.conf")
    print(f"restoring {base.name} into cluster {name} (port {port}) up to {when} ...", flush=True)
    shutil.rmtree(data)
    shutil.copytree(base, data, ignore=shutil.ignore_patterns(INFO))
    if os.geteuid() == 0:
        run("chown", "-R", "postgres:postgres", data)
    Path(data).chmod(0o700)
    # postgresql.auto.conf came with the backup and archives into the same folder: this
    # cluster must not. Appended lines win over earlier ones.
    with open(Path(data) / "postgresql.auto.conf", "a") as file:
        file.write(
            "\n# Point-in-time recovery (scripts/pitr.py)\n"
            "archive_mode = 'off'\n"
            f"restore_command = 'cp {root / 'wal'}/%f %p'\n"
            f"recovery_target_time = '{when.isoformat()}'\n"
            "recovery_target_action = 'promote'\n"
        )
    (Path(data) / "recovery.signal").touch()
    if os.geteuid() == 0:
        run("chown", "postgres:postgres", f"{data}/recovery.signal")
    started = run("pg_ctlcluster", "--skip-systemctl-redirect", version, name, "start", check=False)
    if started.returncode:
        raise SystemExit(f"The restored cluster did not start:\n{started.stderr}")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if sql(port, "SELECT pg_is_in_recovery()") == "f":
            print(f"restored: cluster {name} serves on port {port}, as of {when}")
            return
        time.sleep(0.5)
    raise SystemExit(f"The restored cluster on port {port} did not finish recovery in 120 s.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("backup", help="a base backup of the cluster on BACKUP_PORT")
    restore_parser = sub.add_parser("restore", help="a new cluster as of TIME")
    restore_parser.add_argument("--time", required=True)
    args = parser.parse_args(argv)
    if not shutil.which("pg_lsclusters"):
        print("Backups need Debian's PostgreSQL (postgresql-common).")
        return 1
    if args.command == "backup":
        backup(BACKUP_PORT, BACKUP_DIR)
    else:
        if not args.time:
            raise SystemExit('Say when: make restore TIME="2026-12-06 21:30:00+00:00"')
        restore(BACKUP_PORT, BACKUP_DIR, parse_time(args.time), RESTORE_PORT, RESTORE_CLUSTER)
    return 0


if __name__ == "__main__":
    sys.exit(main())
