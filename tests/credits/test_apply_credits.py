"""Consumption before billing: the subscription's wallet first, then the account's."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from core.errors import KEY_REUSED
from credits import services
from credits.models import Activity, CreditEntry, CreditType
from credits.services.ledger import locked_wallets
from credits.services.validation import ledger_request
from tests.credits.conftest import SEK, TOKENS, grant
from tests.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db


def apply(account, subscription, amount, **kwargs):
    kwargs.setdefault("transaction_id", "TX-1")
    return services.apply_credits(
        account=account, subscription=subscription, amount=amount, **{**SEK, **kwargs}
    )


def test_the_subscription_wallet_is_consumed_before_the_account_wallet(account, subscription):
    grant(account, "40", subscription)
    grant(account, "100")
    result = apply(account, subscription, "149")
    assert [(e.wallet.subscription, e.amount, e.balance_after) for e in result.entries] == [
        (subscription, Decimal("-40"), Decimal("0")),
        (None, Decimal("-100"), Decimal("0")),
    ]
    assert (result.consumed, result.remainder) == (Decimal("140"), Decimal("9.00"))
    assert all(e.subscription == subscription for e in result.entries)
    assert all(e.transaction_id == "TX-1" for e in result.entries)


def test_enough_credit_leaves_nothing_to_bill(account, subscription):
    grant(account, "200", subscription)
    result = apply(account, subscription, "149")
    assert result.remainder == Decimal("0.00")
    assert len(result.entries) == 1
    assert result.entries[0].balance_after == Decimal("51")


def test_no_credit_bills_everything_and_writes_nothing(account, subscription):
    result = apply(account, subscription, "149")
    assert (result.entries, result.remainder) == ([], Decimal("149.00"))
    assert not CreditEntry.objects.exists()


def test_an_empty_wallet_is_skipped(account, subscription):
    grant(account, "10", subscription)
    apply(account, subscription, "10", transaction_id="TX-0")
    grant(account, "5")
    result = apply(account, subscription, "8")
    assert [e.wallet.subscription for e in result.entries] == [None]
    assert result.remainder == Decimal("3.00")


def test_only_credit_of_the_same_unit_is_consumed(account, subscription):
    grant(account, "100", currency="EUR", credit_type=CreditType.CURRENCY)
    grant(account, "7", **TOKENS)
    result = apply(account, None, "20")
    assert result.remainder == Decimal("20.00")
    tokens = apply(account, None, 3, credit_type=CreditType.TOKEN, currency="", transaction_id="A1")
    assert (tokens.remainder, tokens.entries[0].balance_after) == (Decimal("0"), Decimal("4"))


def test_without_a_subscription_only_the_account_wallet_is_used(account, subscription):
    grant(account, "40", subscription)
    grant(account, "10")
    result = apply(account, None, "30")
    assert [e.wallet.subscription for e in result.entries] == [None]
    assert result.remainder == Decimal("20.00")


def test_another_subscriptions_wallet_is_not_drawn(account, subscription):
    other = SubscriptionFactory(account=account)
    grant(account, "40", other)
    grant(account, "10")
    result = apply(account, subscription, "30")
    assert [e.wallet.subscription for e in result.entries] == [None]
    assert result.remainder == Decimal("20.00")


def test_the_wallets_are_found_and_locked_in_one_query_in_the_order_asked(
    account, subscription, django_assert_num_queries
):
    other = SubscriptionFactory(account=account)
    grant(account, "10")  # the account's wallet is made first: the lower primary key
    grant(account, "40", subscription)
    grant(account, "40", other)
    grant(account, "5", currency="EUR")
    request = ledger_request(
        actor=None, account=account, credit_type=CreditType.CURRENCY, currency="SEK", amount="1"
    )

    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        found = locked_wallets(request, subscription)
        missing = locked_wallets(request, SubscriptionFactory.build(pk=10**9))
        alone = locked_wallets(request, None)

    assert [(w.subscription_id, w.currency) for w in found] == [
        (subscription.pk, "SEK"),
        (None, "SEK"),
    ]
    assert missing[0] is None and missing[1].subscription_id is None
    assert [(w.subscription_id, w.currency) for w in alone] == [(None, "SEK")]
    selects = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert len(selects) == 3
    for sql in selects:
        assert sql.endswith("FOR UPDATE") and "JOIN" not in sql
        assert 'ORDER BY "credits_creditwallet"."id" ASC' in sql


def test_the_same_key_returns_the_same_result_without_a_second_entry(account, subscription):
    grant(account, "40", subscription)
    grant(account, "100")
    first = apply(account, subscription, "149", idempotency_key="bill-1")
    again = apply(account, subscription, "149", idempotency_key="bill-1")
    assert [e.pk for e in again.entries] == [e.pk for e in first.entries]
    assert again.remainder == first.remainder == Decimal("9.00")
    assert CreditEntry.objects.filter(activity=Activity.CONSUMPTION).count() == 2


def test_a_replay_of_a_call_that_consumed_nothing_still_consumes_nothing(account, subscription):
    first = apply(account, subscription, "149", idempotency_key="bill-1")
    grant(account, "500")  # credit arrives between the call and its retry
    again = apply(account, subscription, "149", idempotency_key="bill-1")
    assert (first.remainder, again.remainder, again.entries) == (
        Decimal("149.00"),
        Decimal("149.00"),
        [],
    )


def test_the_same_key_for_another_amount_is_refused(account, subscription):
    apply(account, subscription, "149", idempotency_key="bill-1")
    with pytest.raises(ValidationError) as caught:
        apply(account, subscription, "150", idempotency_key="bill-1")
    assert caught.value.message_dict == {"idempotency_key": [KEY_REUSED]}


def test_a_consumption_needs_a_transaction_id(account, subscription):
    with pytest.raises(ValidationError) as caught:
        apply(account, subscription, "1", transaction_id="")
    assert caught.value.message_dict == {"transaction_id": [services.TRANSACTION_REQUIRED]}


def test_a_consumption_in_another_currency_than_the_subscription_is_refused(account, subscription):
    with pytest.raises(ValidationError) as caught:
        apply(account, subscription, "1", currency="EUR")
    assert caught.value.message_dict == {
        "currency": ["Currency mismatch: subscription ORD-700001 is billed in SEK, not EUR."]
    }


@pytest.mark.parametrize(("amount", "field"), [("0", "amount"), ("-5", "amount")])
def test_a_consumption_of_nothing_or_less_is_refused(account, subscription, amount, field):
    with pytest.raises(ValidationError) as caught:
        apply(account, subscription, amount)
    assert list(caught.value.message_dict) == [field]
