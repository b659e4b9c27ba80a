"""The database backs the ledger's rules on its own, whatever code writes to it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.utils import DatabaseError

from credits.models import Activity, CreditEntry, CreditType, CreditWallet, GiftCardStatus
from tests.factories import CreditEntryFactory, CreditWalletFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

REFUSED = "Cannot update or delete rows from credits_creditentry"


def _raw_entry(wallet, **fields):
    """An entry inserted directly, bypassing the services (what a buggy writer would do)."""
    values = {
        "wallet": wallet,
        "account": wallet.account,
        "credit_type": wallet.credit_type,
        "currency": wallet.currency,
        "seq": wallet.last_seq + 1,
        "activity": Activity.GRANT,
        "amount": Decimal("10"),
        "balance_after": wallet.balance + Decimal("10"),
        "actor_name": "System",
        "created_at": dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
    }
    values.update(fields)
    with transaction.atomic():
        return CreditEntry.objects.create(**values)


@pytest.mark.parametrize(
    ("activity", "amount"),
    [
        (Activity.GRANT, "-5"),
        (Activity.GRANT, "0"),
        (Activity.REFUND, "-5"),
        (Activity.GIFT_CARD_REDEMPTION, "0"),
        (Activity.CONSUMPTION, "5"),
        (Activity.REVOCATION, "0"),
        (Activity.GIFT_CARD_REVERSAL, "5"),
    ],
)
def test_an_amount_of_the_wrong_sign_for_its_activity_is_refused(activity, amount):
    wallet = CreditWalletFactory()
    extra = {"gift_card": "GC •••• 1"} if "gift_card" in activity else {}
    with pytest.raises(IntegrityError, match="credit_entry_sign_matches_activity"):
        _raw_entry(wallet, activity=activity, amount=Decimal(amount), **extra)


def test_a_status_inquiry_that_moves_credit_is_refused():
    wallet = CreditWalletFactory()
    with pytest.raises(IntegrityError, match="credit_entry_sign_matches_activity"):
        _raw_entry(
            wallet,
            activity=Activity.GIFT_CARD_STATUS_INQUIRY,
            gift_card="GC •••• 1",
            gift_card_status=GiftCardStatus.ACTIVE,
            amount=Decimal("1"),
        )


def test_a_gift_card_status_outside_an_inquiry_is_refused():
    wallet = CreditWalletFactory()
    with pytest.raises(IntegrityError, match="credit_entry_status_only_on_inquiry"):
        _raw_entry(wallet, gift_card_status=GiftCardStatus.ACTIVE)


def test_an_inquiry_without_a_status_is_refused():
    wallet = CreditWalletFactory()
    with pytest.raises(IntegrityError, match="credit_entry_status_only_on_inquiry"):
        _raw_entry(
            wallet,
            activity=Activity.GIFT_CARD_STATUS_INQUIRY,
            gift_card="GC •••• 1",
            amount=Decimal(0),
            balance_after=Decimal(0),
        )


def test_a_negative_balance_after_is_refused():
    wallet = CreditWalletFactory()
    with pytest.raises(IntegrityError, match="credit_entry_balance_after_gte_0"):
        _raw_entry(
            wallet, activity=Activity.CONSUMPTION, amount=Decimal("-5"), balance_after=Decimal(-5)
        )


def test_a_negative_wallet_balance_is_refused():
    wallet = CreditWalletFactory()
    wallet.balance = Decimal("-0.01")
    # The columns that changed (a Citus cluster refuses an UPDATE naming the account, by
    # which the wallets are distributed, even to the same value).
    with pytest.raises(IntegrityError, match="credit_wallet_balance_gte_0"), transaction.atomic():
        wallet.save(update_fields=["balance"])


def test_two_entries_with_one_seq_in_a_wallet_are_refused():
    entry = CreditEntryFactory()
    with pytest.raises(IntegrityError, match="credit_entry_seq_per_wallet"):
        _raw_entry(entry.wallet, seq=entry.seq, balance_after=Decimal("110"))


def test_token_amounts_must_be_whole():
    wallet = CreditWalletFactory(credit_type=CreditType.TOKEN, currency="")
    with pytest.raises(IntegrityError, match="credit_entry_whole_tokens"):
        _raw_entry(wallet, amount=Decimal("1.5"), balance_after=Decimal("1.5"))


def test_a_token_wallet_has_no_currency_and_a_currency_wallet_has_one():
    with (
        pytest.raises(IntegrityError, match="credit_wallet_currency_matches_type"),
        transaction.atomic(),
    ):
        CreditWalletFactory(credit_type=CreditType.TOKEN, currency="SEK")
    with (
        pytest.raises(IntegrityError, match="credit_wallet_currency_matches_type"),
        transaction.atomic(),
    ):
        CreditWalletFactory(credit_type=CreditType.CURRENCY, currency="")


def test_an_account_has_one_wallet_per_unit_even_without_a_subscription():
    wallet = CreditWalletFactory()
    with (
        pytest.raises(IntegrityError, match="credit_wallet_one_per_account_unit"),
        transaction.atomic(),
    ):
        CreditWalletFactory(account=wallet.account)
    CreditWalletFactory(account=wallet.account, currency="EUR")  # another unit is fine


def test_a_subscription_has_one_wallet_per_unit_beside_the_account_wallet():
    wallet = CreditWalletFactory()
    subscription = SubscriptionFactory(account=wallet.account)
    CreditWalletFactory(account=wallet.account, subscription=subscription)
    with (
        pytest.raises(IntegrityError, match="credit_wallet_one_per_subscription_unit"),
        transaction.atomic(),
    ):
        CreditWalletFactory(account=wallet.account, subscription=subscription)
    assert CreditWallet.objects.filter(account=wallet.account).count() == 2


def test_the_database_refuses_to_change_an_entry():
    entry = CreditEntryFactory()
    entry.note = "edited"
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        entry.save(update_fields=["note"])
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        CreditEntry.objects.filter(pk=entry.pk).update(amount=Decimal("1"))
    entry.refresh_from_db()
    assert (entry.note, entry.amount) == ("", Decimal("100"))


def test_the_database_refuses_to_delete_an_entry():
    entry = CreditEntryFactory()
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        CreditEntry.objects.filter(pk=entry.pk).delete()
    assert CreditEntry.objects.filter(pk=entry.pk).exists()


def test_the_factory_appends_like_the_services():
    wallet = CreditWalletFactory()
    CreditEntryFactory(wallet=wallet, amount=Decimal("30"))
    last = CreditEntryFactory(wallet=wallet, activity=Activity.CONSUMPTION, amount=Decimal("-12"))
    wallet.refresh_from_db()
    assert (last.seq, last.balance_after, wallet.balance, wallet.last_seq) == (
        2,
        Decimal("18"),
        Decimal("18"),
        2,
    )
