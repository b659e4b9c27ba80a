"""Every credit service: what it writes, and every refusal (with its message, nothing written)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from activity.models import ActivityEvent
from core.actors import Actor
from core.errors import KEY_REUSED
from credits import services
from credits.models import Activity, CreditEntry, CreditOperation, CreditType, CreditWallet
from tests.credits.conftest import SEK, TOKENS, grant
from tests.factories import (
    AccountFactory,
    PaymentMethodFactory,
    ProductFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db


def refused(call, **kwargs) -> dict:
    """Run a service that must refuse; return its messages and check nothing was written."""
    before = (
        CreditEntry.objects.count(),
        CreditWallet.objects.count(),
        ActivityEvent.objects.count(),
        CreditOperation.objects.count(),
        list(CreditWallet.objects.values_list("balance", "last_seq")),
    )
    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    after = (
        CreditEntry.objects.count(),
        CreditWallet.objects.count(),
        ActivityEvent.objects.count(),
        CreditOperation.objects.count(),
        list(CreditWallet.objects.values_list("balance", "last_seq")),
    )
    assert after == before, "a refused operation wrote something"
    return caught.value.message_dict


# --- Grants ---------------------------------------------------------------------------------


def test_a_first_grant_opens_the_wallet_and_its_amount_is_the_balance(account):
    entry = grant(account, "120.50", note="Welcome")
    wallet = entry.wallet
    assert (entry.activity, entry.amount, entry.balance_after, entry.seq) == (
        Activity.GRANT,
        Decimal("120.50"),
        Decimal("120.50"),
        1,
    )
    assert (wallet.balance, wallet.last_seq, wallet.subscription) == (Decimal("120.50"), 1, None)
    assert entry.actor_name == "System"


def test_grants_number_their_entries_and_keep_a_running_balance(account):
    entries = [grant(account, amount) for amount in ("10", "20.25", "5")]
    assert [(e.seq, e.balance_after) for e in entries] == [
        (1, Decimal("10")),
        (2, Decimal("30.25")),
        (3, Decimal("35.25")),
    ]


def test_a_grant_by_a_person_records_manual_credit_added_with_the_reason(account, finance):
    entry = grant(account, "50", actor=finance, note="Missed delivery")
    event = ActivityEvent.objects.get(type="manual_credit_added")
    assert event.data == {
        "amount": {"amount": "50.00", "currency": "SEK"},
        "account_id": account.customer_number,
        "reason": "Missed delivery",
    }
    assert (event.actor, event.occurred_at) == (finance, entry.created_at)
    assert (entry.actor, entry.actor_name, entry.note) == (finance, "Maja Ek", "Missed delivery")


def test_a_token_grant_by_a_person_records_whole_tokens(account, finance):
    grant(account, 25, actor=finance, note="Article pack", **TOKENS)
    event = ActivityEvent.objects.get(type="manual_credit_added")
    assert event.data["tokens"] == 25
    assert "amount" not in event.data


def test_a_system_grant_records_no_manual_event(account):
    grant(account, "10", actor=Actor.integration("Web shop"))
    assert not ActivityEvent.objects.filter(type="manual_credit_added").exists()
    assert CreditEntry.objects.get().actor_name == "Web shop"


def test_a_subscription_grant_goes_to_the_subscription_wallet(account, subscription):
    entry = grant(account, "149", subscription=subscription)
    assert entry.wallet.subscription == subscription
    assert entry.subscription == subscription
    grant(account, "5")
    assert CreditWallet.objects.filter(account=account).count() == 2


def test_a_zero_grant_is_refused(account):
    errors = refused(grant, account=account, amount="0")
    assert errors == {"amount": [services.AMOUNT_ZERO]}


def test_a_negative_grant_is_refused_as_the_wrong_sign(account):
    errors = refused(grant, account=account, amount="-10")
    assert errors == {"amount": [services.AMOUNT_NEGATIVE]}


@pytest.mark.parametrize("amount", ["abc", "", "NaN", "Infinity", 1.5])
def test_an_amount_that_is_not_a_decimal_number_is_refused(account, amount):
    errors = refused(grant, account=account, amount=amount)
    assert errors == {"amount": [services.AMOUNT_NOT_A_NUMBER]}


def test_more_decimals_than_the_currency_has_are_refused(account):
    errors = refused(grant, account=account, amount="1.005")
    assert errors == {"amount": ["SEK amounts have at most 2 decimals."]}
    errors = refused(grant, account=account, amount="1.5", currency="JPY")
    assert errors == {"amount": ["JPY amounts have at most 0 decimals."]}


def test_tokens_are_whole_numbers(account):
    errors = refused(grant, account=account, amount="2.5", **TOKENS)
    assert errors == {"amount": [services.WHOLE_TOKENS]}


def test_a_huge_amount_is_refused(account):
    errors = refused(grant, account=account, amount="10000000000000")
    assert errors == {"amount": [services.AMOUNT_TOO_LARGE]}


def test_tokens_with_a_currency_are_refused(account):
    errors = refused(grant, account=account, credit_type=CreditType.TOKEN, currency="SEK")
    assert errors == {"currency": ["Tokens have no currency."]}


@pytest.mark.parametrize("currency", ["", "XYZ", "kronor"])
def test_currency_credit_needs_a_known_currency(account, currency):
    errors = refused(grant, account=account, currency=currency)
    assert list(errors) == ["currency"]


def test_an_unknown_credit_type_is_refused(account):
    errors = refused(grant, account=account, credit_type="points")
    assert list(errors) == ["credit_type"]


def test_a_grant_by_a_person_without_a_reason_is_refused(account, finance):
    errors = refused(grant, account=account, actor=finance, note="   ")
    assert errors == {"note": [services.REASON_REQUIRED]}


def test_an_over_long_reason_is_refused(account, finance):
    errors = refused(grant, account=account, actor=finance, note="x" * 1001)
    assert errors == {"note": [services.NOTE_TOO_LONG]}


def test_currency_credit_on_a_subscription_billed_in_another_currency_is_refused(
    account, subscription
):
    errors = refused(grant, account=account, subscription=subscription, currency="EUR")
    assert errors == {
        "currency": ["Currency mismatch: subscription ORD-700001 is billed in SEK, not EUR."]
    }


def test_credit_on_another_accounts_subscription_is_refused(account):
    other = SubscriptionFactory(account=AccountFactory())
    errors = refused(grant, account=account, subscription=other)
    assert errors == {"subscription": [services.OTHER_ACCOUNT]}


def test_a_malformed_transaction_id_is_refused(account):
    errors = refused(grant, account=account, transaction_id="has space/and slash")
    assert errors == {"transaction_id": [services.TRANSACTION_INVALID]}


def test_an_entry_dated_before_the_wallets_newest_is_refused(account):
    grant(account, "10", created_at=dt.datetime(2026, 5, 2, tzinfo=dt.UTC))
    errors = refused(
        grant, account=account, amount="10", created_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    )
    assert errors == {"created_at": [services.BEFORE_LAST_ENTRY]}


def test_an_entry_dated_in_the_future_is_refused(account):
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    errors = refused(grant, account=account, created_at=future)
    assert errors == {"created_at": [services.FUTURE_DATE]}


# --- Revocations ----------------------------------------------------------------------------


def test_a_revocation_subtracts_and_keeps_the_reason(account, finance):
    grant(account, "100")
    entry = services.credit_revoke(
        actor=finance, account=account, amount="30", note="Granted twice", **SEK
    )
    assert (entry.activity, entry.amount, entry.balance_after, entry.seq, entry.note) == (
        Activity.REVOCATION,
        Decimal("-30"),
        Decimal("70"),
        2,
        "Granted twice",
    )


def test_a_revocation_larger_than_the_balance_is_refused(account, finance):
    grant(account, "20")
    errors = refused(
        services.credit_revoke, actor=finance, account=account, amount="20.01", note="x", **SEK
    )
    assert errors == {
        "amount": ["Not enough credit: 20.01 SEK is more than the balance of 20.00 SEK."]
    }


def test_revoking_from_a_wallet_that_does_not_exist_is_refused(account, finance):
    errors = refused(
        services.credit_revoke, actor=finance, account=account, amount="1", note="x", **TOKENS
    )
    assert errors == {"amount": ["There is no token credit on the account."]}


def test_a_revocation_by_a_person_without_a_reason_is_refused(account, finance):
    grant(account, "20")
    errors = refused(services.credit_revoke, actor=finance, account=account, amount="1", **SEK)
    assert errors == {"note": [services.REASON_REQUIRED]}


# --- Refunds of consumed credit -------------------------------------------------------------


def test_a_refund_gives_back_what_a_transaction_consumed(account, subscription):
    grant(account, "100")
    services.apply_credits(
        account=account, subscription=subscription, amount="60", transaction_id="TX-1", **SEK
    )
    entry = services.credit_refund(
        actor=None, account=account, amount="60", transaction_id="TX-1", **SEK
    )
    assert (entry.activity, entry.amount, entry.balance_after) == (
        Activity.REFUND,
        Decimal("60"),
        Decimal("100"),
    )
    # The refund concerns the subscription the transaction billed, like its consumption.
    assert entry.subscription == subscription


def test_a_refund_beyond_what_the_transaction_consumed_is_refused(account, finance):
    grant(account, "100")
    services.apply_credits(account=account, amount="60", transaction_id="TX-1", **SEK)
    services.credit_refund(
        actor=finance, account=account, amount="50", transaction_id="TX-1", note="r", **SEK
    )
    errors = refused(
        services.credit_refund,
        actor=finance,
        account=account,
        amount="10.01",
        transaction_id="TX-1",
        note="r",
        **SEK,
    )
    assert errors == {"amount": ["At most 10.00 SEK of transaction TX-1 is left to refund."]}


def test_a_refund_of_a_transaction_that_consumed_nothing_here_is_refused(account):
    grant(account, "100")
    errors = refused(
        services.credit_refund,
        actor=None,
        account=account,
        amount="1",
        transaction_id="TX-9",
        **SEK,
    )
    assert errors == {
        "transaction_id": ["Transaction TX-9 has no consumed SEK credit here to refund."]
    }


def test_a_refund_needs_a_transaction_and_a_persons_reason(account, finance):
    errors = refused(
        services.credit_refund, actor=None, account=account, amount="1", transaction_id="", **SEK
    )
    assert errors == {"transaction_id": [services.TRANSACTION_REQUIRED]}
    errors = refused(
        services.credit_refund,
        actor=finance,
        account=account,
        amount="1",
        transaction_id="TX-1",
        **SEK,
    )
    assert errors == {"note": [services.REASON_REQUIRED]}


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


# --- Idempotency ----------------------------------------------------------------------------


def test_the_same_key_and_request_return_the_first_entry_and_write_nothing(account, finance):
    first = grant(account, "10", actor=finance, note="r", idempotency_key="grant-1")
    again = grant(account, "10.00", actor=finance, note="r", idempotency_key="grant-1")
    assert again.pk == first.pk
    assert CreditEntry.objects.count() == 1
    assert ActivityEvent.objects.filter(type="manual_credit_added").count() == 1


def test_the_same_key_with_another_request_is_refused(account):
    grant(account, "10", idempotency_key="grant-1")
    errors = refused(grant, account=account, amount="11", idempotency_key="grant-1")
    assert errors == {"idempotency_key": [KEY_REUSED]}
    errors = refused(
        services.credit_revoke,
        actor=None,
        account=account,
        amount="10",
        idempotency_key="grant-1",
        **SEK,
    )
    assert errors == {"idempotency_key": [KEY_REUSED]}


def test_a_refused_request_does_not_use_up_its_key(account):
    refused(grant, account=account, amount="0", idempotency_key="k")
    assert grant(account, "1", idempotency_key="k").amount == Decimal("1")


def test_an_over_long_key_is_refused(account):
    errors = refused(grant, account=account, idempotency_key="k" * 101)
    assert list(errors) == ["idempotency_key"]


# --- Manual charges and refunds -------------------------------------------------------------


def test_a_manual_charge_consumes_credit_first_and_bills_the_rest(account, subscription, finance):
    grant(account, "30")
    charge = services.manual_charge(
        actor=finance, account=account, amount="100", currency="SEK", note="Lost card"
    )
    assert charge.billed == Decimal("70.00")
    (entry,) = charge.application.entries
    assert (entry.activity, entry.amount, entry.note) == (
        Activity.CONSUMPTION,
        Decimal("-30"),
        "Lost card",
    )
    assert entry.transaction_id.startswith("MC-")
    assert charge.event.type == "manual_charge_added"
    assert charge.event.data == {
        "amount": {"amount": "100.00", "currency": "SEK"},
        "account_id": account.customer_number,
        "reason": "Lost card",
        "transaction_id": entry.transaction_id,
    }


def test_a_manual_charge_may_leave_the_credit_alone(account, finance):
    grant(account, "30")
    charge = services.manual_charge(
        actor=finance,
        account=account,
        amount="100",
        currency="SEK",
        note="Lost card",
        use_credits=False,
    )
    assert (charge.billed, charge.application) == (Decimal("100.00"), None)
    assert CreditEntry.objects.count() == 1


def test_a_manual_charge_needs_a_reason(account, finance):
    errors = refused(
        services.manual_charge, actor=finance, account=account, amount="1", currency="SEK", note=""
    )
    assert errors == {"note": [services.REASON_REQUIRED]}


def test_a_manual_refund_records_the_payment_method_and_the_reason(account, subscription, finance):
    method = PaymentMethodFactory(account=account, brand="Visa", masked_details="•••• 4242")
    event = services.manual_refund(
        actor=finance,
        account=account,
        amount="149",
        currency="SEK",
        refunded_to=method,
        subscription=subscription,
        note="Charged after cancellation",
    )
    assert event.data == {
        "refunded_to": "Visa •••• 4242",
        "amount": {"amount": "149.00", "currency": "SEK"},
        "order_id": "ORD-700001",
        "reason": "Charged after cancellation",
    }
    assert not CreditEntry.objects.exists()


def test_a_manual_refund_to_another_accounts_card_is_refused(account, finance):
    method = PaymentMethodFactory()
    errors = refused(
        services.manual_refund,
        actor=finance,
        account=account,
        amount="1",
        currency="SEK",
        refunded_to=method,
        note="r",
    )
    assert errors == {"refunded_to": ["Choose one of the account's payment methods."]}


def test_a_manual_refund_needs_a_reason(account, finance):
    method = PaymentMethodFactory(account=account)
    errors = refused(
        services.manual_refund,
        actor=finance,
        account=account,
        amount="1",
        currency="SEK",
        refunded_to=method,
        note="",
    )
    assert errors == {"note": [services.REASON_REQUIRED]}


def test_amounts_use_the_currencys_minor_units(account):
    product = ProductFactory(code="jp", currency="JPY", price=Decimal("1000"))
    subscription = SubscriptionFactory(account=account, product=product)
    entry = grant(account, "1500", currency="JPY", subscription=subscription)
    assert entry.unit.plain(entry.amount) == "1500"
    kwd = grant(account, "0.125", currency="KWD")
    assert kwd.unit.plain(kwd.amount) == "0.125"
