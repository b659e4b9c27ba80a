"""Balances at a moment (/credits/balances/at/): one account's wallets or every wallet of a
unit as they stood at a chosen day and time, their sums per unit (the roll-forward's closing
balances of a period ending then), the form's refusals, and the page's query budget."""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from credits.forms import ACCOUNT_OR_UNIT, MOMENT_IN_FUTURE, TOKENS_HAVE_NO_CURRENCY
from credits.models import Activity, CreditWallet
from credits.rollforward import (
    Period,
    balances_at,
    credit_rollforward,
    lots_at,
    unit_balances_at,
)
from tests.factories import (
    AccountFactory,
    CreditEntryFactory,
    CreditWalletFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db

PAGE = reverse("credits:balances-at")
STOCKHOLM = timezone.get_default_timezone()


def local(year, month, day, hour=12, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=STOCKHOLM)


@pytest.fixture
def karin():
    """Karin's own SEK wallet (+300 on 1 March, -120 on 10 March at 14:00) and her
    subscription's (+50 on 5 March), and someone else's SEK wallet (+70 on 2 March)."""
    account = AccountFactory(name="Karin Nilsson", customer_number="910001")
    own = CreditWalletFactory(account=account)
    CreditEntryFactory(wallet=own, amount=Decimal("300"), created_at=local(2026, 3, 1))
    CreditEntryFactory(
        wallet=own,
        activity=Activity.REVOCATION,
        amount=Decimal("-120"),
        created_at=local(2026, 3, 10, 14),
    )
    subscription = SubscriptionFactory(account=account, order_id="ORD-910001")
    theirs = CreditWalletFactory(account=account, subscription=subscription)
    CreditEntryFactory(wallet=theirs, amount=Decimal("50"), created_at=local(2026, 3, 5))
    other = CreditWalletFactory()
    CreditEntryFactory(wallet=other, amount=Decimal("70"), created_at=local(2026, 3, 2))
    return account


def test_an_accounts_wallets_at_a_moment(karin):
    wallets = list(balances_at(local(2026, 3, 10, 13, 59), account=karin))
    assert [(w.subscription_id is None, w.then, w.balance) for w in wallets] == [
        (True, Decimal("300"), Decimal("180")),
        (False, Decimal("50"), Decimal("50")),
    ]
    [(unit, total)] = unit_balances_at(local(2026, 3, 10, 14, 1), account=karin)
    assert (unit.label, total) == ("SEK", Decimal("230"))


def test_an_accounts_lots_as_they_stood_then(karin):
    before = lots_at(local(2026, 3, 10, 13, 59), account=karin)
    assert [(lot.amount, lot.then, lot.remaining) for lot in before] == [
        (Decimal("300"), Decimal("300"), Decimal("180")),
        (Decimal("50"), Decimal("50"), Decimal("50")),
    ]
    after = lots_at(local(2026, 3, 10, 14, 1), account=karin)
    assert [lot.then for lot in after] == [Decimal("180"), Decimal("50")]
    # Before the subscription's grant: one lot; before any grant: none.
    assert [lot.then for lot in lots_at(local(2026, 3, 4), account=karin)] == [Decimal("300")]
    assert lots_at(local(2026, 2, 1), account=karin) == []
    # The lots then add up to the balances then.
    then = balances_at(local(2026, 3, 10, 14, 1), account=karin)
    assert sum(lot.then for lot in after) == sum(w.then for w in then)


def test_every_wallet_of_a_unit_that_held_credit_then(karin):
    held = balances_at(local(2026, 3, 1, 18), credit_type="currency", currency="SEK")
    assert [(w.account_id, w.then) for w in held] == [(karin.pk, Decimal("300"))]
    later = balances_at(local(2026, 3, 6), credit_type="currency", currency="SEK")
    assert sorted(w.then for w in later) == [Decimal("50"), Decimal("70"), Decimal("300")]


def test_the_sums_are_the_roll_forwards_closing_balances_over_random_histories():
    rng = random.Random(20261207)
    wallets = [CreditWalletFactory(currency=rng.choice(["SEK", "EUR"])) for _ in range(6)]
    for wallet in wallets:
        when = local(2026, 1, 1) + dt.timedelta(hours=rng.randint(0, 200))
        balance = Decimal(0)
        for _ in range(rng.randint(1, 8)):
            when += dt.timedelta(hours=rng.randint(1, 400))
            if balance > 10 and rng.random() < 0.4:
                amount = -Decimal(rng.randint(1, int(balance)))
                CreditEntryFactory(
                    wallet=wallet, activity=Activity.REVOCATION, amount=amount, created_at=when
                )
            else:
                amount = Decimal(rng.randint(1, 500))
                CreditEntryFactory(wallet=wallet, amount=amount, created_at=when)
            balance += amount
    for last in (dt.date(2026, 1, 20), dt.date(2026, 2, 28), dt.date(2026, 4, 30)):
        period = Period(dt.date(2026, 1, 1), last)
        closing = {line.unit.key: line.closing for line in credit_rollforward(period)}
        at_end = {unit.key: total for unit, total in unit_balances_at(period.end)}
        assert at_end == closing


def test_the_page_shows_an_accounts_balances_at_the_end_of_a_day(finance_client, karin):
    response = finance_client.get(PAGE, {"on": "2026-03-05", "account": "910001"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Karin Nilsson (910001) at 2026-03-06 00:00" in html
    assert "<strong>SEK</strong>: 350.00" in html
    assert "ORD-910001" in html
    # The roll-forward of the month to that day closes with the same sum.
    assert "date_from=2026-03-01&amp;date_to=2026-03-05" in html
    assert "Lots then" in html


def test_the_page_reads_the_time_in_the_readers_day(finance_client, karin):
    before = finance_client.get(PAGE, {"on": "2026-03-10", "at": "13:59", "account": "910001"})
    after = finance_client.get(PAGE, {"on": "2026-03-10", "at": "14:01", "account": "910001"})
    assert "<strong>SEK</strong>: 350.00" in before.content.decode()
    assert "<strong>SEK</strong>: 230.00" in after.content.decode()


@pytest.mark.parametrize("wallets", [1, 30])
def test_the_page_costs_the_same_queries_whatever_the_unit_holds(
    finance_client, django_assert_max_num_queries, wallets
):
    for n in range(wallets):
        wallet = CreditWalletFactory()
        CreditEntryFactory(
            wallet=wallet, amount=Decimal("10"), created_at=local(2026, 3, 1 + n % 28)
        )
    # Five to serve any page, whether the ledger is partitioned twice (the wallets, the sums),
    # the wallets, the sums.
    with django_assert_max_num_queries(9):
        response = finance_client.get(PAGE, {"on": "2026-03-31", "currency": "SEK"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"on": "2026-03-32", "account": "910001"}, "On: Enter a valid date."),
        ({"account": "910001"}, "On: Give the day."),
        ({"on": "2026-03-05", "at": "25:00", "account": "910001"}, "At: Enter a valid time."),
        ({"on": "2026-03-05", "account": "999999"}, "No account has the customer number 999999."),
        ({"on": "2026-03-05"}, ACCOUNT_OR_UNIT),
        ({"on": "2026-03-05", "currency": "XYZ"}, "Unknown currency"),
        ({"on": "2026-03-05", "type": "token", "currency": "SEK"}, TOKENS_HAVE_NO_CURRENCY),
    ],
)
def test_the_form_refuses_bad_input_with_words(finance_client, karin, query, message):
    response = finance_client.get(PAGE, query)
    assert response.status_code == 200
    html = response.content.decode()
    assert message.split("{")[0].replace("'", "&#x27;") in html
    assert "Balance then" not in html


def test_a_moment_still_to_come_is_refused(finance_client, karin):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = finance_client.get(PAGE, {"on": tomorrow.isoformat(), "account": "910001"})
    assert MOMENT_IN_FUTURE in response.content.decode()
    today = finance_client.get(PAGE, {"on": timezone.localdate().isoformat(), "at": "00:00"})
    assert MOMENT_IN_FUTURE not in today.content.decode()


def test_the_page_without_a_question_shows_the_form_alone(finance_client):
    response = finance_client.get(PAGE)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="on"' in html
    assert "Balance then" not in html
    assert "Give the day." not in html
    assert CreditWallet.objects.count() == 0
