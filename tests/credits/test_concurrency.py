"""Concurrent writers on one wallet, each thread on its own PostgreSQL connection: no lost
update, no deadlock, exact balances and balance-after chains."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from credits import services
from credits.models import Activity, CreditEntry, CreditWallet
from tests.credits.conftest import SEK
from tests.credits.ledger_checks import assert_ledger_consistent
from tests.threads import run_together

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 12


def test_concurrent_consumption_and_grants_keep_exact_balances(account, subscription):
    assert connection.vendor == "postgresql"
    services.credit_grant(
        actor=None, account=account, subscription=subscription, amount="300", **SEK
    )
    services.credit_grant(actor=None, account=account, amount="1000", **SEK)
    results = []

    def consume(worker):
        def work():
            for i in range(ROUNDS):
                results.append(
                    services.apply_credits(
                        account=account,
                        subscription=subscription,
                        amount="20",
                        transaction_id=f"TX-{worker}-{i}",
                        **SEK,
                    )
                )

        return work

    def grant(to_subscription):
        def work():
            for _ in range(ROUNDS):
                services.credit_grant(
                    actor=None,
                    account=account,
                    subscription=subscription if to_subscription else None,
                    amount="5",
                    **SEK,
                )

        return work

    run_together([consume(n) for n in range(4)] + [grant(True), grant(False)] * 2)

    # 1,300 granted first and 4 x 12 x 5 = 240 during the run; 4 x 12 x 20 = 960 consumed,
    # always covered (the two wallets never hold less than 580 together).
    assert len(results) == 4 * ROUNDS
    assert all(r.remainder == 0 for r in results)
    balances = dict(CreditWallet.objects.values_list("subscription_id", "balance"))
    assert sum(balances.values()) == Decimal("1300") + Decimal("240") - Decimal("960")
    consumed = CreditEntry.objects.filter(activity=Activity.CONSUMPTION)
    assert -sum(consumed.values_list("amount", flat=True)) == Decimal("960")
    assert CreditEntry.objects.filter(activity=Activity.GRANT).count() == 2 + 4 * ROUNDS
    assert_ledger_consistent()
    call_command("verify_ledger")


def test_concurrent_consumers_never_overdraw_a_wallet(account):
    services.credit_grant(actor=None, account=account, amount="100", **SEK)
    results = []

    def consume(worker):
        def work():
            for i in range(5):
                results.append(
                    services.apply_credits(
                        account=account, amount="7", transaction_id=f"TX-{worker}-{i}", **SEK
                    )
                )

        return work

    run_together([consume(n) for n in range(6)])

    # 30 requests of 7 against 100: exactly 100 consumed, 110 left to bill, balance 0.
    assert sum(r.consumed for r in results) == Decimal("100")
    assert sum(r.remainder for r in results) == Decimal("110")
    assert CreditWallet.objects.get().balance == 0
    assert_ledger_consistent()


def test_concurrent_retries_with_one_key_consume_once(account):
    services.credit_grant(actor=None, account=account, amount="100", **SEK)
    results = []

    def retry():
        results.append(
            services.apply_credits(
                account=account, amount="30", transaction_id="TX-1", idempotency_key="k", **SEK
            )
        )

    run_together([retry] * 5)

    assert {tuple(e.pk for e in r.entries) for r in results} == {
        (CreditEntry.objects.get(activity=Activity.CONSUMPTION).pk,)
    }
    assert CreditWallet.objects.get().balance == Decimal("70")
