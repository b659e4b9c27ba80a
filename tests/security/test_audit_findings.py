"""Regression tests that replay the security audit's requests, one finding at a time."""

import csv
import datetime as dt
import io
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pgtrigger
import pytest
from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient
from tablib import Dataset

from accounts.models import PaymentMethod
from accounts.services import payment_method_add
from activity.models import ActivityEvent
from activity.registry import EVENT_TYPES, Recorder
from activity.services import (
    IN_THE_FUTURE,
    NOT_FOR_INTEGRATIONS,
    NOT_FOR_STAFF,
    activity_record,
)
from core.cards import CARD_NUMBER, has_card_number, mask_card_numbers
from core.csvfiles import safe_cell
from core.middleware import NUL_IN_ADDRESS
from credits.export import csv_rows
from credits.models import CreditEntry, CreditExport
from credits.selectors import credit_activity
from credits.services import GIFT_CARD_UNMASKED, credit_grant
from integrations.services import integration_create
from legacy_history.csvfile import COLUMNS
from legacy_history.models import LegacyEntry
from legacy_history.services import legacy_history_import
from tests.factories import (
    AccountFactory,
    ActivityEventFactory,
    LegacyEntryFactory,
    PaymentMethodFactory,
)

EVENTS = "/api/v1/events/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(db):
    return AccountFactory(customer_number="830001")


def event(account, **overrides):
    return {
        "account": account.customer_number,
        "type": "billing_date_changed",
        "occurred_at": "2026-06-01T12:00:00+02:00",
        "attributes": {"from": 3, "to": 15},
        **overrides,
    }


# --- Finding 3: money attributes beyond any decimal context -----------------------------------


@pytest.mark.parametrize("amount", ["1E+999999999", "-1E+999999999", "9" * 5000, "1E-999999999"])
def test_a_huge_money_attribute_is_a_400_naming_the_field(api, account, amount):
    body = event(
        account,
        type="manual_charge_added",
        attributes={"amount": {"amount": amount, "currency": "SEK"}, "account_id": "830001"},
    )
    body["type"] = "additional_payment_made"
    body["attributes"] = {
        "payment_method": "Visa •••• 4242",
        "amount": {"amount": amount, "currency": "SEK"},
    }

    response = api.post(EVENTS, body)

    assert response.status_code == 400
    assert set(response.json()) == {"attributes.amount"}


def test_a_batch_of_1000_holding_one_huge_amount_names_that_item(api, account):
    batch = [event(account, attributes={"from": 1, "to": 1 + i % 28}) for i in range(1000)]
    batch[617] = event(
        account,
        type="additional_payment_made",
        attributes={
            "payment_method": "Visa •••• 4242",
            "amount": {"amount": "1E+999999999", "currency": "SEK"},
        },
    )

    response = api.post(EVENTS, batch)

    assert response.status_code == 400
    assert list(response.json()) == ["617"]
    assert not ActivityEvent.objects.exists()


def test_an_amount_of_a_trillion_says_what_the_largest_amount_is(api, account):
    body = event(
        account,
        type="additional_payment_made",
        attributes={
            "payment_method": "Invoice",
            "amount": {"amount": "5000000000000", "currency": "SEK"},
        },
    )

    errors = api.post(EVENTS, body).json()

    assert errors == {"attributes.amount": ["Amount needs an amount below 1,000,000,000,000."]}


# --- Finding 5: who may record which type, and times ahead of the clock --------------------


STAFF_ONLY = [t.code for t in EVENT_TYPES if t.recorded_by == Recorder.STAFF]


def test_the_types_only_staff_may_record():
    assert set(STAFF_ONLY) == {
        "manual_credit_added",
        "manual_refund_issued",
        "manual_charge_added",
        "comment_added",
        "customer_anonymised",
        "credit_request_submitted",
        "credit_request_approved",
        "credit_request_rejected",
        "credit_request_expired",
    }


@pytest.mark.parametrize("code", STAFF_ONLY)
def test_an_integration_cannot_record_a_staff_only_type(api, account, code):
    title = next(t.title for t in EVENT_TYPES if t.code == code)

    response = api.post(EVENTS, event(account, type=code, attributes={}))

    assert response.status_code == 400
    assert response.json()["type"] == [NOT_FOR_INTEGRATIONS.format(title)]
    assert not ActivityEvent.objects.exists()


def test_a_person_cannot_record_what_only_the_billing_system_records(account, make_user):
    agent = make_user("Customer Service")
    with pytest.raises(Exception) as caught:
        activity_record(
            account=account,
            type="subscription_billing_success",
            actor=agent,
            data={"product": "Digital Basic", "order_id": "ORD-1"},
        )
    assert caught.value.message_dict == {
        "type": [NOT_FOR_STAFF.format("Subscription Billing Success")]
    }


@pytest.mark.parametrize("when", ["9000-01-01T00:00:00Z", "2999-12-31T23:00:00+01:00"])
def test_an_event_dated_in_the_future_is_refused(api, account, when):
    response = api.post(EVENTS, event(account, occurred_at=when))

    assert response.status_code == 400
    assert response.json() == {"occurred_at": [IN_THE_FUTURE]}


def test_a_few_minutes_of_clock_difference_are_accepted(api, account):
    soon = (timezone.now() + dt.timedelta(minutes=4)).isoformat()

    assert (
        api.post(EVENTS, event(account, occurred_at=soon, id=str(uuid.uuid4()))).status_code == 201
    )


def test_no_path_records_a_future_event(account):
    with pytest.raises(Exception) as caught:
        activity_record(
            account=account,
            type="credit_control_cycle_exited",
            occurred_at=timezone.now() + dt.timedelta(hours=1),
        )
    assert caught.value.message_dict == {"occurred_at": [IN_THE_FUTURE]}


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


# --- Finding 2: the admin's list filters -------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("/admin/activity/activityevent/", "type__exact=%00"),
        ("/admin/credits/creditentry/", "created_at__year=99999999999999999999999"),
        ("/admin/activity/activityevent/", "occurred_at__year=99999999999999999999999"),
        ("/admin/credits/creditexport/", "created_at__year=2026&created_at__month=13"),
        ("/admin/legacy_history/legacyentry/", "created_at__year=-5"),
    ],
)
def test_an_impossible_admin_filter_is_not_a_server_error(admin_client, url, query):
    response = admin_client.get(f"{url}?{query}")

    assert response.status_code in (200, 302, 400)
    if response.status_code == 302:
        assert response.url.endswith("?e=1")  # the admin's "invalid filter" notice


def test_a_nul_character_in_a_query_string_is_a_400_on_every_page(admin_client):
    for url in ("/accounts/", "/credits/activity/", "/admin/accounts/account/"):
        assert admin_client.get(f"{url}?q=%00").status_code == 400
    response = admin_client.get("/api/v1/event-types/?x=%00")
    assert response.status_code == 400
    assert response.json() == {"detail": NUL_IN_ADDRESS}


# --- Finding 9: formula guard past whitespace, zero-width and fullwidth characters ----------


@pytest.mark.parametrize(
    "text",
    [
        ' =HYPERLINK("http://evil.example","x")',
        '\u200b=HYPERLINK("http://evil.example","x")',
        "\u00a0\u2060+SUM(A1:A9)",
        "＝cmd|' /C calc'!A0",
        "＋1",
        "－1",
        "＠SUM(A1)",
    ],
)
@pytest.mark.parametrize("use_copy", [True, False])
def test_every_csv_cell_that_starts_like_a_formula_is_guarded(account, text, use_copy):
    account.name = text
    account.save()
    credit_grant(
        actor=None,
        account=account,
        amount="1",
        credit_type="currency",
        currency="SEK",
        note=text,
    )

    body = b"".join(csv_rows(credit_activity(), use_copy=use_copy)).decode("utf-8-sig")
    row = list(csv.reader(io.StringIO(body)))[1]

    assert row[2] == "'" + text  # account name, kept as it was
    assert row[14] == "'" + text.strip()  # the note, stripped by the service


@pytest.mark.parametrize(
    "text", ["a =1", "Order -1 was refunded", "x@y.example", "100", "", "   plain"]
)
def test_text_that_does_not_start_like_a_formula_is_left_alone(text):
    assert safe_cell(text) == text


# --- Finding 10: HEAD on a CSV download ----------------------------------------------------


def test_head_on_the_csv_download_answers_headers_only_and_records_nothing(client, make_user):
    client.force_login(make_user("Finance"))

    response = client.head("/credits/activity/export.csv?type=currency")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="credit-activity-')
    assert b"".join(response.streaming_content) == b""
    assert not CreditExport.objects.exists()


def test_head_with_bad_filters_is_refused_like_get(client, make_user):
    client.force_login(make_user("Finance"))

    assert client.head("/credits/activity/export.csv?type=points").status_code == 302
    assert not CreditExport.objects.exists()


# --- Finding 11: the development server's connections ---------------------------------------


def _settings_value(expression: str, **environ: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("CONN_MAX_AGE", "DEBUG")}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django; django.setup(); from django.conf import settings; print({expression})",
        ],
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings", **environ},
        cwd=Path(settings.BASE_DIR),
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_development_keeps_no_connection_open_and_production_reuses_checked_ones():
    conn = 'settings.DATABASES["default"]'
    assert _settings_value(f'{conn}["CONN_MAX_AGE"]', DEBUG="true") == "0"
    assert _settings_value(f'{conn}["CONN_MAX_AGE"]', DEBUG="false") == "60"
    assert _settings_value(f'{conn}["CONN_HEALTH_CHECKS"]', DEBUG="false") == "True"


# --- Finding 12: API throttling -----------------------------------------------------------------


def test_an_integration_over_its_rate_gets_429_with_retry_after(api, settings):
    settings.API_THROTTLE_RATE = "3/minute"
    cache.clear()

    answers = [api.get("/api/v1/event-types/") for _ in range(4)]

    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert int(answers[3]["Retry-After"]) > 0


def test_each_integration_has_its_own_count(api, settings, db):
    settings.API_THROTTLE_RATE = "2/minute"
    cache.clear()
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {integration_create(name='Portal')[1]}")

    assert [api.get("/api/v1/event-types/").status_code for _ in range(3)] == [200, 200, 429]
    assert other.get("/api/v1/event-types/").status_code == 200


# --- Findings 6 and 7: a new token is shown once, on its page; actions are logged ------------


def _cookies_hold(client, text: str) -> bool:
    return any(text in morsel.value for morsel in client.cookies.values())


def test_a_new_integrations_token_is_shown_on_its_page_and_never_in_a_cookie(admin_client):
    response = admin_client.post("/admin/integrations/integration/add/", {"name": "Portal"})

    [(integration, key)] = response.context["issued"]
    assert key in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert not _cookies_hold(admin_client, key)
    assert key not in admin_client.get("/admin/integrations/integration/").content.decode()
    assert LogEntry.objects.filter(object_id=str(integration.pk), action_flag=ADDITION).exists()


@pytest.mark.parametrize(
    ("action", "logged"),
    [
        ("disable", "Disabled: its token is refused."),
        ("enable", "Enabled."),
        ("issue_new_token", "Issued a new token; the previous one stopped working."),
    ],
)
def test_each_integration_action_leaves_an_admin_log_entry(
    admin_client, integration_and_key, action, logged
):
    integration, _ = integration_and_key

    response = admin_client.post(
        "/admin/integrations/integration/",
        {"action": action, "_selected_action": [integration.pk]},
    )

    entry = LogEntry.objects.get(object_id=str(integration.pk), action_flag=CHANGE)
    assert entry.get_change_message() == logged
    if action == "issue_new_token":
        [(_, key)] = response.context["issued"]
        assert not _cookies_hold(admin_client, key)
