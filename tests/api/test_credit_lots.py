"""Top-ups through the API make lots: a grant of the kind and expiry it names (`lot_kind`,
`expires_on`), a gift card redemption a paid lot; bad values are 400s naming the field."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import KEY_REUSED
from credits.models import CreditEntry, CreditLot, LotKind
from credits.services.validation import EXPIRY_IN_PAST
from tests.api.credits_helpers import CREDITS, grant

pytestmark = pytest.mark.django_db


def in_days(days: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def test_a_grant_names_its_kind_and_expiry(api, account):
    response = api.post(
        CREDITS, grant(account, lot_kind="promotional", expires_on=in_days(14)), format="json"
    )
    assert response.status_code == 201
    lot = CreditLot.objects.get()
    assert (lot.kind, lot.expires_on.isoformat(), lot.remaining) == (
        LotKind.PROMOTIONAL,
        in_days(14),
        Decimal("100"),
    )
    assert lot.entry_id == response.json()["id"]


@pytest.mark.parametrize(
    ("transaction_id", "expected"), [("PUR-1", LotKind.PAID), (None, LotKind.PROMOTIONAL)]
)
def test_a_grant_without_a_kind_is_paid_for_a_purchase_else_promotional(
    api, account, transaction_id, expected
):
    body = grant(account)
    if transaction_id:
        body["transaction_id"] = transaction_id
    assert api.post(CREDITS, body, format="json").status_code == 201
    assert CreditLot.objects.get().kind == expected


def test_a_gift_card_redemption_is_a_paid_lot(api, account):
    body = {
        "operation": "gift_card_redemption",
        "idempotency_key": "gc-1",
        "account": account.customer_number,
        "amount": "250.00",
        "currency": "SEK",
        "gift_card": "•••• 4321",
    }
    assert api.post(CREDITS, body, format="json").status_code == 201
    lot = CreditLot.objects.get()
    assert (lot.kind, lot.expires_on) == (LotKind.PAID, None)


def test_an_expiry_in_the_past_is_a_400_naming_the_field(api, account):
    response = api.post(CREDITS, grant(account, expires_on=in_days(-1)), format="json")
    assert response.status_code == 400
    assert response.json() == {"expires_on": [EXPIRY_IN_PAST]}
    assert not CreditEntry.objects.exists() and not CreditLot.objects.exists()


@pytest.mark.parametrize(("field", "value"), [("lot_kind", "free"), ("expires_on", "next week")])
def test_a_bad_kind_or_date_is_a_400_naming_the_field(api, account, field, value):
    response = api.post(CREDITS, grant(account, **{field: value}), format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not CreditLot.objects.exists()


def test_the_same_key_with_another_expiry_is_a_conflict(api, account):
    assert (
        api.post(CREDITS, grant(account, expires_on=in_days(5)), format="json").status_code == 201
    )
    again = api.post(CREDITS, grant(account, expires_on=in_days(6)), format="json")
    assert again.status_code == 409
    assert again.json() == {"idempotency_key": [KEY_REUSED]}
    assert CreditLot.objects.count() == 1


def test_only_a_grant_takes_a_kind(api, account):
    body = {
        "operation": "revoke",
        "idempotency_key": "r-1",
        "account": account.customer_number,
        "amount": "1.00",
        "credit_type": "currency",
        "currency": "SEK",
        "lot_kind": "paid",
    }
    response = api.post(CREDITS, body, format="json")
    assert response.status_code == 400
    assert "lot_kind" in response.json()
