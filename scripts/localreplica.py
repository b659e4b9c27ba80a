"""Set up a streaming replica of the local Debian PostgreSQL (`make replica`).

The replica is a second cluster of the machine's PostgreSQL, `replica` on port 5433, made with
`pg_basebackup -R` from the cluster on port 5432 and streaming from it. Safe to run again: a
replica that streams is left alone; one that is stopped is started; one that cannot stream any
more (it fell behind past the primary's kept WAL, or its files are gone) is made anew.

Run as root or as the postgres user: `python3 scripts/localreplica.py` (standard library only,
so that it runs before the project is installed). The primary must allow replication
(`wal_level` replica, `max_wal_senders` above 0: Debian's defaults); a `local replication
postgres peer` line is added to its pg_hba.conf when no line allows replication, and a bound
on the WAL a replication slot may hold (`max_slot_wal_keep_size`) when it has none.
"""

import os
import shutil
import subprocess
import sys
import time

PRIMARY_PORT = int(os.environ.get("PRIMARY_PORT", "5432"))
REPLICA_PORT = int(os.environ.get("REPLICA_PORT", "5433"))
REPLICA_CLUSTER = os.environ.get("REPLICA_CLUSTER", "replica")
# The primary keeps the WAL its replica has not received yet, up to a bound: a replica that
# falls further behind loses its slot and is made anew by the next run.
SLOT = f"{REPLICA_CLUSTER}_{REPLICA_PORT}"
SLOT_WAL_LIMIT = "2GB"
SOCKET_DIR = "/var/run/postgresql"
HBA_LINE = "local replication postgres peer"
# A hot standby needs at least the primary's value of each of these.
COPIED_SETTINGS = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)


def as_postgres(*command: str) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return list(command)


def run(*command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, check=check, text=True, capture_output=True)


def sql(port: int, query: str) -> str | None:
    """The first column of the first row, or None when the server does not answer."""
    result = run(
        *as_postgres("psql", "-X", "-h", SOCKET_DIR, "-p", str(port), "-d", "postgres"),
        "-Atc",
        query,
        check=False,
    )
    return result.stdout.strip() if result.returncode == 0 else None


def clusters() -> dict[tuple[str, str], dict[str, str]]:
    """(version, name) -> pg_lsclusters' row."""
    rows = run("pg_lsclusters", "--no-header").stdout.splitlines()
    found = {}
    for row in rows:
        version, name, port, status, owner, data, *_ = row.split()
        found[(version, name)] = {"port": port, "status": status, "data": data}
    return found


def streaming() -> bool:
    status = sql(REPLICA_PORT, "SELECT status FROM pg_stat_wal_receiver")
    return sql(REPLICA_PORT, "SELECT pg_is_in_recovery()") == "t" and status == "streaming"


def wait_for_streaming(seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if streaming():
            return True
        time.sleep(0.5)
    return False


def allow_replication(version: str, name: str, port: int = PRIMARY_PORT) -> None:
    """Let the postgres user connect for replication (and pg_basebackup) over the socket."""
    rules = sql(
        port,
        "SELECT count(*) FROM pg_hba_file_rules"
        " WHERE 'replication' = ANY(database) AND error IS NULL",
    )
    if rules and rules != "0":
        return
    hba = f"/etc/postgresql/{version}/{name}/pg_hba.conf"
    with open(hba) as file:
        lines = file.read().splitlines()
    # First: the file's rules are read in order, and a rule for all databases matches
    # replication connections only when it names them.
    with open(hba, "w") as file:
        file.write("\n".join([HBA_LINE, *lines]) + "\n")
    sql(port, "SELECT pg_reload_conf()")
    print(f"added `{HBA_LINE}` to {hba}")


def create(version: str, primary: str) -> None:
    run("pg_createcluster", version, REPLICA_CLUSTER, "-p", str(REPLICA_PORT))
    data = clusters()[(version, REPLICA_CLUSTER)]["data"]
    config = f"/etc/postgresql/{version}/{REPLICA_CLUSTER}"
    # The same clients may connect to the replica as to the primary.
    shutil.copyfile(f"/etc/postgresql/{version}/{primary}/pg_hba.conf", f"{config}/pg_hba.conf")
    settings = {name: sql(PRIMARY_PORT, f"SHOW {name}") for name in COPIED_SETTINGS}
    listen = sql(PRIMARY_PORT, "SHOW listen_addresses") or "localhost"
    os.makedirs(f"{config}/conf.d", exist_ok=True)
    with open(f"{config}/conf.d/90-replica.conf", "w") as file:
        file.write(f"# A streaming replica of the cluster on port {PRIMARY_PORT}.\n")
        file.write(f"port = {REPLICA_PORT}\nlisten_addresses = '{listen}'\n")
        file.write("hot_standby = on\nhot_standby_feedback = on\n")
        for name, value in settings.items():
            if value:
                file.write(f"{name} = {value}\n")
    shutil.rmtree(data)
    os.makedirs(data, mode=0o700)
    shutil.chown(data, "postgres", "postgres")
    print(f"copying the primary (port {PRIMARY_PORT}) into {data} ...", flush=True)
    run(
        *as_postgres(
            "pg_basebackup",
            "-h",
            SOCKET_DIR,
            "-p",
            str(PRIMARY_PORT),
            "-U",
            "postgres",
            "-D",
            data,
            "-R",  # standby.signal and primary_conninfo: a standby that streams
            "-C",
            "-S",
            SLOT,
            "-X",
            "stream",
            "-c",
            "fast",
        )
    )
    start(version)


def start(version: str) -> None:
    run(
        "pg_ctlcluster", "--skip-systemctl-redirect", version, REPLICA_CLUSTER, "start", check=False
    )


def drop(version: str) -> None:
    run("pg_dropcluster", "--stop", version, REPLICA_CLUSTER, check=False)
    drop_slot()


def drop_slot() -> None:
    sql(
        PRIMARY_PORT,
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
        f" WHERE slot_name = '{SLOT}' AND NOT active",
    )


def bound_slot_wal() -> None:
    if sql(PRIMARY_PORT, "SHOW max_slot_wal_keep_size") == "-1":
        sql(PRIMARY_PORT, f"ALTER SYSTEM SET max_slot_wal_keep_size = '{SLOT_WAL_LIMIT}'")
        sql(PRIMARY_PORT, "SELECT pg_reload_conf()")
        print(f"the primary keeps at most {SLOT_WAL_LIMIT} of WAL for a replica slot")


def main() -> int:
    if not shutil.which("pg_lsclusters"):
        print("make replica needs Debian's PostgreSQL (postgresql-common).")
        return 1
    found = clusters()
    primaries = [key for key, row in found.items() if row["port"] == str(PRIMARY_PORT)]
    if not primaries:
        print(f"No local cluster listens on port {PRIMARY_PORT}.")
        return 1
    version, primary = primaries[0]
    if sql(PRIMARY_PORT, "SELECT 1") != "1":
        run("pg_ctlcluster", "--skip-systemctl-redirect", version, primary, "start", check=False)
    if sql(PRIMARY_PORT, "SHOW wal_level") not in ("replica", "logical"):
        print("The primary's wal_level must be replica (set it and restart the primary).")
        return 1
    allow_replication(version, primary)
    bound_slot_wal()

    if (version, REPLICA_CLUSTER) in found:
        if found[(version, REPLICA_CLUSTER)]["status"] != "online":
            start(version)
        if wait_for_streaming(15):
            print(f"The replica on port {REPLICA_PORT} streams from port {PRIMARY_PORT}.")
            return 0
        print("The replica does not stream (behind the primary's kept WAL?); making it anew.")
        drop(version)
    drop_slot()
    create(version, primary)
    if not wait_for_streaming(60):
        print(f"The new replica on port {REPLICA_PORT} does not stream; see its log:")
        print(f"  /var/log/postgresql/postgresql-{version}-{REPLICA_CLUSTER}.log")
        return 1
    print(f"The replica on port {REPLICA_PORT} streams from port {PRIMARY_PORT}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
