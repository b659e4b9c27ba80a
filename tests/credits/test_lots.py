"""Lots: each grant path makes one, draw-downs take from them in the published order and say
so, refunds go back where they came from, bad input changes nothing, and verify_ledger proves
that every balance is its lots'."""

import datetime as dt
import importlib
import re
from decimal import Decimal

import pgtrigger
import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from config import roles
from credits import services
from credits.models import CreditAllocation, CreditEntry, CreditLot, CreditWallet, LotKind
from credits.services.lots import LOTS_SHORT
from credits.services.validation import EXPIRY_IN_PAST, UNKNOWN_LOT_KIND
from tests.credits.conftest import SEK, grant
from tests.credits.ledger_checks import assert_ledger_consistent
from tests.credits.test_account_credit_panel import confirm

pytestmark = pytest.mark.django_db


def in_days(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def lots_of(account) -> list[CreditLot]:
    return list(CreditLot.objects.filter(account=account).order_by("pk"))


def shares(entry) -> list[tuple[int, Decimal]]:
    """(lot, amount) of each allocation of an entry, in the order they were written."""
    return list(
        CreditAllocation.objects.filter(entry=entry).order_by("pk").values_list("lot", "amount")
    )


# --- Each grant path makes a lot ----------------------------------------------------------


def test_a_persons_grant_from_the_account_page_is_a_goodwill_lot_with_its_expiry(
    finance_client, account, subscription
):
    response = finance_client.post(
        reverse("credits:grant", args=[account.customer_number]),
        {
            "grant-credit_type": "currency",
            "grant-currency": "SEK",
            "grant-amount": "120",
            "grant-expires_on": in_days(40).isoformat(),
            "grant-note": "Missed delivery",
        },
        follow=True,
    )
    assert "Credit granted." in response.content.decode()
    (lot,) = lots_of(account)
    entry = CreditEntry.objects.get()
    assert (lot.kind, lot.expires_on, lot.amount, lot.remaining, lot.entry) == (
        LotKind.GOODWILL,
        in_days(40),
        Decimal("120"),
        Decimal("120"),
        entry,
    )
    assert lot.wallet == entry.wallet and lot.account == account


def test_a_person_may_choose_the_kind_on_the_account_page(finance_client, account, subscription):
    finance_client.post(
        reverse("credits:grant", args=[account.customer_number]),
        {
            "grant-credit_type": "currency",
            "grant-currency": "SEK",
            "grant-amount": "50",
            "grant-lot_kind": "paid",
            "grant-note": "Prepaid by phone",
        },
    )
    (lot,) = lots_of(account)
    assert (lot.kind, lot.expires_on) == (LotKind.PAID, None)


@pytest.mark.parametrize(
    ("transaction_id", "lot_kind", "expected"),
    [
        ("PUR-1", None, LotKind.PAID),  # a product bought with credit in it
        ("", None, LotKind.PROMOTIONAL),  # credit the system gives away
        ("", "paid", LotKind.PAID),
        ("PUR-2", "promotional", LotKind.PROMOTIONAL),
    ],
)
def test_a_system_grant_is_paid_or_promotional(account, transaction_id, lot_kind, expected):
    grant(account, "30", transaction_id=transaction_id, lot_kind=lot_kind)
    (lot,) = lots_of(account)
    assert lot.kind == expected


def test_a_gift_card_redemption_is_a_paid_lot_without_expiry(account):
    entry = services.gift_card_redeem(
        actor=None, account=account, gift_card="•••• 7781", amount="250", currency="SEK"
    )
    (lot,) = lots_of(account)
    assert (lot.kind, lot.expires_on, lot.remaining, lot.entry) == (
        LotKind.PAID,
        None,
        Decimal("250"),
        entry,
    )


def test_an_approved_grant_keeps_the_kind_and_expiry_it_was_asked_for(account, agent, approver):
    submitted = services.credit_request(
        actor=agent,
        operation="grant",
        account=account,
        amount="600",  # over Customer Service's limit of 500
        note="Long outage",
        lot_kind="promotional",
        expires_on=in_days(10),
        **SEK,
    )
    assert submitted.waiting and not lots_of(account)
    services.approval_approve(actor=approver, approval=submitted.approval)
    (lot,) = lots_of(account)
    assert (lot.kind, lot.expires_on, lot.amount) == (
        LotKind.PROMOTIONAL,
        in_days(10),
        Decimal("600"),
    )


def test_an_approver_sees_the_kind_and_expiry_of_a_waiting_grant(client, account, agent, approver):
    submitted = services.credit_request(
        actor=agent, operation="grant", account=account, amount="600", note="Outage", **SEK
    )
    client.force_login(approver)
    html = client.get(reverse("credits:approval", args=[submitted.approval.pk])).content.decode()
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    # A person's grant is goodwill unless they said otherwise; it does not expire.
    assert "Kind of credit Goodwill Expires on Never" in text
    services.approval_approve(actor=approver, approval=submitted.approval)
    assert lots_of(account)[0].kind == LotKind.GOODWILL


# --- Bad input ----------------------------------------------------------------------------


def test_an_expiry_in_the_past_is_refused_by_name_and_writes_nothing(account):
    with pytest.raises(ValidationError) as refused:
        grant(account, "30", expires_on=in_days(-1))
    assert refused.value.message_dict == {"expires_on": [EXPIRY_IN_PAST]}
    assert not CreditEntry.objects.exists() and not CreditLot.objects.exists()


def test_an_expiry_of_today_is_taken(account):
    grant(account, "30", expires_on=in_days(0))
    assert lots_of(account)[0].expires_on == timezone.localdate()


def test_an_unknown_kind_is_refused_by_name(account):
    with pytest.raises(ValidationError) as refused:
        grant(account, "30", lot_kind="free")
    assert refused.value.message_dict == {"lot_kind": [UNKNOWN_LOT_KIND.format("free")]}
    assert not CreditEntry.objects.exists()


def test_the_account_page_says_an_expiry_in_the_past_is_refused(
    finance_client, account, subscription
):
    response = finance_client.post(
        reverse("credits:grant", args=[account.customer_number]),
        {
            "grant-credit_type": "currency",
            "grant-currency": "SEK",
            "grant-amount": "120",
            "grant-expires_on": in_days(-3).isoformat(),
            "grant-note": "Missed delivery",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert f"Grant failed: {EXPIRY_IN_PAST}" in response.content.decode()
    assert not CreditEntry.objects.exists() and not CreditLot.objects.exists()


def test_a_draw_down_larger_than_the_lots_is_refused_and_changes_nothing(account):
    grant(account, "40", lot_kind="promotional", expires_on=in_days(5))
    grant(account, "60")
    with pytest.raises(ValidationError) as refused:
        services.credit_revoke(actor=None, account=account, amount="100.01", **SEK)
    assert "Not enough credit: 100.01 SEK is more than the balance of 100.00 SEK." in str(
        refused.value
    )
    assert [lot.remaining for lot in lots_of(account)] == [Decimal("40"), Decimal("60")]
    assert CreditEntry.objects.count() == 2 and not CreditAllocation.objects.exists()


def test_lots_that_hold_less_than_the_balance_refuse_a_draw_down(account):
    """A wallet whose lots were changed past the services (verify_ledger reports it) is not
    drawn from beyond what they hold."""
    grant(account, "100")
    CreditLot.objects.filter(account=account).update(remaining=Decimal("30"))
    before = CreditEntry.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.apply_credits(account=account, amount="50", transaction_id="T-1", **SEK)
    assert refused.value.message_dict["amount"] == [
        LOTS_SHORT.format(asked="50.00 SEK", held="30.00 SEK")
    ]
    assert CreditEntry.objects.count() == before
    assert CreditWallet.objects.get(account=account).balance == Decimal("100")


def test_a_revocation_over_the_lots_from_the_page_is_a_message_not_a_500(finance_client, account):
    wallet = grant(account, "50").wallet
    response, _ = confirm(
        finance_client,
        reverse("credits:revoke", args=[account.customer_number]),
        {"revoke-wallet": str(wallet.pk), "revoke-amount": "80"},
        "Granted twice",
    )
    assert response.status_code == 200
    assert "Not enough credit: 80.00 SEK is more than the balance of 50.00 SEK." in (
        response.content.decode()
    )
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("50") and lots_of(account)[0].remaining == Decimal("50")
    assert not CreditAllocation.objects.exists()


# --- The order, and refunds ----------------------------------------------------------------


def test_a_charge_takes_the_soonest_expiry_first_and_promotional_before_paid(account):
    paid_soon = grant(account, "10", lot_kind="paid", expires_on=in_days(3)).wallet
    grant(account, "10", lot_kind="paid")  # never expires: last
    grant(account, "10", lot_kind="promotional", expires_on=in_days(3))
    grant(account, "10", lot_kind="goodwill", expires_on=in_days(1))
    paid_soon_lot, never, promo, goodwill = lots_of(account)

    application = services.apply_credits(
        account=account, amount="35", transaction_id="BILL-1", **SEK
    )

    (entry,) = application.entries
    assert shares(entry) == [
        (goodwill.pk, Decimal("-10")),  # expires first
        (promo.pk, Decimal("-10")),  # same day as the paid lot: promotional first
        (paid_soon_lot.pk, Decimal("-10")),
        (never.pk, Decimal("-5")),
    ]
    assert CreditWallet.objects.get(pk=paid_soon.pk).balance == Decimal("5")
    assert_ledger_consistent()


def test_at_equal_expiry_and_kind_the_oldest_lot_goes_first(account):
    grant(account, "10", lot_kind="goodwill")
    grant(account, "10", lot_kind="promotional")
    older, newer = lots_of(account)
    entry = services.credit_revoke(actor=None, account=account, amount="15", **SEK)
    assert shares(entry) == [(older.pk, Decimal("-10")), (newer.pk, Decimal("-5"))]


def test_a_refund_goes_back_to_the_lots_it_came_from_newest_allocation_first(account):
    grant(account, "30", lot_kind="promotional", expires_on=in_days(5))
    grant(account, "100", lot_kind="paid")
    promo, paid = lots_of(account)
    services.apply_credits(account=account, amount="50", transaction_id="BILL-7", **SEK)
    services.apply_credits(account=account, amount="20", transaction_id="BILL-8", **SEK)

    first = services.credit_refund(
        actor=None, account=account, amount="10", transaction_id="BILL-7", **SEK
    )
    assert shares(first) == [(paid.pk, Decimal("10"))]  # BILL-7 took from the paid lot last
    second = services.credit_refund(
        actor=None, account=account, amount="25", transaction_id="BILL-7", **SEK
    )
    assert shares(second) == [(paid.pk, Decimal("10")), (promo.pk, Decimal("15"))]
    promo.refresh_from_db()
    paid.refresh_from_db()
    # 30 - 30 + 15 and 100 - 20 - 20 + 20: BILL-8's 20 stays taken from the paid lot.
    assert (promo.remaining, paid.remaining) == (Decimal("15"), Decimal("80"))
    assert_ledger_consistent()


def test_a_refund_of_credit_consumed_before_lots_were_kept_makes_a_paid_lot(account):
    services.gift_card_redeem(
        actor=None, account=account, gift_card="•••• 1111", amount="50", currency="SEK"
    )
    entry = services.apply_credits(account=account, amount="20", transaction_id="OLD", **SEK)
    # As if consumed before lots: the consumption's allocation was never written.
    ignored = ("credits.CreditAllocation:append_only", "credits.CreditLot:lot_written_once")
    with pgtrigger.ignore(*ignored), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM credits_creditallocation WHERE entry_id = %s", [entry.entries[0].pk]
        )
        cursor.execute(
            "UPDATE credits_creditlot SET remaining = 30, amount = 30 WHERE account_id = %s",
            [account.pk],
        )
    refund = services.credit_refund(
        actor=None, account=account, amount="20", transaction_id="OLD", **SEK
    )
    lot = CreditLot.objects.get(entry=refund)
    assert (lot.kind, lot.expires_on, lot.remaining) == (LotKind.PAID, None, Decimal("20"))


# --- verify_ledger and the migration --------------------------------------------------------


def test_verify_ledger_names_a_lot_whose_remaining_amount_was_changed(account, capsys):
    grant(account, "100")
    services.apply_credits(account=account, amount="30", transaction_id="T-1", **SEK)
    call_command("verify_ledger")
    lot = lots_of(account)[0]
    CreditLot.objects.filter(pk=lot.pk).update(remaining=Decimal("90"))

    with pytest.raises(CommandError, match="1 of 1 wallets drifted"):
        call_command("verify_ledger")
    out = capsys.readouterr().out
    assert "balance 70.0000 but its lots hold 90.0000" in out
    assert f"lot {lot.pk} has 90.0000 left but its amount and allocations give 70.0000" in out


def test_the_database_keeps_what_a_lot_was(account):
    grant(account, "100", expires_on=in_days(9))
    lot = lots_of(account)[0]
    with pytest.raises(DatabaseError), transaction.atomic():
        CreditLot.objects.filter(pk=lot.pk).update(expires_on=in_days(90))
    with pytest.raises(DatabaseError), transaction.atomic():
        CreditLot.objects.filter(pk=lot.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        CreditLot.objects.filter(pk=lot.pk).update(remaining=Decimal("-1"))


def test_the_migration_gives_a_balance_older_than_lots_an_opening_lot(account, capsys):
    wallet = grant(account, "80").wallet
    services.apply_credits(account=account, amount="30", transaction_id="T-1", **SEK)
    # The wallet as it was before lots: no lot and no allocation.
    ignored = ("credits.CreditLot:no_delete", "credits.CreditAllocation:append_only")
    with pgtrigger.ignore(*ignored), connection.cursor() as cursor:
        cursor.execute("DELETE FROM credits_creditallocation")
        cursor.execute("DELETE FROM credits_creditlot")
    with pytest.raises(CommandError):
        call_command("verify_ledger")

    migration = importlib.import_module("credits.migrations.0018_credit_opening_lots")
    migration.open_a_lot_per_balance(apps, None)

    (lot,) = lots_of(account)
    assert (lot.wallet_id, lot.kind, lot.expires_on, lot.amount, lot.remaining) == (
        wallet.pk,
        LotKind.PAID,
        None,
        Decimal("50"),
        Decimal("50"),
    )
    call_command("verify_ledger")
    assert "every balance is its lots'" in capsys.readouterr().out


# --- The pages ----------------------------------------------------------------------------


def test_credit_activity_says_which_lots_paid(finance_client, account):
    grant(account, "120", actor=None, lot_kind="goodwill")
    grant(account, "100", lot_kind="paid")
    services.apply_credits(account=account, amount="150", transaction_id="BILL-1", **SEK)
    day = timezone.localdate().isoformat()

    html = finance_client.get(reverse("credits:activity")).content.decode()

    assert f"paid from: goodwill lot of {day}, 120.00 SEK; paid lot of {day}, 30.00 SEK" in html


def test_the_account_page_lists_open_lots_and_says_which_lots_paid(service_client, account):
    grant(account, "120", lot_kind="goodwill", expires_on=in_days(200))
    grant(account, "40", lot_kind="promotional")
    services.apply_credits(account=account, amount="50", transaction_id="BILL-2", **SEK)
    day = timezone.localdate().isoformat()

    html = service_client.get(account.get_absolute_url()).content.decode()

    lots = html.split('class="table credit-lots"', 1)[1].split("</table>", 1)[0]
    rows = [
        re.sub(r"<[^>]+>|\s+", " ", row).split() for row in re.findall(r"<tr>.*?</tr>", lots, re.S)
    ]
    # In draw-down order: the goodwill lot expires (so it went first), the promotional never.
    assert rows[1][:8] == ["Account", "goodwill", "lot", "of", day, "Goodwill", "120.00", "70.00"]
    assert rows[1][-1] == in_days(200).isoformat()
    assert rows[2][1:8] == ["promotional", "lot", "of", day, "Promotional", "40.00", "40.00"]
    assert rows[2][-1] == "Never"
    assert f"paid from: goodwill lot of {day}, 50.00 SEK" in html
    assert "credit-expiry-warning" not in html  # nothing expires within 30 days


def test_the_account_page_warns_of_credit_that_expires_within_30_days(service_client, account):
    grant(account, "75", lot_kind="promotional", expires_on=in_days(30))
    grant(account, "20", lot_kind="promotional", expires_on=in_days(31))

    html = service_client.get(account.get_absolute_url()).content.decode()

    warning = html.split('id="credit-expiry-warning"', 1)[1].split("</div>", 1)[0]
    assert "Credit expires within 30 days" in warning
    assert f"expires on {in_days(30).isoformat()}" in warning
    assert in_days(31).isoformat() not in warning


@pytest.mark.parametrize("size", [1, 12])
def test_the_account_page_costs_the_same_with_few_or_many_lots(
    service_client, account, django_assert_max_num_queries, size
):
    for n in range(size):
        grant(account, "10", lot_kind="promotional", expires_on=in_days(n))
        services.apply_credits(account=account, amount="5", transaction_id=f"B-{n}", **SEK)
    # The account page's budget (tests/accounts/test_account_page.py): 16, and one more for
    # the allocations of the credit history's entries (the header and the panel share one read
    # of the wallets, and their open lots are one more).
    with django_assert_max_num_queries(17):
        assert service_client.get(account.get_absolute_url()).status_code == 200


def test_a_transactions_page_says_which_lots_paid(finance_client, account):
    grant(account, "20", lot_kind="promotional")
    services.apply_credits(account=account, amount="5", transaction_id="BILL-9", **SEK)
    html = finance_client.get(reverse("credits:transaction", args=["BILL-9"])).content.decode()
    assert f"paid from: promotional lot of {timezone.localdate().isoformat()}, 5.00 SEK" in html


def test_sales_agents_read_the_lots_too(client, make_user, account):
    client.force_login(make_user(roles.SALES_AGENT))
    grant(account, "20", lot_kind="promotional", expires_on=in_days(3))
    html = client.get(account.get_absolute_url()).content.decode()
    assert "credit-lots" in html and "credit-expiry-warning" in html
