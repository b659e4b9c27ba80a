"""A worker added to the Citus cluster while credit moves and Credit Activity is read: the
shards are rebalanced onto it, and afterwards every entry, balance and hash chain is as the
writes left them. Runs on a Citus coordinator only (`make test-citus`)."""

import itertools
import subprocess
import sys
import threading
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection

from core.errors import met_another_write
from credits import services
from credits.models import CreditEntry, CreditWallet
from credits.selectors import credit_activity
from tests.credits.conftest import SEK
from tests.credits.ledger_checks import assert_day_totals_agree
from tests.factories import AccountFactory

ROOT = Path(__file__).resolve().parents[2]
ACCOUNTS = 24
GRANT = Decimal("1000")
CHARGE = Decimal("1.25")


def new_worker_port() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(nodeport) FROM pg_dist_node")
        return cursor.fetchone()[0] + 1


def shards_on(port: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid)"
            " WHERE n.nodeport = %s",
            [port],
        )
        return cursor.fetchone()[0]


@pytest.mark.cluster_only("it adds a worker to the Citus cluster and moves shards onto it")
@pytest.mark.django_db(transaction=True)
def test_a_worker_added_while_credit_moves_takes_shards_and_nothing_is_lost():
    accounts = [AccountFactory() for _ in range(ACCOUNTS)]
    for account in accounts:
        services.credit_grant(actor=None, account=account, amount=GRANT, **SEK)
    port = new_worker_port()
    # The cluster's new node, registered for this database (scripts/citus.py, as `make citus
    # CITUS_ARGS=--add-worker` does for the default one).
    subprocess.run(
        [
            sys.executable,
            "scripts/citus.py",
            "--add-worker",
            "--database",
            connection.settings_dict["NAME"],
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    assert shards_on(port) == 0

    stop = threading.Event()
    charged: list[int] = []
    cancelled: list[int] = []
    read: list[int] = []
    errors: list[BaseException] = []

    def charge(worker: int) -> None:
        try:
            for n in itertools.count():
                if stop.is_set():
                    break
                try:
                    services.apply_credits(
                        account=accounts[(worker + n) % ACCOUNTS],
                        amount=CHARGE,
                        transaction_id=f"RB-{worker}-{n}-{uuid.uuid4().hex[:6]}",
                        **SEK,
                    )
                except DatabaseError as exc:
                    # A write that meets a shard's switch-over may be cancelled as a deadlock, or
                    # refused by its wallet's seq key when it read the wallet as the shard moved:
                    # rolled back whole, for its sender to send again (the API's 503).
                    if not met_another_write(exc):
                        raise
                    cancelled.append(worker)
                    continue
                charged.append(worker)
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    def browse() -> None:
        try:
            while not stop.is_set():
                try:
                    read.append(len(list(credit_activity()[:25])))
                except DatabaseError as exc:  # the same, for a read
                    if not met_another_write(exc):
                        raise
                    cancelled.append(-1)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=charge, args=(w,)) for w in range(3)]
    threads.append(threading.Thread(target=browse))
    for thread in threads:
        thread.start()
    try:
        with connection.cursor() as cursor:
            # Each shard is copied by logical replication while it is written to, and switched
            # over at the end in a moment's lock: no write is lost or half done.
            cursor.execute("SELECT rebalance_table_shards(shard_transfer_mode => 'force_logical')")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
    assert not errors, errors[0]
    assert charged and read
    print(f"{len(charged)} charges, {len(read)} reads, {len(cancelled)} cancelled and sent again")

    assert shards_on(port) > 0
    assert CreditEntry.objects.count() == ACCOUNTS + len(charged)
    balances = sum(CreditWallet.objects.values_list("balance", flat=True))
    assert balances == ACCOUNTS * GRANT - len(charged) * CHARGE
    assert_day_totals_agree()
    call_command("verify_ledger", verbosity=0)
