"""Gift cards: redemptions, reversals and status inquiries, what they write, and every
refusal (with its message, nothing written)."""

from decimal import Decimal

import pytest

from credits import services
from credits.models import Activity
from tests.credits.conftest import SEK, grant
from tests.credits.services_helpers import refused

pytestmark = pytest.mark.django_db


# --- Gift cards -----------------------------------------------------------------------------

CARD = "GC •••• 4242"


def test_a_redeemed_gift_card_becomes_currency_credit_on_the_account(account, subscription):
    entry = services.gift_card_redeem(
        actor=None, account=account, gift_card=CARD, amount="250", currency="SEK"
    )
    assert (entry.activity, entry.gift_card, entry.balance_after) == (
        Activity.GIFT_CARD_REDEMPTION,
        CARD,
        Decimal("250"),
    )
    assert entry.wallet.subscription is None


def test_a_reversal_takes_back_at_most_what_the_card_added(account):
    services.gift_card_redeem(
        actor=None, account=account, gift_card=CARD, amount="250", currency="SEK"
    )
    grant(account, "100")
    entry = services.gift_card_reverse(
        actor=None, account=account, gift_card=CARD, amount="200", currency="SEK"
    )
    assert (entry.amount, entry.balance_after) == (Decimal("-200"), Decimal("150"))
    errors = refused(
        services.gift_card_reverse,
        actor=None,
        account=account,
        gift_card=CARD,
        amount="50.01",
        currency="SEK",
    )
    assert errors == {"amount": [f"At most 50.00 SEK of gift card {CARD} is left to reverse."]}


def test_a_reversal_larger_than_the_balance_is_refused(account):
    services.gift_card_redeem(
        actor=None, account=account, gift_card=CARD, amount="250", currency="SEK"
    )
    services.apply_credits(account=account, amount="200", transaction_id="TX-1", **SEK)
    errors = refused(
        services.gift_card_reverse,
        actor=None,
        account=account,
        gift_card=CARD,
        amount="250",
        currency="SEK",
    )
    assert errors == {
        "amount": ["Not enough credit: 250.00 SEK is more than the balance of 50.00 SEK."]
    }


def test_reversing_a_card_that_was_never_redeemed_is_refused(account):
    grant(account, "100")
    errors = refused(
        services.gift_card_reverse,
        actor=None,
        account=account,
        gift_card="GC •••• 0001",
        amount="1",
        currency="SEK",
    )
    assert errors == {
        "gift_card": ["Gift card GC •••• 0001 has no redeemed SEK credit to reverse."]
    }


@pytest.mark.parametrize("status", ["active", "deactive", "redemption_pending", "unknown"])
def test_a_status_inquiry_records_the_status_and_moves_nothing(account, status):
    grant(account, "40")
    entry = services.gift_card_status_inquiry(
        actor=None, account=account, gift_card=CARD, status=status, currency="SEK"
    )
    assert (entry.activity, entry.gift_card_status, entry.amount, entry.balance_after) == (
        Activity.GIFT_CARD_STATUS_INQUIRY,
        status,
        Decimal(0),
        Decimal("40"),
    )
    assert entry.seq == 2


def test_an_unknown_gift_card_status_is_refused(account):
    errors = refused(
        services.gift_card_status_inquiry,
        actor=None,
        account=account,
        gift_card=CARD,
        status="lost",
        currency="SEK",
    )
    assert list(errors) == ["gift_card_status"]


@pytest.mark.parametrize(
    ("card", "message"),
    [("", services.GIFT_CARD_REQUIRED), ("6011000990139424", services.GIFT_CARD_UNMASKED)],
)
def test_a_gift_card_must_be_named_and_masked(account, card, message):
    errors = refused(
        services.gift_card_redeem,
        actor=None,
        account=account,
        gift_card=card,
        amount="10",
        currency="SEK",
    )
    assert errors == {"gift_card": [message]}
