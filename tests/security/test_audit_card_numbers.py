"""Regression tests that replay the security audit's requests with card numbers written in
groups (finding 4): masked, or refused on every path."""

import pgtrigger
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from tablib import Dataset

from accounts.models import PaymentMethod
from accounts.services import payment_method_add
from activity.models import ActivityEvent
from core.cards import CARD_NUMBER, has_card_number, mask_card_numbers
from credits.models import CreditEntry
from credits.services import GIFT_CARD_UNMASKED, credit_grant
from legacy_history.csvfile import COLUMNS
from legacy_history.models import LegacyEntry
from legacy_history.services import legacy_history_import
from tests.factories import ActivityEventFactory, LegacyEntryFactory, PaymentMethodFactory
from tests.security.audit_helpers import EVENTS, event

pytestmark = pytest.mark.django_db


# --- Finding 4: card numbers written in groups ------------------------------------------------

GROUPED = ["4111 1111 1111 1111", "4111-1111-1111-1111", "4111.1111.1111.1111", "4111111111111111"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        *[(card, True) for card in GROUPED],
        ("Card 5555 5555 5555 4444 declined", True),  # Mastercard's test number, in a sentence
        ("378282246310005", True),  # 15 digits (Amex)
        ("4111 1111 1111 1112", False),  # fails the Luhn check
        ("•••• 1111", False),
        ("Order 2026-11-21, ref 1234", False),
        ("+46 70 123 45 67", False),  # a phone number: 11 digits
        ("1234567890123456789012", False),  # 22 digits: no card
    ],
)
def test_what_counts_as_a_card_number(text, expected):
    assert has_card_number(text) is expected


def test_card_numbers_are_masked_but_the_last_four():
    assert mask_card_numbers("paid with 4111 1111 1111 1111 today") == (
        "paid with •••• •••• •••• 1111 today"
    )


@pytest.mark.parametrize("card", GROUPED)
def test_a_gift_card_code_that_is_a_card_number_is_refused_by_the_api(api, account, card):
    response = api.post(
        "/api/v1/credits/",
        {
            "operation": "gift_card_redemption",
            "idempotency_key": f"gc-{card}",
            "account": account.customer_number,
            "amount": "200.00",
            "currency": "SEK",
            "gift_card": card,
        },
    )

    assert response.status_code == 400
    assert response.json() == {"gift_card": [GIFT_CARD_UNMASKED]}
    assert not CreditEntry.objects.exists()


@pytest.mark.parametrize("card", GROUPED)
def test_a_note_holding_a_card_number_is_refused(account, make_user, card):
    with pytest.raises(ValidationError) as caught:
        credit_grant(
            actor=make_user("Finance"),
            account=account,
            amount="10",
            credit_type="currency",
            currency="SEK",
            note=f"Card {card} was charged twice",
        )
    assert caught.value.message_dict == {"note": [CARD_NUMBER]}
    assert not CreditEntry.objects.exists()


def test_a_comment_holding_a_card_number_is_refused_on_the_page(client, make_user, account):
    client.force_login(make_user("Customer Service"))

    response = client.post(
        f"/accounts/{account.customer_number}/activity/comment/",
        {"comment": "Customer read out 4111 1111 1111 1111 on the phone"},
        follow=True,
    )

    assert "must not hold a card number" in response.content.decode()
    assert not ActivityEvent.objects.exists()


def test_an_event_text_attribute_holding_a_card_number_is_refused_by_the_api(api, account):
    body = event(
        account,
        type="new_payment_method",
        attributes={"masked_details": "Visa 4111-1111-1111-1111"},
    )

    response = api.post(EVENTS, body)

    assert response.status_code == 400
    assert list(response.json()) == ["attributes.masked_details"]


def test_payment_method_details_holding_a_card_number_are_refused(account):
    with pytest.raises(ValidationError):
        payment_method_add(
            actor=None, account=account, kind="card", masked_details="4111 1111 1111 1111"
        )
    assert not PaymentMethod.objects.exists()


def test_a_legacy_message_with_a_card_number_is_imported_masked(account, make_user):
    dataset = Dataset(headers=list(COLUMNS))
    dataset.append(
        [
            "AH-CARD-1",
            "Payment method changed",
            ":payment",
            "New card 4111 1111 1111 1111 registered",
            "System",
            account.email,
            "2019-05-01T12:00:00+01:00",
            "",
        ]
    )

    report = legacy_history_import(actor=None, datasets=[dataset], file_name="cards.csv")

    assert report.committed, report.errors
    assert LegacyEntry.objects.get().message == "New card •••• •••• •••• 1111 registered"


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("credits_creditentry", "note"),
        ("legacy_history_legacyentry", "message"),
        ("activity_activityevent", "message"),
        ("accounts_paymentmethod", "masked_details"),
    ],
)
def test_the_database_refuses_a_card_number_that_bypasses_the_services(account, table, column):
    PaymentMethodFactory(account=account, masked_details="•••• 1111")
    credit_grant(actor=None, account=account, amount="1", credit_type="currency", currency="SEK")
    LegacyEntryFactory(account=account)
    ActivityEventFactory(account=account)
    protected = (
        "credits.CreditEntry:append_only",
        "activity.ActivityEvent:append_only",
        "legacy_history.LegacyEntry:written_once",
    )
    with (
        pgtrigger.ignore(*protected),
        connection.cursor() as cursor,
        pytest.raises(IntegrityError),
        transaction.atomic(),
    ):
        cursor.execute(f"UPDATE {table} SET {column} = '4111 1111 1111 1111'")
