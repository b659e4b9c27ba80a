"""Expiry and breakage: a lot whose day has passed loses what it has left through one Credit
Expired entry of its own (by System, from that lot alone), once however often or however many
runs at a time; draw-downs never take from it meanwhile; the worker runs the expiry by itself;
the roll-forward, Credit Activity and verify_ledger show it."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.services import account_anonymise
from activity.models import ActivityEvent
from core.actors import Actor
from credits import services, tasks
from credits.models import Activity, CreditAllocation, CreditEntry, CreditLot, CreditWallet
from credits.rollforward import Period, credit_rollforward
from credits.services.expiry import EXPIRY_IN_FUTURE
from credits.services.lots import EXPIRED_SHORT
from tests.credits.conftest import SEK, TOKENS, grant
from tests.credits.ledger_checks import assert_ledger_consistent
from tests.factories import AccountFactory
from tests.threads import run_together

pytestmark = pytest.mark.django_db


def days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


def expired_grant(account, amount="40", *, days=1, unit=SEK, **kwargs):
    """A grant dated before its expiry day, which was `days` days ago: its lot has expired."""
    return grant(
        account,
        amount,
        lot_kind="promotional",
        expires_on=days_ago(days),
        created_at=timezone.now() - dt.timedelta(days=days + 2),
        **{**unit, **kwargs},
    )


def lot_of(entry) -> CreditLot:
    return CreditLot.objects.get(entry_id=entry.pk)


def expiries():
    return CreditEntry.objects.filter(activity=Activity.EXPIRY).order_by("pk")


# --- The entry ----------------------------------------------------------------------------


def test_an_expired_lot_loses_exactly_what_it_has_left_from_itself_alone(account):
    promotional = lot_of(expired_grant(account, "40"))
    services.apply_credits(
        account=account,
        amount="10",
        transaction_id="T-1",
        created_at=timezone.now() - dt.timedelta(days=2),
        **SEK,
    )
    paid = lot_of(grant(account, "60", transaction_id="PUR-1"))

    run = services.credit_lots_expire()

    assert (run.lots, {str(u): a for u, a in run.amounts.items()}) == (1, {"SEK": Decimal("30")})
    (entry,) = expiries()
    assert (entry.amount, entry.balance_after) == (Decimal("-30"), Decimal("60"))
    assert entry.actor_name == "System" and entry.actor_id is None
    assert "expired at the end of" in entry.note
    assert list(CreditAllocation.objects.filter(entry=entry).values_list("lot", "amount")) == [
        (promotional.pk, Decimal("-30"))
    ]
    promotional.refresh_from_db()
    paid.refresh_from_db()
    assert (promotional.remaining, paid.remaining) == (0, Decimal("60"))
    assert CreditWallet.objects.get(account=account).balance == Decimal("60")
    event = ActivityEvent.objects.get(type="credit_expired")
    assert event.actor_name == "System"
    assert event.data["amount"] == {"amount": "30.00", "currency": "SEK"}
    assert event.data["balance_after"] == {"amount": "60.00", "currency": "SEK"}
    assert_ledger_consistent()
    call_command("verify_ledger")


def test_each_expired_lot_of_a_wallet_has_its_own_entry_and_tokens_expire_whole(account):
    first = lot_of(expired_grant(account, "20", days=3))
    second = lot_of(expired_grant(account, "5", days=2))
    tokens = lot_of(expired_grant(account, "7", unit=TOKENS))
    run = services.credit_lots_expire()
    assert run.lots == 3
    assert {str(u): a for u, a in run.amounts.items()} == {
        "SEK": Decimal("25"),
        "Tokens": Decimal("7"),
    }
    assert [(a.lot_id, a.amount) for a in CreditAllocation.objects.order_by("pk")] == [
        (first.pk, Decimal("-20")),
        (second.pk, Decimal("-5")),
        (tokens.pk, Decimal("-7")),
    ]
    assert run.describe() == "3 lot(s) expired: 25.00 SEK, 7 tokens."
    assert_ledger_consistent()


def test_a_second_run_expires_nothing(account):
    expired_grant(account)
    assert services.credit_lots_expire().lots == 1
    again = services.credit_lots_expire()
    assert (again.lots, again.amounts, again.failures) == (0, {}, [])
    assert expiries().count() == 1


def test_a_lot_expiring_today_is_not_expired_until_its_day_has_passed(account):
    grant(account, "30", expires_on=timezone.localdate())
    assert services.credit_lots_expire().lots == 0
    assert not expiries().exists()
    # Just before midnight (Europe/Stockholm) it still holds; just after, it has expired.
    day = timezone.localdate()
    zone = timezone.get_current_timezone()
    late = dt.datetime.combine(day, dt.time(23, 59, 30), tzinfo=zone)
    with time_machine.travel(late, tick=False):
        assert services.credit_lots_expire().lots == 0
    with time_machine.travel(late + dt.timedelta(minutes=1), tick=False):
        assert services.credit_lots_expire().lots == 1
    assert expiries().get().amount == Decimal("-30")


def test_lots_without_expiry_or_expiring_later_are_left_alone(account):
    grant(account, "30")
    grant(account, "20", expires_on=timezone.localdate() + dt.timedelta(days=3))
    assert services.credit_lots_expire().lots == 0
    assert CreditWallet.objects.get(account=account).balance == Decimal("50")


def test_an_anonymised_accounts_lot_expires_without_a_note(account):
    expired_grant(account)
    account_anonymise(actor=Actor.system(), account=account, reason="Erasure request")
    assert services.credit_lots_expire().lots == 1
    assert expiries().get().note == ""


def test_a_wallet_that_fails_is_reported_and_the_others_still_expire(account):
    broken = expired_grant(account, "40")
    services.credit_revoke(
        actor=None,
        account=account,
        amount="30",
        note="Mistake",
        created_at=timezone.now() - dt.timedelta(days=2),
        **SEK,
    )
    # A lot changed past the services (verify_ledger would report it) holds more than its
    # wallet's balance: its expiry is refused.
    CreditLot.objects.filter(pk=lot_of(broken).pk).update(remaining=Decimal("40"))
    other = AccountFactory(customer_number="700002")
    expired_grant(other, "15")

    run = services.credit_lots_expire()

    assert run.lots == 1 and {str(u): a for u, a in run.amounts.items()} == {"SEK": 15}
    assert len(run.failures) == 1
    assert run.failures[0].startswith(f"wallet {broken.wallet_id}: ValidationError")
    assert "Not enough credit" in run.failures[0]
    assert list(expiries().values_list("account_id", flat=True)) == [other.pk]
    assert CreditWallet.objects.get(account=account).balance == Decimal("10")


# --- Refusals -----------------------------------------------------------------------------


def test_a_day_after_today_is_refused_and_expires_nothing(account):
    grant(account, "30", expires_on=timezone.localdate())
    with pytest.raises(ValidationError) as refused:
        services.credit_lots_expire(today=timezone.localdate() + dt.timedelta(days=2))
    assert refused.value.message_dict == {
        "today": [EXPIRY_IN_FUTURE.format(today=timezone.localdate())]
    }
    assert not expiries().exists()


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "07/12/2026", ""])
def test_the_command_refuses_a_bad_date_and_changes_nothing(account, value):
    expired_grant(account)
    with pytest.raises(CommandError) as refused:
        call_command("expire_lots", f"--today={value}")
    assert str(refused.value) == f"--today must be a date as YYYY-MM-DD, not {value!r}."
    assert not expiries().exists()


def test_the_command_refuses_a_day_after_today(account):
    expired_grant(account)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(CommandError, match="after today"):
        call_command("expire_lots", f"--today={tomorrow}")
    assert not expiries().exists()


def test_the_command_expires_as_of_the_day_it_is_given_and_says_what_it_did(account, capsys):
    expired_grant(account, "40", days=5)
    expired_grant(account, "10", days=1)
    call_command("expire_lots", f"--today={days_ago(3)}")
    assert capsys.readouterr().out.strip() == f"As of {days_ago(3)}: 1 lot(s) expired: 40.00 SEK."
    call_command("expire_lots")
    assert "1 lot(s) expired: 10.00 SEK." in capsys.readouterr().out
    assert list(expiries().values_list("amount", flat=True)) == [Decimal("-40"), Decimal("-10")]


# --- Draw-downs never take expired credit ---------------------------------------------------


def test_before_the_run_a_charge_takes_only_unexpired_credit(account):
    expired = lot_of(expired_grant(account, "40"))
    paid = lot_of(grant(account, "25", transaction_id="PUR-1"))
    applied = services.apply_credits(account=account, amount="50", transaction_id="T-1", **SEK)
    assert (applied.consumed, applied.remainder) == (Decimal("25"), Decimal("25"))
    (entry,) = applied.entries
    assert list(CreditAllocation.objects.filter(entry=entry).values_list("lot", "amount")) == [
        (paid.pk, Decimal("-25"))
    ]
    expired.refresh_from_db()
    assert expired.remaining == Decimal("40")
    services.credit_lots_expire()
    expired.refresh_from_db()
    assert expired.remaining == 0
    assert CreditWallet.objects.get(account=account).balance == 0
    assert_ledger_consistent()


def test_a_revocation_over_the_unexpired_credit_is_refused_naming_the_expired_credit(account):
    expired_grant(account, "40")
    grant(account, "25")
    with pytest.raises(ValidationError) as refused:
        services.credit_revoke(actor=None, account=account, amount="30", note="x", **SEK)
    assert refused.value.message_dict == {
        "amount": [EXPIRED_SHORT.format(asked="30.00 SEK", held="25.00 SEK", expired="40.00 SEK")]
    }
    assert CreditEntry.objects.count() == 2 and not CreditAllocation.objects.exists()


def test_a_charge_dated_before_the_expiry_may_still_use_the_lot(account):
    lot = lot_of(expired_grant(account, "40", days=1))
    applied = services.apply_credits(
        account=account,
        amount="15",
        transaction_id="T-1",
        created_at=timezone.now() - dt.timedelta(days=2),
        **SEK,
    )
    assert applied.consumed == Decimal("15")
    lot.refresh_from_db()
    assert lot.remaining == Decimal("25")


# --- What shows it ------------------------------------------------------------------------


def test_the_roll_forward_has_the_expiry_in_its_own_column(account):
    expired_grant(account, "40")
    services.credit_lots_expire()
    today = timezone.localdate()
    (line,) = credit_rollforward(Period(today - dt.timedelta(days=10), today))
    assert line.movements[Activity.EXPIRY] == Decimal("-40")
    assert (line.closing, line.reconciles) == (0, True)


def test_credit_activity_filters_by_credit_expired(finance_client, account):
    expired_grant(account, "40")
    grant(account, "5")
    services.credit_lots_expire()
    response = finance_client.get(reverse("credits:activity") + "?activity=expiry")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Credit Expired" in page and "-40.00" in page
    assert response.context["table"].rows.data.data.count() == 1


def test_the_account_page_lists_the_expiry_in_its_history(service_client, account):
    expired_grant(account, "40")
    services.credit_lots_expire()
    page = service_client.get(account.get_absolute_url()).content.decode()
    assert "Credit Expired" in page


def test_the_account_page_says_expired_credit_is_no_longer_spent_until_the_run(
    service_client, account
):
    expired_grant(account, "40")
    html = service_client.get(account.get_absolute_url()).content.decode()
    warning = html.split('id="credit-expiry-warning"', 1)[1].split("</div>", 1)[0]
    assert (
        f"expired on {days_ago(1).isoformat()}: no longer spent, and taken off the balance by "
        "the next expiry run." in warning
    )
    services.credit_lots_expire()
    html = service_client.get(account.get_absolute_url()).content.decode()
    assert 'id="credit-expiry-warning"' not in html


# --- It runs by itself --------------------------------------------------------------------


def test_the_worker_expires_a_due_lot_and_comes_back_later(account, run_worker, settings):
    settings.LOT_EXPIRY_INTERVAL_SECONDS = 600
    expired_grant(account, "40")
    tasks.watch_start()
    run_worker()
    assert expiries().get().amount == Decimal("-40")
    done = DBTaskResult.objects.filter(task_path=tasks.credit_expiry_run.module_path)
    assert done.filter(status="SUCCESSFUL").count() == 1
    (later,) = done.filter(status="READY")
    wait = later.run_after - timezone.now()
    assert dt.timedelta(seconds=590) < wait <= dt.timedelta(seconds=600)
    # Another worker starting meanwhile does not queue a second run.
    tasks.watch_start()
    assert done.filter(status="READY").count() == 1


# --- Two runs at once ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_expire_each_lot_once(account):
    accounts = [account] + [AccountFactory(customer_number=f"70010{n}") for n in range(5)]
    for holder in accounts:
        expired_grant(holder, "10", days=2)
        expired_grant(holder, "5", days=1)
        grant(holder, "3")
    runs = []
    run_together([lambda: runs.append(services.credit_lots_expire()) for _ in range(2)])
    assert sum(run.lots for run in runs) == 12
    assert all(not run.failures for run in runs)
    assert expiries().count() == 12
    assert not CreditLot.objects.filter(remaining__gt=0, expires_on__isnull=False).exists()
    assert set(CreditWallet.objects.values_list("balance", flat=True)) == {Decimal("3")}
    assert_ledger_consistent()
    call_command("verify_ledger")
