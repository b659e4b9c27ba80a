"""Random sequences of ledger operations, refused or not, keep every wallet's balance equal to
the sum of its amounts and never below zero."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credits import services
from credits.models import CreditEntry
from tests.credits.conftest import SEK, TOKENS
from tests.credits.ledger_checks import assert_ledger_consistent

pytestmark = pytest.mark.django_db

CARDS = ("GC •••• 0001", "GC •••• 0002")

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("300"), places=2)
tokens = st.integers(min_value=1, max_value=40)
scope = st.booleans()  # True: the subscription's wallet

operations = st.one_of(
    st.tuples(st.just("grant"), money, scope),
    st.tuples(st.just("grant_tokens"), tokens, scope),
    st.tuples(st.just("revoke"), money, scope),
    st.tuples(st.just("revoke_tokens"), tokens, scope),
    st.tuples(st.just("consume"), money, scope),
    st.tuples(st.just("consume_tokens"), tokens, scope),
    st.tuples(st.just("refund"), money, scope),
    st.tuples(st.just("redeem"), money, st.sampled_from(CARDS)),
    st.tuples(st.just("reverse"), money, st.sampled_from(CARDS)),
    st.tuples(st.just("inquire"), st.sampled_from(["active", "unknown"]), st.sampled_from(CARDS)),
)


def _run(op, account, subscription, step):
    kind, value, option = op
    where = {"subscription": subscription if option is True else None}
    if kind.startswith("grant"):
        unit = TOKENS if kind.endswith("tokens") else SEK
        services.credit_grant(actor=None, account=account, amount=value, **where, **unit)
    elif kind.startswith("revoke"):
        unit = TOKENS if kind.endswith("tokens") else SEK
        services.credit_revoke(actor=None, account=account, amount=value, **where, **unit)
    elif kind.startswith("consume"):
        unit = TOKENS if kind.endswith("tokens") else SEK
        services.apply_credits(
            account=account, amount=value, transaction_id=f"TX-{step}", **where, **unit
        )
    elif kind == "refund":
        last = CreditEntry.objects.filter(activity="consumption", currency="SEK").last()
        transaction_id = last.transaction_id if last else "TX-none"
        services.credit_refund(
            actor=None, account=account, amount=value, transaction_id=transaction_id, **SEK, **where
        )
    elif kind == "redeem":
        services.gift_card_redeem(
            actor=None, account=account, gift_card=option, amount=value, currency="SEK"
        )
    elif kind == "reverse":
        services.gift_card_reverse(
            actor=None, account=account, gift_card=option, amount=value, currency="SEK"
        )
    else:
        services.gift_card_status_inquiry(
            actor=None, account=account, gift_card=option, status=value, currency="SEK"
        )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(operations, min_size=1, max_size=25))
def test_random_operations_keep_balance_equal_to_the_sum_of_amounts(
    account, subscription, sequence
):
    with transaction.atomic():
        for step, op in enumerate(sequence):
            written = CreditEntry.objects.count()
            try:
                _run(op, account, subscription, step)
            except ValidationError:
                assert CreditEntry.objects.count() == written  # a refusal writes nothing
            assert_ledger_consistent()
        transaction.set_rollback(True)  # each example starts from an empty ledger
