"""The wallets' month-end balances, which let a balance as of any instant read one month of the
ledger, and the ledger's entries partitioned by UTC month (core.partitions; on a single node,
by `maintain_partitions --partition credits.CreditEntry`): the balance kept with every entry,
balances across months without entries, each entry's month, Credit Activity's date filter
reading only its months, `verify_ledger` checking the month-end balances, retention leaving the
ledger whole, and the command there and back."""

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core import partitions
from core.citus import active as citus_active
from credits.filters import CreditActivityFilter
from credits.models import Activity, CreditEntry, CreditWallet, CreditWalletMonth
from credits.rollforward import Period, balance_as_of, by_month, credit_rollforward
from credits.selectors import credit_activity
from tests.factories import CreditEntryFactory, CreditWalletFactory

pytestmark = pytest.mark.django_db

TABLE = CreditEntry._meta.db_table
SPEC = partitions.Partitioned("credits.CreditEntry", "created_at")


def utc(year, month, day=15, hour=12) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


def partition_of(entry: CreditEntry) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {TABLE} WHERE id = %s", [entry.pk])
        name = cursor.fetchone()[0]
    return re.sub(r"_[0-9]{5,}$", "", name)  # on a Citus coordinator, the shard's number


def plan_of(queryset) -> str:
    with connection.cursor() as cursor:
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row for (row,) in cursor.fetchall())


@pytest.fixture
def partitioned():
    """The ledger partitioned by month, for this test (its transaction takes it back)."""
    call_command("maintain_partitions", "--partition", "credits.CreditEntry", stdout=io.StringIO())


@pytest.fixture
def wallet():
    return CreditWalletFactory()


def history(wallet) -> list[CreditEntry]:
    """+100 in January 2025, +50 and -30 in February, +10 in May: nothing in March and April."""
    made = [
        CreditEntryFactory(wallet=wallet, amount=Decimal("100"), created_at=utc(2025, 1)),
        CreditEntryFactory(wallet=wallet, amount=Decimal("50"), created_at=utc(2025, 2, 3)),
        CreditEntryFactory(
            wallet=wallet,
            activity=Activity.REVOCATION,
            amount=Decimal("-30"),
            created_at=utc(2025, 2, 20),
        ),
        CreditEntryFactory(wallet=wallet, amount=Decimal("10"), created_at=utc(2025, 5)),
    ]
    if partitions.is_partitioned(connection, TABLE):
        partitions.ensure(SPEC, partitions.months_between(utc(2025, 1), utc(2025, 5)))
    return made


@pytest.mark.single_node("a distributed table is not rebuilt in place")
def test_the_ledger_has_a_partition_for_this_month_and_its_entries_are_in_it(partitioned, wallet):
    assert partitions.is_partitioned(connection, TABLE)
    assert partitions.month_of(timezone.now()) in partitions.months(connection, SPEC)
    entry = CreditEntryFactory(wallet=wallet, created_at=timezone.now())
    assert partition_of(entry) == SPEC.name(partitions.month_of(timezone.now()))


def test_each_entry_keeps_its_wallet_balance_at_the_end_of_its_month(wallet):
    history(wallet)
    kept = CreditWalletMonth.objects.filter(wallet=wallet).order_by("month")
    assert [(m.month, m.seq, m.balance_after) for m in kept] == [
        (dt.date(2025, 1, 1), 1, Decimal("100")),
        (dt.date(2025, 2, 1), 3, Decimal("120")),
        (dt.date(2025, 5, 1), 4, Decimal("130")),
    ]


@pytest.mark.parametrize(
    ("instant", "balance"),
    [
        (utc(2025, 1, 1), Decimal("0")),  # before the first entry
        (utc(2025, 1, 20), Decimal("100")),  # later in the first entry's month
        (utc(2025, 2, 10), Decimal("150")),  # between two entries of one month
        (utc(2025, 3, 1, 0), Decimal("120")),  # the first instant of a month without entries
        (utc(2025, 4, 15), Decimal("120")),  # two months without entries later
        (utc(2025, 5, 15, 12), Decimal("120")),  # the entry's own instant is not before it
        (utc(2025, 5, 15, 13), Decimal("130")),
        (utc(2031, 1, 1), Decimal("130")),  # years later
    ],
)
@pytest.mark.parametrize("monthly", [False, True], ids=["one step", "month-end balances"])
def test_a_balance_as_of_any_instant_is_the_last_entrys_before_it(
    wallet, instant, balance, monthly
):
    history(wallet)
    found = CreditWallet.objects.filter(pk=wallet.pk).annotate(
        then=balance_as_of(instant, monthly=monthly)
    )
    assert found.get().then == balance


@pytest.mark.single_node("a distributed table is not rebuilt in place")
def test_a_balance_as_of_an_instant_reads_that_months_partition_alone(partitioned, wallet):
    history(wallet)
    assert by_month()
    plan = plan_of(
        CreditWallet.objects.annotate(then=balance_as_of(utc(2025, 4, 15), monthly=True))
    )
    assert SPEC.name(dt.date(2025, 4, 1)) in plan
    for other in (1, 2, 5):
        assert SPEC.name(dt.date(2025, other, 1)) not in plan
    assert SPEC.default not in plan


@pytest.mark.parametrize("ledger", ["plain", "partitioned"])
def test_the_roll_forward_of_a_quiet_month_opens_and_closes_with_the_month_before(
    request, wallet, ledger
):
    if ledger == "partitioned":
        if citus_active():
            pytest.skip("a distributed table is not rebuilt in place")
        request.getfixturevalue("partitioned")
    history(wallet)
    [april] = credit_rollforward(Period(dt.date(2025, 4, 1), dt.date(2025, 4, 30)))
    assert (april.opening, april.closing) == (Decimal("120"), Decimal("120"))
    [may] = credit_rollforward(Period(dt.date(2025, 5, 1), dt.date(2025, 5, 31)))
    assert (may.opening, may.closing, may.reconciles) == (Decimal("120"), Decimal("130"), True)


@pytest.mark.single_node("a distributed table is not rebuilt in place")
def test_credit_activity_filtered_by_date_reads_only_the_months_it_covers(partitioned, wallet):
    history(wallet)
    entries = CreditActivityFilter(
        {"created_from": "2025-02-02", "created_to": "2025-02-10"}, queryset=credit_activity()
    ).qs
    plan = plan_of(entries)
    assert SPEC.name(dt.date(2025, 2, 1)) in plan
    for other in (1, 5):
        assert SPEC.name(dt.date(2025, other, 1)) not in plan
    assert [e.amount for e in entries] == [Decimal("50")]


@pytest.mark.single_node("a distributed table is not rebuilt in place")
def test_a_partitioned_ledger_refuses_a_seq_twice_at_one_instant_and_reports_it_at_two(
    partitioned, wallet, capsys
):
    """Its unique keys include the entry's time: a writer past the services that repeats a
    seq at another instant is not refused by the key (the services number entries under the
    wallet's lock), but `verify_ledger` finds it."""
    [entry] = history(wallet)[:1]
    fields = {
        "wallet": wallet,
        "account": wallet.account,
        "credit_type": wallet.credit_type,
        "currency": wallet.currency,
        "seq": entry.seq,
        "activity": Activity.GRANT,
        "amount": Decimal("10"),
        "actor_name": "System",
    }
    # Reported under the name of the month's partition's key.
    key = r"\(wallet_id, seq, account_id, created_at\)"
    with pytest.raises(IntegrityError, match=key), transaction.atomic():
        CreditEntry.objects.create(
            **fields, balance_after=entry.balance_after, created_at=entry.created_at
        )
    with transaction.atomic():
        CreditEntry.objects.create(**fields, balance_after=Decimal("500"), created_at=utc(2025, 6))
    with pytest.raises(CommandError, match="1 of 1 wallets drifted"):
        call_command("verify_ledger")
    assert f"Wallet {wallet.pk} " in capsys.readouterr().out


def test_verify_ledger_finds_a_month_end_balance_that_differs_and_rebuild_repairs_it(
    wallet, capsys
):
    history(wallet)
    CreditWalletMonth.objects.filter(wallet=wallet, month=dt.date(2025, 2, 1)).update(
        balance_after=Decimal("999")
    )
    with pytest.raises(CommandError, match="1 month-end balances disagree"):
        call_command("verify_ledger")
    assert (
        f"Month-end balance of wallet {wallet.pk} 2025-02: kept entry 3, balance 999.0000, "
        "the entries give entry 3, balance 120.0000" in capsys.readouterr().out
    )
    call_command("verify_ledger", "--rebuild-totals")
    assert "month-end balances agree" in capsys.readouterr().out


@pytest.mark.single_node("a distributed table is not rebuilt in place")
def test_retention_of_the_timeline_leaves_every_month_of_the_ledger(
    partitioned, wallet, settings, capsys
):
    settings.TIMELINE_RETENTION_MONTHS = 1
    made = history(wallet)
    call_command("purge_retention")
    assert CreditEntry.objects.filter(wallet=wallet).count() == len(made)
    assert dt.date(2025, 1, 1) in partitions.months(connection, SPEC)
    call_command("verify_ledger")


@pytest.mark.single_node("a distributed table is not rebuilt in place")
@pytest.mark.django_db(transaction=True)
def test_the_command_partitions_the_ledger_with_its_entries_and_back(wallet, capsys):
    made = history(wallet)
    try:
        call_command("maintain_partitions", "--partition", "credits.CreditEntry")
        assert "credits_creditentry is partitioned by month of created_at" in (
            capsys.readouterr().out
        )
        assert partitions.is_partitioned(connection, TABLE)
        assert partition_of(made[0]) == SPEC.name(dt.date(2025, 1, 1))
        assert partition_of(made[3]) == SPEC.name(dt.date(2025, 5, 1))
        # Entries keep being written, in their months, and the ledger verifies.
        later = CreditEntryFactory(wallet=wallet, created_at=timezone.now())
        assert partition_of(later) == SPEC.name(partitions.month_of(timezone.now()))
        call_command("verify_ledger")
        call_command("maintain_partitions", "--partition", "credits.CreditEntry")
        assert "partitioned already" in capsys.readouterr().out
    finally:
        call_command("maintain_partitions", "--unpartition", "credits.CreditEntry")
    assert not partitions.is_partitioned(connection, TABLE)
    assert set(CreditEntry.objects.values_list("pk", flat=True)) == {e.pk for e in [*made, later]}
    call_command("verify_ledger")


def test_the_command_refuses_a_table_that_is_not_partitioned_by_time():
    before = partitions.is_partitioned(connection, TABLE)
    with pytest.raises(CommandError, match="credits.CreditWallet is not in TIME_PARTITIONS"):
        call_command("maintain_partitions", "--partition", "credits.CreditWallet")
    assert partitions.is_partitioned(connection, TABLE) == before
