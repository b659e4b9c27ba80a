"""Revocations, refunds of consumed credit, and manual charges and refunds: what they write,
and every refusal (with its message, nothing written)."""

from decimal import Decimal

import pytest

from credits import services
from credits.models import Activity, CreditEntry
from tests.credits.conftest import SEK, TOKENS, grant
from tests.credits.services_helpers import refused
from tests.factories import PaymentMethodFactory

pytestmark = pytest.mark.django_db


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
