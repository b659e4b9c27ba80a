"""The journal for the books (/credits/journal/): the mapping is complete and posts each
movement to the liability on the right side, the lines of a hand-made ledger and their CSV,
closed periods only, the reconciliation with the roll-forward over random ledgers, the page's
query budget and the download's record."""

import csv
import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.csvfiles import BOM
from credits import checks, services
from credits.journal import (
    ACCOUNT,
    LIABILITY,
    PERIOD_NOT_CLOSED,
    POSTING,
    POSTINGS,
    SPLIT_BY_KIND,
    credit_journal,
    reconcile,
)
from credits.models import CreditBalancesExport, CreditEntry, CreditLot, CreditType, LotKind
from credits.operations import ACTIVITIES, ACTIVITY
from credits.rollforward import MOVING, Period, credit_rollforward
from tests.credits.conftest import SEK, TOKENS
from tests.credits.random_ledgers import periods, replay
from tests.factories import AccountFactory, CreditEntryFactory, CreditWalletFactory

pytestmark = pytest.mark.django_db

PAGE = reverse("credits:journal")
EXPORT = reverse("credits:journal-export")
MAY = Period(dt.date(2026, 5, 1), dt.date(2026, 5, 31))
MAY_QUERY = "date_from=2026-05-01&date_to=2026-05-31"
# Five to serve any page (session, user, device, permissions with roles, approvals count), two
# for the journal (the entries per activity, the grants' lots per kind) and three for the
# roll-forward it is reconciled with (whether the ledger is partitioned, balances, movements).
PAGE_QUERY_BUDGET = 10


def utc(month, day, hour=12):
    return dt.datetime(2026, month, day, hour, tzinfo=dt.UTC)


# --- The mapping ---------------------------------------------------------------------------


def test_every_moving_activity_of_the_registry_has_a_mapping():
    moving = [activity.code for activity in ACTIVITIES if activity.moves]
    assert moving, "the registry has moving activities"
    assert [code for code in moving if (code, "") not in POSTING] == []


def test_a_split_activity_has_a_mapping_for_every_lot_kind():
    assert SPLIT_BY_KIND == ("grant",)
    for activity in SPLIT_BY_KIND:
        assert {kind for (code, kind) in POSTING if code == activity} == {"", *LotKind.values}


def test_each_mapping_posts_to_the_liability_on_the_side_its_activity_moves_it():
    for posting in POSTINGS:
        assert (posting.debit == LIABILITY) != (posting.credit == LIABILITY), posting
        assert posting.debit in ACCOUNT and posting.credit in ACCOUNT, posting
        activity = ACTIVITY.get(posting.activity)
        if activity is not None:  # a mapping may name an activity before the registry does
            assert posting.adds == (activity.sign > 0), posting


def test_expired_credit_is_breakage_taken_from_the_liability():
    expiry = POSTING[("expiry", "")]
    assert (expiry.debit, expiry.credit) == (LIABILITY, "breakage")


def test_the_grants_are_split_by_their_lots_kind_and_kinds_are_goodwill_promotional_paid():
    assert {POSTING[("grant", kind)].debit for kind in LotKind.values} == {
        "goodwill_expense",
        "promotional_expense",
        "cash_clearing",
    }


# --- A hand-made ledger ----------------------------------------------------------------------


@pytest.fixture
def ledger(account, subscription):
    """Karin, in May: goodwill 100 and promotional 50 and paid 200 SEK, charges of 80 and 30
    (one of them refunded 20), a revocation of 10; before May a paid grant of 40; tokens and
    EUR too. Olle: a gift card redeemed (60 SEK) and partly reversed (15)."""
    grant = services.credit_grant
    grant(actor=None, account=account, amount="40", lot_kind="paid", created_at=utc(4, 2), **SEK)
    grant(
        actor=None, account=account, amount="100", lot_kind="goodwill", created_at=utc(5, 2), **SEK
    )
    grant(
        actor=None, account=account, amount="50", lot_kind="promotional", created_at=utc(5, 3),
        **SEK,
    )  # fmt: skip
    grant(actor=None, account=account, amount="200", lot_kind="paid", created_at=utc(5, 4), **SEK)
    services.apply_credits(
        account=account, subscription=subscription, amount="80", transaction_id="B-1",
        created_at=utc(5, 5), **SEK,
    )  # fmt: skip
    services.apply_credits(
        account=account, subscription=subscription, amount="30", transaction_id="B-2",
        created_at=utc(5, 6), **SEK,
    )  # fmt: skip
    services.credit_refund(
        actor=None, account=account, amount="20", transaction_id="B-1", created_at=utc(5, 7),
        **SEK,
    )  # fmt: skip
    services.credit_revoke(actor=None, account=account, amount="10", created_at=utc(5, 8), **SEK)
    grant(
        actor=None, account=account, amount=12, lot_kind="goodwill", created_at=utc(5, 9), **TOKENS
    )
    services.gift_card_redeem(
        actor=None, account=account, gift_card="GC •••• 0009", amount="25", currency="EUR",
        created_at=utc(5, 10),
    )  # fmt: skip
    olle = AccountFactory(name="Olle Berg", customer_number="700002")
    services.gift_card_redeem(
        actor=None, account=olle, gift_card="GC •••• 0001", amount="60", currency="SEK",
        created_at=utc(5, 10),
    )  # fmt: skip
    services.gift_card_reverse(
        actor=None, account=olle, gift_card="GC •••• 0001", amount="15", currency="SEK",
        created_at=utc(5, 11),
    )  # fmt: skip
    # After May: not in May's journal.
    grant(actor=None, account=account, amount="9", lot_kind="goodwill", created_at=utc(6, 1), **SEK)
    return account, olle


def _lines(period, **kwargs):
    return [
        (line.currency, line.debit_code, line.credit_code, line.amount, line.entries)
        for line in credit_journal(period, **kwargs)
    ]


def test_the_journal_of_a_hand_made_ledger(ledger):
    assert _lines(MAY) == [
        ("EUR", "2420", "2410", Decimal("25"), 1),  # gift card redeemed
        ("SEK", "1580", "2410", Decimal("200"), 1),  # paid grant
        ("SEK", "6920", "2410", Decimal("50"), 1),  # promotional
        ("SEK", "6910", "2410", Decimal("100"), 1),  # goodwill
        ("SEK", "2410", "3010", Decimal("110"), 2),  # charges paid by credit
        ("SEK", "3090", "2410", Decimal("20"), 1),  # refund
        ("SEK", "2410", "6930", Decimal("10"), 1),  # revocation
        ("SEK", "2420", "2410", Decimal("60"), 1),  # gift card redeemed
        ("SEK", "2410", "2420", Decimal("15"), 1),  # gift card reversed
    ]


def test_tokens_are_not_in_the_journal(ledger):
    assert {line.currency for line in credit_journal(MAY)} == {"EUR", "SEK"}
    assert "" not in {line.currency for line in credit_journal(MAY)}


def test_a_currency_narrows_the_journal(ledger):
    assert [line[0] for line in _lines(MAY, currency="EUR")] == ["EUR"]


def test_the_journals_net_to_the_liability_equals_the_roll_forwards_change(ledger):
    checks = {check.currency: check for check in reconcile(MAY, credit_journal(MAY))}
    sek = checks["SEK"]
    # 40 before May; in May +350 granted −110 charged +20 −10 +60 −15.
    assert (sek.opening, sek.closing, sek.journal_net) == (40, 335, 295)
    assert sek.reconciles and checks["EUR"].reconciles


# --- The CSV ---------------------------------------------------------------------------------


def _download(client, url):
    response = client.get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert body.startswith(BOM)
    return response, list(csv.reader(io.StringIO(body[1:])))


def test_the_csv_has_the_journals_lines_and_is_recorded(finance_client, finance, ledger):
    response, rows = _download(finance_client, f"{EXPORT}?{MAY_QUERY}")
    assert response["Content-Disposition"].startswith('attachment; filename="credit-journal-')
    header, *lines = rows
    assert header == [
        "From (Europe/Stockholm)", "To (Europe/Stockholm)", "Currency", "Debit account",
        "Debit account name", "Credit account", "Credit account name", "Amount", "Entries",
        "Movement", "Memo",
    ]  # fmt: skip
    period = ["2026-05-01", "2026-05-31"]
    liability = ["2410", "Customer credit liability"]
    one, two = "2026-05-01 to 2026-05-31 (1 entry)", "2026-05-01 to 2026-05-31 (2 entries)"
    assert lines == [
        [*period, "EUR", "2420", "Gift card liability", *liability, "25.00", "1",
         "Gift Card Redemption", f"Gift cards redeemed, {one}"],
        [*period, "SEK", "1580", "Cash and receivables clearing", *liability, "200.00", "1",
         "Grant (paid lots)", f"Paid credit granted, {one}"],
        [*period, "SEK", "6920", "Promotional credit expense", *liability, "50.00", "1",
         "Grant (promotional lots)", f"Promotional credit, {one}"],
        [*period, "SEK", "6910", "Goodwill credit expense", *liability, "100.00", "1",
         "Grant (goodwill lots)", f"Goodwill credit, {one}"],
        [*period, "SEK", *liability, "3010", "Revenue from charges paid by credit", "110.00",
         "2", "Consumption", f"Charges paid by credit, {two}"],
        [*period, "SEK", "3090", "Refunds of charges paid by credit", *liability, "20.00", "1",
         "Refund", f"Credit refunded to customers, {one}"],
        [*period, "SEK", *liability, "6930", "Revoked credit", "10.00", "1", "Revocation",
         f"Credit revoked, {one}"],
        [*period, "SEK", "2420", "Gift card liability", *liability, "60.00", "1",
         "Gift Card Redemption", f"Gift cards redeemed, {one}"],
        [*period, "SEK", *liability, "2420", "Gift card liability", "15.00", "1",
         "Gift Card Reversal", f"Gift card redemptions reversed, {one}"],
    ]  # fmt: skip
    record = CreditBalancesExport.objects.get()
    assert record.actor == finance and record.row_count == 9
    assert record.filters == {
        "date_from": "2026-05-01",
        "date_to": "2026-05-31",
        "report": "journal",
    }


def test_account_codes_come_from_the_setting(finance_client, ledger, settings):
    settings.JOURNAL_ACCOUNTS = {"credit_liability": "2411", "revenue": "=3011"}
    _response, rows = _download(finance_client, f"{EXPORT}?{MAY_QUERY}")
    consumption = next(row for row in rows if row[9] == "Consumption")
    # A code is text from the settings: guarded against formulas like any text cell.
    assert consumption[3:7] == ["2411", "Customer credit liability", "'=3011", consumption[6]]
    html = finance_client.get(f"{PAGE}?{MAY_QUERY}").content.decode()
    assert "2411" in html


@pytest.mark.parametrize(
    ("accounts", "ids"),
    [
        ({"credit_liability": "2411"}, []),
        ({"liability": "2410"}, ["credits.E011"]),
        ({"revenue": " "}, ["credits.E012"]),
        (["2410"], ["credits.E010"]),
    ],
)
def test_the_system_check_refuses_unknown_roles_and_empty_codes(settings, accounts, ids):
    settings.JOURNAL_ACCOUNTS = accounts
    assert [message.id for message in checks.journal_accounts()] == ids


# --- Closed periods and bad input -----------------------------------------------------------


def _refused(client, query, message):
    html = client.get(f"{PAGE}?{query}").content.decode()
    assert message in html.replace("&#x27;", "'"), html
    assert "Download CSV" not in html
    response = client.get(f"{EXPORT}?{query}")
    assert response.status_code == 302  # back to the page, which says why
    assert not CreditBalancesExport.objects.exists()


@pytest.mark.parametrize("ends", [0, 1, 40])
def test_a_period_that_has_not_ended_is_refused(finance_client, ledger, ends):
    today = timezone.localdate()
    last = today + dt.timedelta(days=ends)
    query = f"date_from={today.replace(day=1).isoformat()}&date_to={last.isoformat()}"
    _refused(finance_client, query, PERIOD_NOT_CLOSED.format(today=today.isoformat()))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=2026-13-01&date_to=2026-05-31", "From: Enter a valid date."),
        ("date_from=may&date_to=2026-05-31", "From: Enter a valid date."),
        ("date_from=2026-05-31&date_to=2026-05-01", "To: The end date is before the start date."),
        ("date_from=2026-05-01&date_to=2026-02-30", "To: Enter a valid date."),
        ("date_from=2026-05-01&date_to=", "To: Give the last day of the period."),
    ],
)
def test_bad_dates_are_refused_with_a_clear_message(finance_client, ledger, query, message):
    _refused(finance_client, query, message)


def test_the_page_defaults_to_last_month(finance_client):
    html = finance_client.get(PAGE).content.decode()
    last = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    assert f'value="{last.replace(day=1).isoformat()}"' in html
    assert f'value="{last.isoformat()}"' in html
    assert 'aria-current="true" class="chosen">Last month<' in html
    assert ">This month<" not in html  # not closed: not offered


# --- The page --------------------------------------------------------------------------------


def test_the_page_shows_the_lines_and_the_reconciliation(finance_client, ledger):
    response = finance_client.get(f"{PAGE}?{MAY_QUERY}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "2026-05-01 to 2026-05-31" in html
    assert "Tokens are not in the journal" in html
    assert ">Grant (goodwill lots)<" in html
    assert html.count('<span class="sr-only">Reconciles</span>') == 2  # EUR and SEK
    assert ">295.00<" in html  # SEK: the journal's net and the roll-forward's closing − opening
    assert f'href="{EXPORT}?date_from=2026-05-01&amp;date_to=2026-05-31"' in html


def test_credit_balances_links_to_the_journal(finance_client):
    html = finance_client.get(reverse("credits:balances")).content.decode()
    assert f'href="{PAGE}"' in html


@pytest.mark.parametrize("wallets", [1, 30])
def test_the_page_costs_the_same_queries_whatever_the_ledger(
    finance_client, django_assert_max_num_queries, wallets
):
    for n in range(wallets):
        wallet = CreditWalletFactory(currency=["SEK", "EUR", "NOK"][n % 3])
        CreditEntryFactory(wallet=wallet, amount=Decimal("10"), created_at=utc(5, 1 + n % 28))
        CreditEntryFactory(
            wallet=wallet,
            amount=Decimal("-5"),
            activity="consumption",
            transaction_id=f"B-{n}",
            created_at=utc(5, 1 + n % 28, 13),
        )
    with django_assert_max_num_queries(PAGE_QUERY_BUDGET):
        assert finance_client.get(f"{PAGE}?{MAY_QUERY}").status_code == 200


# --- Random ledgers: the journal reconciles with the roll-forward ---------------------------

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("300"), places=2)
operations = st.tuples(
    st.sampled_from(["goodwill", "promotional", "paid", "charge", "refund", "revoke", "redeem",
                     "reverse", "tokens"]),
    amounts,
    st.sampled_from(["SEK", "EUR"]),
    st.booleans(),  # the subscription's wallet
    st.integers(min_value=0, max_value=24 * 40),  # hours since the previous operation
)  # fmt: skip


def _run(op, account, subscription, step, when):
    kind, amount, code, own, _gap = op
    where = {"subscription": subscription if own else None, "created_at": when}
    unit = {"credit_type": CreditType.CURRENCY, "currency": code}
    if kind in LotKind.values:
        services.credit_grant(actor=None, account=account, amount=amount, lot_kind=kind,
                              **where, **unit)  # fmt: skip
    elif kind == "tokens":
        services.credit_grant(actor=None, account=account, amount=int(amount) + 1, **where,
                              **TOKENS)  # fmt: skip
    elif kind == "charge":
        services.apply_credits(
            account=account, amount=amount, transaction_id=f"TX-{step}", **where, **unit
        )
    elif kind == "refund":
        last = CreditEntry.objects.filter(activity="consumption", **unit).last()
        services.credit_refund(
            actor=None, account=account, amount=amount,
            transaction_id=last.transaction_id if last else "TX-none", **where, **unit,
        )  # fmt: skip
    elif kind == "revoke":
        services.credit_revoke(actor=None, account=account, amount=amount, **where, **unit)
    else:
        gift = services.gift_card_redeem if kind == "redeem" else services.gift_card_reverse
        gift(actor=None, account=account, amount=amount, gift_card="GC •••• 0001",
             currency=code, created_at=when)  # fmt: skip


def _grants_by_kind(period):
    """Brute force: each lot made by a grant of the period, by currency and kind."""
    sums: dict = defaultdict(Decimal)
    entries = CreditEntry.objects.in_bulk()
    for lot in CreditLot.objects.filter(entry__isnull=False):
        entry = entries[lot.entry_id]
        in_period = period.start <= entry.created_at < period.end
        if entry.activity == "grant" and in_period and entry.credit_type == CreditType.CURRENCY:
            sums[(entry.currency, lot.kind)] += entry.amount
    return dict(sums)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(operations, min_size=1, max_size=25), st.lists(periods, min_size=1, max_size=3))
def test_random_ledgers_journal_reconciles_with_the_roll_forward(
    account, subscription, sequence, chosen
):
    with transaction.atomic():
        replay(sequence, _run, account, subscription)
        for first, days in chosen:
            period = Period(first, first + dt.timedelta(days=days))
            lines = credit_journal(period)
            rollforward = {
                line.currency: line
                for line in credit_rollforward(period, credit_type=CreditType.CURRENCY)
            }
            net: dict = defaultdict(Decimal)
            moved: dict = defaultdict(Decimal)
            kinds: dict = defaultdict(Decimal)
            for line in lines:
                assert line.amount > 0 and line.entries > 0, line
                net[line.currency] += line.liability_change
                moved[(line.currency, line.activity)] += line.movement
                if line.activity == "grant":
                    kinds[(line.currency, line.lot_kind)] += line.amount
            for code, line in rollforward.items():
                # The liability's net change is the roll-forward's closing − opening ...
                assert net[code] == line.closing - line.opening, (period, code)
                # ... and each activity's lines are its movement.
                for activity in MOVING:
                    assert moved[(code, activity)] == line.movements[activity], (period, code)
            assert set(net) <= set(rollforward)
            assert dict(kinds) == _grants_by_kind(period), period
            assert all(check.reconciles for check in reconcile(period, lines)), period
        transaction.set_rollback(True)  # each example starts from an empty ledger
