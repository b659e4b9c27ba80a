"""Credit grants: what they write, every refusal (with its message, nothing written), the
idempotency keys of the credit services and the currencies' minor units."""

import datetime as dt
from decimal import Decimal

import pytest

from activity.models import ActivityEvent
from core.actors import Actor
from core.errors import KEY_REUSED
from credits import services
from credits.models import Activity, CreditEntry, CreditType, CreditWallet
from tests.credits.conftest import SEK, TOKENS, grant
from tests.credits.services_helpers import refused
from tests.factories import AccountFactory, ProductFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


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
        "wallet": "Account",
        "balance_after": {"amount": "50.00", "currency": "SEK"},
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


def test_an_undated_entry_never_predates_the_wallets_newest(account):
    """An integration may date an entry up to five minutes ahead; the next entry without a
    date is then dated with it, not before it."""
    ahead = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=4)
    first = grant(account, "10", created_at=ahead)
    second = grant(account, "5")

    assert second.created_at == first.created_at == ahead
    assert second.seq == first.seq + 1
    assert CreditWallet.objects.get(pk=second.wallet_id).last_entry_at == ahead
    later = grant(account, "1", created_at=ahead + dt.timedelta(seconds=1))
    assert later.created_at > second.created_at


def test_an_entry_dated_in_the_future_is_refused(account):
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    errors = refused(grant, account=account, created_at=future)
    assert errors == {"created_at": [services.FUTURE_DATE]}


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


def test_amounts_use_the_currencys_minor_units(account):
    product = ProductFactory(code="jp", currency="JPY", price=Decimal("1000"))
    subscription = SubscriptionFactory(account=account, product=product)
    entry = grant(account, "1500", currency="JPY", subscription=subscription)
    assert entry.unit.plain(entry.amount) == "1500"
    kwd = grant(account, "0.125", currency="KWD")
    assert kwd.unit.plain(kwd.amount) == "0.125"
