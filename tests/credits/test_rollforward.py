"""The credit liability roll-forward (/credits/balances/): opening balances from the running
balances, movements per activity, closing balances, checked against brute-force sums over
every entry; its drill-down, its CSV files, its form, and its query budget."""

import csv
import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.csvfiles import BOM
from credits import services
from credits.forms import DATE_OUT_OF_RANGE, TOKENS_HAVE_NO_CURRENCY
from credits.models import Activity, CreditBalancesExport, CreditEntry, CreditType
from credits.rollforward import MOVING, Period, credit_rollforward, wallet_rollforward
from tests.credits.conftest import SEK, TOKENS
from tests.credits.random_ledgers import periods, replay
from tests.factories import AccountFactory, CreditEntryFactory, CreditWalletFactory

pytestmark = pytest.mark.django_db

PAGE = reverse("credits:balances")
EXPORT = reverse("credits:balances-export")
MAY = Period(dt.date(2026, 5, 1), dt.date(2026, 5, 31))
PAGE_QUERY_BUDGET = (
    8  # five to serve any page (session, user, device, permissions with roles, approvals
    # count), three for the report (whether the ledger is partitioned by month, the balances,
    # the movements)
)
EUR = {"credit_type": CreditType.CURRENCY, "currency": "EUR"}


def utc(month, day, hour=12):
    return dt.datetime(2026, month, day, hour, tzinfo=dt.UTC)


def brute_force(period: Period) -> dict:
    """Per (type, currency): opening, movements per activity, closing, summed over every entry
    (a balance as of an instant is the sum of the amounts before it)."""
    lines: dict = defaultdict(lambda: [Decimal(0), defaultdict(Decimal), Decimal(0)])
    for entry in CreditEntry.objects.all():
        line = lines[(entry.credit_type, entry.currency)]
        if entry.created_at < period.start:
            line[0] += entry.amount
        if entry.created_at < period.end:
            line[2] += entry.amount
        if period.start <= entry.created_at < period.end and entry.amount:
            line[1][entry.activity] += entry.amount
    return {
        key: (opening, {a: m for a, m in moved.items() if m}, closing)
        for key, (opening, moved, closing) in lines.items()
    }


def report(period: Period, **unit) -> dict:
    return {
        (line.credit_type, line.currency): (
            line.opening,
            {a: m for a, m in line.movements.items() if m},
            line.closing,
        )
        for line in credit_rollforward(period, **unit)
    }


@pytest.fixture
def ledger(account, subscription):
    """Karin: SEK before and in May, emptied in May; tokens only in May; EUR after May. Olle:
    a wallet created in May. Nils: a wallet with entries, none near May."""
    services.credit_grant(actor=None, account=account, amount="100", created_at=utc(4, 2), **SEK)
    services.apply_credits(
        account=account, subscription=subscription, amount="30", transaction_id="B-1",
        created_at=utc(4, 30, 21), **SEK,  # 23:00 on 30 April in Stockholm: before May
    )  # fmt: skip
    services.credit_grant(actor=None, account=account, amount="5.25", created_at=utc(5, 3), **SEK)
    services.credit_refund(
        actor=None, account=account, amount="10", transaction_id="B-1", created_at=utc(5, 4),
        **SEK,
    )  # fmt: skip
    services.credit_revoke(
        actor=None, account=account, amount="85.25", created_at=utc(5, 31, 21), **SEK
    )
    services.credit_grant(
        actor=None, account=account, subscription=subscription, amount=12, created_at=utc(5, 5),
        **TOKENS,
    )  # fmt: skip
    services.apply_credits(
        account=account, subscription=subscription, amount=5, transaction_id="T-1",
        created_at=utc(5, 6), **TOKENS,
    )  # fmt: skip
    services.gift_card_redeem(
        actor=None, account=account, gift_card="GC •••• 0009", amount="50", currency="EUR",
        created_at=utc(6, 2),
    )  # fmt: skip
    olle = AccountFactory(name="Olle Berg", customer_number="700002")
    services.gift_card_redeem(
        actor=None, account=olle, gift_card="GC •••• 0001", amount="40", currency="SEK",
        created_at=utc(5, 10),
    )  # fmt: skip
    services.gift_card_reverse(
        actor=None, account=olle, gift_card="GC •••• 0001", amount="15", currency="SEK",
        created_at=utc(5, 11),
    )  # fmt: skip
    services.gift_card_status_inquiry(
        actor=None, account=olle, gift_card="GC •••• 0001", status="active", currency="SEK",
        created_at=utc(5, 12),
    )  # fmt: skip
    nils = AccountFactory(name="Nils Ek", customer_number="700003")
    services.credit_grant(actor=None, account=nils, amount="7", created_at=utc(1, 5), **SEK)
    return account, olle, nils


def test_the_roll_forward_of_a_hand_made_ledger(ledger):
    lines = {(line.credit_type, line.currency): line for line in credit_rollforward(MAY)}
    assert list(lines) == [("token", ""), ("currency", "EUR"), ("currency", "SEK")]
    sek = lines[("currency", "SEK")]
    # Karin 70 + Nils 7 before May; Olle's wallet opens in May; Karin's is emptied in May.
    assert sek.opening == Decimal("77")
    assert sek.movements == {
        Activity.GRANT: Decimal("5.25"),
        Activity.CONSUMPTION: Decimal(0),
        Activity.REFUND: Decimal("10"),
        Activity.REVOCATION: Decimal("-85.25"),
        Activity.GIFT_CARD_REDEMPTION: Decimal("40"),
        Activity.GIFT_CARD_REVERSAL: Decimal("-15"),
        Activity.EXPIRY: Decimal(0),
    }
    assert sek.closing == Decimal("32")  # Nils 7 + Olle 25
    tokens = lines[("token", "")]
    assert (tokens.opening, tokens.moved, tokens.closing) == (0, 7, 7)
    eur = lines[("currency", "EUR")]  # held only after May: a line of zeros
    assert (eur.opening, eur.moved, eur.closing) == (0, 0, 0)
    assert all(line.reconciles for line in lines.values())


@pytest.mark.parametrize(
    "period",
    [
        MAY,
        Period(dt.date(2026, 4, 30), dt.date(2026, 4, 30)),
        Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
        Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
        Period(dt.date(2026, 6, 1), dt.date(2026, 6, 30)),
    ],
)
def test_the_roll_forward_equals_brute_force_sums(ledger, period):
    assert report(period) == brute_force(period)


def test_type_and_currency_narrow_the_lines(ledger):
    assert list(report(MAY, credit_type="token")) == [("token", "")]
    assert list(report(MAY, credit_type="currency", currency="SEK")) == [("currency", "SEK")]
    assert report(MAY, credit_type="currency", currency="NOK") == {}


def test_the_drill_down_lists_the_wallets_that_held_or_moved_credit(ledger):
    karin, olle, nils = ledger
    wallets = list(wallet_rollforward(MAY, credit_type="currency", currency="SEK"))
    shown = {w.account.customer_number: (w.opening, w.moved, w.closing) for w in wallets}
    assert shown == {
        karin.customer_number: (Decimal(70), Decimal(-70), Decimal(0)),
        olle.customer_number: (Decimal(0), Decimal(25), Decimal(25)),
        nils.customer_number: (Decimal(7), Decimal(0), Decimal(7)),
    }
    # A wallet that held nothing and did not move is left out.
    assert not list(wallet_rollforward(MAY, credit_type="currency", currency="EUR"))


# --- Random ledgers, random periods --------------------------------------------------------

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("300"), places=2)
tokens = st.integers(min_value=1, max_value=40)
unit = st.sampled_from(["SEK", "EUR", "tokens"])
operations = st.tuples(
    st.sampled_from(["grant", "revoke", "consume", "refund", "redeem", "reverse", "inquire"]),
    money,
    tokens,
    unit,
    st.booleans(),  # the subscription's wallet
    st.integers(min_value=0, max_value=24 * 40),  # hours since the previous operation
)


def _run(op, account, subscription, step, when):
    kind, amount, count, code, own, _gap = op
    where = {"subscription": subscription if own else None, "created_at": when}
    units = TOKENS if code == "tokens" else {"credit_type": CreditType.CURRENCY, "currency": code}
    value = count if code == "tokens" else amount
    if kind == "grant":
        services.credit_grant(actor=None, account=account, amount=value, **where, **units)
    elif kind == "revoke":
        services.credit_revoke(actor=None, account=account, amount=value, **where, **units)
    elif kind == "consume":
        services.apply_credits(
            account=account, amount=value, transaction_id=f"TX-{step}", **where, **units
        )
    elif kind == "refund":
        last = CreditEntry.objects.filter(activity="consumption", **units).last()
        services.credit_refund(
            actor=None, account=account, amount=value,
            transaction_id=last.transaction_id if last else "TX-none", **where, **units,
        )  # fmt: skip
    else:
        card = {"gift_card": "GC •••• 0001", "currency": code if code != "tokens" else "SEK"}
        when_only = {"created_at": when}
        if kind == "redeem":
            services.gift_card_redeem(
                actor=None, account=account, amount=amount, **card, **when_only
            )
        elif kind == "reverse":
            services.gift_card_reverse(
                actor=None, account=account, amount=amount, **card, **when_only
            )
        else:
            services.gift_card_status_inquiry(
                actor=None, account=account, status="active", **card, **when_only
            )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(operations, min_size=1, max_size=25), st.lists(periods, min_size=1, max_size=3))
def test_random_ledgers_reconcile_in_any_period_and_equal_brute_force(
    account, subscription, sequence, chosen
):
    with transaction.atomic():
        replay(sequence, _run, account, subscription)
        for first, days in chosen:
            period = Period(first, first + dt.timedelta(days=days))
            lines = credit_rollforward(period)
            assert all(line.reconciles for line in lines), period
            assert report(period) == brute_force(period), period
        transaction.set_rollback(True)  # each example starts from an empty ledger


# --- The page ------------------------------------------------------------------------------


def test_the_page_shows_each_line_reconciled(finance_client, ledger):
    response = finance_client.get(f"{PAGE}?date_from=2026-05-01&date_to=2026-05-31")
    assert response.status_code == 200
    html = response.content.decode()
    assert "2026-05-01 to 2026-05-31" in html
    assert html.count('<span class="sr-only">Reconciles</span>') == 3
    assert "Does not reconcile" not in html
    assert 'href="/credits/balances/SEK/?date_from=2026-05-01&amp;date_to=2026-05-31"' in html
    assert ">-85.25<" in html and ">77.00<" in html and ">32.00<" in html


def test_the_page_defaults_to_this_month(finance_client, ledger):
    html = finance_client.get(PAGE).content.decode()
    today = timezone.localdate()
    assert f'value="{today.replace(day=1).isoformat()}"' in html
    assert 'aria-current="true" class="chosen">This month<' in html


def test_a_line_that_does_not_reconcile_is_shown_in_red_with_words(finance_client):
    wallet = CreditWalletFactory()
    CreditEntryFactory(wallet=wallet, amount=Decimal("100"), created_at=utc(6, 1))
    _out_of_order(wallet, seq=2, amount="20", balance_after="120", created_at=utc(5, 15))
    html = finance_client.get(f"{PAGE}?date_from=2026-05-01&date_to=2026-05-31").content.decode()
    assert '<span class="unreconciled">Does not reconcile: off by 100.00</span>' in html


def _out_of_order(wallet, *, seq, amount, balance_after, created_at):
    """An entry dated before its wallet's newest one, written past the services (which refuse
    it): its balances agree with its amounts, but not with time order."""
    CreditEntry.objects.create(
        wallet=wallet, account=wallet.account, credit_type=wallet.credit_type,
        currency=wallet.currency, seq=seq, activity=Activity.GRANT, amount=Decimal(amount),
        balance_after=Decimal(balance_after), actor_name="System", created_at=created_at,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=2026-13-01&date_to=2026-05-31", "From: Enter a valid date."),
        ("date_from=yesterday&date_to=2026-05-31", "From: Enter a valid date."),
        ("date_from=2026-05-31&date_to=2026-05-01", "To: The end date is before the start date."),
        ("date_from=0001-01-01&date_to=2026-05-01", f"From: {DATE_OUT_OF_RANGE}"),
        ("date_from=2026-05-01&date_to=9999-12-31", f"To: {DATE_OUT_OF_RANGE}"),
        ("date_from=2026-05-01&date_to=99999-12-31", "To: Enter a valid date."),
        # One end given with the other left empty on purpose (not left out): still named.
        ("date_from=&date_to=yesterday", "To: Enter a valid date."),
        ("date_from=2026-05-01&date_to=2026-05-31&currency=ZZZ", "Currency: Unknown currency"),
        ("date_from=2026-05-01&date_to=2026-05-31&currency=" + "x" * 300, "Currency:"),
        ("date_from=2026-05-01&date_to=2026-05-31&type=points", "Type: Select a valid choice"),
        (
            "date_from=2026-05-01&date_to=2026-05-31&type=token&currency=SEK",
            f"Currency: {TOKENS_HAVE_NO_CURRENCY}",
        ),
    ],
)
def test_bad_input_gets_a_clear_message_and_no_report(finance_client, ledger, query, message):
    response = finance_client.get(f"{PAGE}?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html.replace("&#x27;", "'").replace("&ldquo;", "“")
    assert "Download CSV" not in html
    csv_response = finance_client.get(f"{EXPORT}?{query}")
    assert csv_response.status_code == 302  # back to the page, which says why
    assert not CreditBalancesExport.objects.exists()


def test_a_lower_case_currency_is_accepted(finance_client, ledger):
    html = finance_client.get(f"{PAGE}?date_from=2026-05-01&date_to=2026-05-31&currency=sek")
    assert html.content.decode().count("Reconciles</span>") == 1


@pytest.mark.parametrize("wallets", [1, 30])
def test_the_page_costs_the_same_queries_whatever_the_ledger(
    finance_client, django_assert_max_num_queries, wallets
):
    for n in range(wallets):
        wallet = CreditWalletFactory(currency=["SEK", "EUR", "NOK"][n % 3])
        CreditEntryFactory(wallet=wallet, amount=Decimal("10"), created_at=utc(5, 1 + n % 28))
        CreditEntryFactory(wallet=wallet, amount=Decimal("5"), created_at=utc(6, 1 + n % 28))
    with django_assert_max_num_queries(PAGE_QUERY_BUDGET):
        assert (
            finance_client.get(f"{PAGE}?date_from=2026-05-01&date_to=2026-06-30").status_code == 200
        )
    # The unit's wallets and its line: two reports, each asking whether the ledger is
    # partitioned.
    with django_assert_max_num_queries(PAGE_QUERY_BUDGET + 2):
        unit = reverse("credits:balances-unit", args=["SEK"])
        assert (
            finance_client.get(f"{unit}?date_from=2026-05-01&date_to=2026-06-30").status_code == 200
        )


# --- The drill-down page -------------------------------------------------------------------


def test_the_drill_down_page_links_accounts_and_their_entries(finance_client, ledger):
    karin, olle, _nils = ledger
    url = reverse("credits:balances-unit", args=["SEK"])
    html = finance_client.get(f"{url}?date_from=2026-05-01&date_to=2026-05-31").content.decode()
    assert 'href="/accounts/700002/">Olle Berg</a>' in html
    wallet = olle.credit_wallets.get()
    assert (
        f'href="/credits/activity/?wallet={wallet.pk}&amp;created_from=2026-05-01&amp;'
        'created_to=2026-05-31"'
    ) in html
    assert "Opening balance 77.00 + movements -45.00 = closing balance 32.00" in html
    tokens = reverse("credits:balances-unit", args=["tokens"])
    html = finance_client.get(f"{tokens}?date_from=2026-05-01&date_to=2026-05-31").content.decode()
    assert 'href="/accounts/700001/#subscription-ORD-700001">ORD-700001</a>' in html


def test_the_drill_down_of_an_unknown_unit_is_a_404(finance_client):
    assert finance_client.get(reverse("credits:balances-unit", args=["ZZZ"])).status_code == 404
    assert finance_client.get(reverse("credits:balances-unit", args=["sek"])).status_code == 404


def test_the_entries_link_shows_exactly_the_wallets_entries_of_the_period(finance_client, ledger):
    karin, _olle, _nils = ledger
    wallet = karin.credit_wallets.get(credit_type="currency", currency="SEK")
    query = f"wallet={wallet.pk}&created_from=2026-05-01&created_to=2026-05-31"
    html = finance_client.get(f"{reverse('credits:activity')}?{query}").content.decode()
    listing = html.split('<table class="table">', 1)[1]
    assert listing.count("<tr ") == 3  # grant, refund, revocation (the header row is "<tr>")


# --- The CSV files -------------------------------------------------------------------------


def _download(client, url):
    response = client.get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert body.startswith(BOM)
    return response, list(csv.reader(io.StringIO(body[1:])))


def test_the_summary_csv_has_the_pages_lines_and_is_recorded(finance_client, finance, ledger):
    response, rows = _download(finance_client, f"{EXPORT}?date_from=2026-05-01&date_to=2026-05-31")
    assert response["Content-Disposition"].startswith('attachment; filename="credit-balances-')
    header, *lines = rows
    assert header[:2] == ["From (Europe/Stockholm)", "To (Europe/Stockholm)"]
    assert header[4 : 5 + len(MOVING)] == ["Opening balance", *[Activity(a).label for a in MOVING]]
    assert lines[0] == [
        "2026-05-01", "2026-05-31", "Token", "", "0", "12", "-5", "0", "0", "0", "0", "0", "7",
        "7", "yes",
    ]  # fmt: skip
    assert lines[2] == [
        "2026-05-01", "2026-05-31", "Currency", "SEK", "77.00", "5.25", "0.00", "10.00",
        "-85.25", "40.00", "-15.00", "0.00", "-45.00", "32.00", "yes",
    ]  # fmt: skip
    record = CreditBalancesExport.objects.get()
    assert record.actor == finance and record.row_count == 3
    assert record.filters == {"date_from": "2026-05-01", "date_to": "2026-05-31"}


def test_the_wallets_csv_streams_every_wallet_with_formula_safe_text(finance_client, ledger):
    _karin, olle, _nils = ledger
    olle.name = "=HYPERLINK(1)"
    olle.save()
    url = reverse("credits:balances-unit-export", args=["SEK"])
    _response, rows = _download(finance_client, f"{url}?date_from=2026-05-01&date_to=2026-05-31")
    header, *lines = rows
    assert header[0] == "From (Europe/Stockholm)" and header[-3:] == [
        "Opening balance", "Movements", "Closing balance",
    ]  # fmt: skip
    by_account = {line[3]: line for line in lines}
    assert by_account["700002"][4] == "'=HYPERLINK(1)"
    assert by_account["700001"][-3:] == ["70.00", "-70.00", "0.00"]  # a minus sign, not guarded
    assert len(lines) == 3
    record = CreditBalancesExport.objects.get()
    assert record.filters["unit"] == "SEK" and record.row_count == 3


@time_machine.travel(dt.datetime(2026, 6, 15, 12, tzinfo=dt.UTC), tick=False)
@pytest.mark.parametrize(
    ("query", "period"),
    [
        ({"date_from": "2026-05-01"}, ("2026-05-01", "2026-06-15")),  # to today
        ({"date_from": "2026-07-01"}, ("2026-07-01", "2026-07-01")),  # a day ahead: that day
        ({"date_to": "2026-05-20"}, ("2026-05-01", "2026-05-20")),  # from the 1st of its month
    ],
)
def test_a_period_with_one_end_fills_in_the_other_and_shows_the_table(
    finance_client, ledger, query, period
):
    response = finance_client.get(PAGE, query)

    assert response.status_code == 200
    shown = response.context["period"]
    assert (shown.first.isoformat(), shown.last.isoformat()) == period
    assert response.context["lines"] is not None
