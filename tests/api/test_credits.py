"""POST /api/v1/credits/ and POST /api/v1/charges/apply-credits/: the ledger's services through
the API (the entries' list is in test_credit_entries)."""

from decimal import Decimal

import pytest

from core.errors import KEY_REUSED, NO_ACCOUNT, NO_SUBSCRIPTION, NOT_USED
from core.money import UNKNOWN_CURRENCY
from credits import services
from credits.models import Activity, CreditEntry, CreditWallet
from integrations.services import integration_create
from tests.api.conftest import INTEGRATION_NAME
from tests.api.credits_helpers import APPLY, CREDITS, apply, grant
from tests.factories import SubscriptionFactory


def balance(account, subscription=None, currency="SEK"):
    wallet = CreditWallet.objects.filter(
        account=account, subscription=subscription, currency=currency
    ).first()
    return wallet.balance if wallet else Decimal(0)


# --- Operations ---------------------------------------------------------------------------


def test_a_grant_writes_an_entry_with_the_integration_as_actor(api, account):
    response = api.post(CREDITS, grant(account, note="Welcome credit"))

    assert response.status_code == 201
    entry = CreditEntry.objects.get()
    assert entry.activity == Activity.GRANT
    assert entry.amount == Decimal("100.00")
    assert entry.actor is None
    assert entry.actor_name == INTEGRATION_NAME
    assert response.json() == {
        "id": entry.pk,
        "account": account.customer_number,
        "subscription": None,
        "credit_type": "currency",
        "currency": "SEK",
        "activity": "grant",
        "amount": "100.00",
        "balance_after": "100.00",
        "transaction_id": "",
        "gift_card": "",
        "gift_card_status": "",
        "note": "Welcome credit",
        "created_at": response.json()["created_at"],
        "actor": INTEGRATION_NAME,
        "approved_by": "",
    }


def test_a_token_grant_on_a_subscription(api, account, subscription):
    body = grant(account, credit_type="token", subscription=subscription.order_id, amount="5")
    del body["currency"]

    response = api.post(CREDITS, body)

    assert response.status_code == 201
    assert response.json()["subscription"] == subscription.order_id
    assert response.json()["amount"] == "5"


def test_the_same_key_and_request_returns_the_first_entry(api, account):
    first = api.post(CREDITS, grant(account))

    again = api.post(CREDITS, grant(account))

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert CreditEntry.objects.count() == 1
    assert balance(account) == Decimal("100.00")


def test_the_same_key_with_another_request_is_a_conflict(api, account):
    api.post(CREDITS, grant(account))

    response = api.post(CREDITS, grant(account, amount="200.00"))

    assert response.status_code == 409
    assert response.json() == {"idempotency_key": [KEY_REUSED]}
    assert CreditEntry.objects.count() == 1


def test_two_integrations_may_use_the_same_key(api, account):
    _, other_key = integration_create(name="Self-service portal")
    api.post(CREDITS, grant(account, key="same"))

    from rest_framework.test import APIClient

    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {other_key}")
    response = other.post(CREDITS, grant(account, key="same"))

    assert response.status_code == 201
    assert balance(account) == Decimal("200.00")
    assert response.json()["actor"] == "Self-service portal"


def test_a_revocation_larger_than_the_balance_is_refused(api, account):
    api.post(CREDITS, grant(account, amount="10.00"))

    response = api.post(CREDITS, grant(account, key="revoke-1", operation="revoke", amount="25.00"))

    assert response.status_code == 400
    assert list(response.json()) == ["amount"]
    assert balance(account) == Decimal("10.00")


def test_a_revocation_within_the_balance(api, account):
    api.post(CREDITS, grant(account))

    response = api.post(CREDITS, grant(account, key="revoke-1", operation="revoke", amount="40"))

    assert response.status_code == 201
    assert response.json()["amount"] == "-40.00"
    assert response.json()["balance_after"] == "60.00"


def test_a_refund_gives_back_what_a_transaction_consumed(api, account):
    api.post(CREDITS, grant(account))
    api.post(APPLY, apply(account, amount="30.00"))

    response = api.post(
        CREDITS,
        grant(account, key="refund-1", operation="refund", amount="30.00", transaction_id="T-1"),
    )

    assert response.status_code == 201
    assert response.json()["activity"] == "refund"
    assert balance(account) == Decimal("100.00")


def test_a_refund_needs_the_transaction(api, account):
    response = api.post(CREDITS, grant(account, operation="refund"))

    assert response.status_code == 400
    assert response.json() == {"transaction_id": ["This field is required."]}


def test_gift_card_redemption_reversal_and_status_inquiry(api, account):
    card = {"gift_card": "•••• 4321", "currency": "SEK"}
    redeemed = api.post(
        CREDITS,
        {
            "operation": "gift_card_redemption",
            "idempotency_key": "gc-1",
            "account": account.customer_number,
            "amount": "50.00",
            **card,
        },
    )
    reversed_ = api.post(
        CREDITS,
        {
            "operation": "gift_card_reversal",
            "idempotency_key": "gc-2",
            "account": account.customer_number,
            "amount": "20.00",
            **card,
        },
    )
    inquiry = api.post(
        CREDITS,
        {
            "operation": "gift_card_status_inquiry",
            "idempotency_key": "gc-3",
            "account": account.customer_number,
            "gift_card_status": "active",
            **card,
        },
    )

    assert [r.status_code for r in (redeemed, reversed_, inquiry)] == [201, 201, 201]
    assert [r.json()["activity"] for r in (redeemed, reversed_, inquiry)] == [
        "gift_card_redemption",
        "gift_card_reversal",
        "gift_card_status_inquiry",
    ]
    assert inquiry.json()["amount"] == "0.00"
    assert inquiry.json()["gift_card_status"] == "active"
    assert balance(account) == Decimal("30.00")


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"account": "000000"}, {"account": [NO_ACCOUNT.format("000000")]}),
        ({"subscription": "ORD-NONE"}, {"subscription": [NO_SUBSCRIPTION.format("ORD-NONE")]}),
        ({"operation": "steal"}, {"operation": ['"steal" is not a valid choice.']}),
        ({"amount": "0"}, {"amount": [services.AMOUNT_ZERO]}),
        ({"amount": "-5"}, {"amount": [services.AMOUNT_NEGATIVE]}),
        ({"amount": "1.234"}, {"amount": ["SEK amounts have at most 2 decimals."]}),
        ({"amount": "ten"}, {"amount": ["A valid number is required."]}),
        ({"amount": "NaN"}, {"amount": ["A valid number is required."]}),
        ({"currency": "XYZ"}, {"currency": None}),
        # ISO 4217 codes that are no customer's money: "no currency", a test code, gold, a fund.
        ({"currency": "XXX"}, {"currency": [UNKNOWN_CURRENCY.format("XXX")]}),
        ({"currency": "XTS"}, {"currency": [UNKNOWN_CURRENCY.format("XTS")]}),
        ({"currency": "XAU"}, {"currency": [UNKNOWN_CURRENCY.format("XAU")]}),
        ({"currency": "CHE"}, {"currency": [UNKNOWN_CURRENCY.format("CHE")]}),
        ({"credit_type": "gold"}, {"credit_type": ['"gold" is not a valid choice.']}),
        ({"gift_card": "•••• 1"}, {"gift_card": [NOT_USED]}),
        ({"colour": "red"}, {"colour": ["Unknown field."]}),
        ({"idempotency_key": ""}, {"idempotency_key": ["This field may not be blank."]}),
        ({"created_at": "2026-06-01T12:00:00"}, {"created_at": None}),
        ({"created_at": "2999-01-01T00:00:00Z"}, {"created_at": [services.FUTURE_DATE]}),
        ({"transaction_id": "has spaces"}, {"transaction_id": [services.TRANSACTION_INVALID]}),
    ],
)
def test_each_bad_field_is_a_400_that_names_it(api, account, change, errors):
    response = api.post(CREDITS, grant(account, **change))

    assert response.status_code == 400
    body = response.json()
    assert set(body) == set(errors)
    for field, expected in errors.items():
        if expected:
            assert body[field] == expected
    assert not CreditEntry.objects.exists()


@pytest.mark.parametrize("missing", ["operation", "idempotency_key", "account"])
def test_the_common_fields_are_required(api, account, missing):
    body = grant(account)
    del body[missing]

    assert api.post(CREDITS, body).json() == {missing: ["This field is required."]}


def test_a_subscription_of_another_account_is_refused(api, account):
    SubscriptionFactory(order_id="ORD-ELSEWHERE")

    response = api.post(CREDITS, grant(account, subscription="ORD-ELSEWHERE"))

    assert response.json() == {"subscription": [services.OTHER_ACCOUNT]}


# --- Consumption before billing -----------------------------------------------------------


def test_apply_credits_draws_on_the_subscription_then_the_account(api, account, subscription):
    api.post(CREDITS, grant(account, key="g-sub", amount="100", subscription=subscription.order_id))
    api.post(CREDITS, grant(account, key="g-acct", amount="30"))

    response = api.post(APPLY, apply(account, subscription=subscription.order_id))

    assert response.status_code == 201
    data = response.json()
    assert data["requested"] == "149.00"
    assert data["consumed"] == "130.00"
    assert data["remainder"] == "19.00"
    assert [e["amount"] for e in data["entries"]] == ["-100.00", "-30.00"]
    assert balance(account, subscription) == balance(account) == Decimal("0.00")
    assert {e["actor"] for e in data["entries"]} == {INTEGRATION_NAME}


def test_apply_credits_without_credit_bills_everything(api, account):
    data = api.post(APPLY, apply(account)).json()

    assert data["entries"] == []
    assert data["remainder"] == "149.00"


def test_apply_credits_is_idempotent(api, account):
    api.post(CREDITS, grant(account, amount="100"))
    first = api.post(APPLY, apply(account))

    again = api.post(APPLY, apply(account))

    assert again.status_code == 200
    assert again.json() == first.json()
    assert balance(account) == Decimal("0.00")
    assert CreditEntry.objects.filter(activity=Activity.CONSUMPTION).count() == 1


def test_apply_credits_with_a_reused_key_for_another_charge_is_a_conflict(api, account):
    api.post(APPLY, apply(account))

    response = api.post(APPLY, apply(account, amount="99.00"))

    assert response.status_code == 409


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"transaction_id": ""}, "transaction_id"),
        ({"amount": "0"}, "amount"),
        ({"credit_type": "token", "currency": "SEK"}, "currency"),
        ({"account": "000000"}, "account"),
        ({"gift_card": "x"}, "gift_card"),
    ],
)
def test_apply_credits_refuses_bad_input_by_field(api, account, change, field):
    response = api.post(APPLY, apply(account, **change))

    assert response.status_code == 400
    assert field in response.json()


def test_a_grant_and_its_consumption_show_on_the_account_page(api, account, admin_user_role):
    from tests.signin import VerifiedClient

    api.post(CREDITS, grant(account, amount="100"))
    api.post(APPLY, apply(account, amount="40.00"))

    page = VerifiedClient()
    page.force_login(admin_user_role)
    html = page.get(account.get_absolute_url()).content.decode()

    assert "60.00" in html
    assert INTEGRATION_NAME in html
