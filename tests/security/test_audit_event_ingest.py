"""Regression tests that replay the security audit's requests to the events API: money
attributes beyond any decimal context (finding 3), who may record which type, and times
ahead of the clock (finding 5)."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from activity.models import ActivityEvent
from activity.registry import EVENT_TYPES, Recorder
from activity.services import IN_THE_FUTURE, NOT_FOR_INTEGRATIONS, NOT_FOR_STAFF, activity_record
from tests.security.audit_helpers import EVENTS, event

pytestmark = pytest.mark.django_db


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
        "credit_granted",
        "credit_consumed",
        "credit_revoked",
        "credit_refunded",
        "gift_card_redeemed",
        "gift_card_reversed",
        "credit_expired",
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
