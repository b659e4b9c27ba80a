"""Attributes are validated against the registry on every write; a refusal names the field and
stores nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from activity.models import ActivityEvent
from activity.registry import MAX_TEXT_LENGTH, validate_attributes
from activity.services import activity_record, activity_record_bulk
from tests.factories import AccountFactory, SubscriptionFactory


def refused(code, data) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc_info:
        validate_attributes(code, data)
    return exc_info.value.message_dict


# --- The schema ------------------------------------------------------------------------------


def test_valid_attributes_are_returned_cleaned():
    cleaned = validate_attributes(
        "subscription_cancellation_scheduled",
        {"product": "Premium", "order_id": "ORD-1", "cancellation_date": dt.date(2026, 7, 1)},
    )
    assert cleaned == {"product": "Premium", "order_id": "ORD-1", "cancellation_date": "2026-07-01"}


def test_unknown_key_is_refused_naming_it():
    errors = refused("billing_date_changed", {"from": 1, "to": 2, "colour": "red"})
    assert list(errors) == ["attributes.colour"]
    assert "Unknown attribute" in errors["attributes.colour"][0]


def test_missing_required_key_is_refused_naming_it():
    errors = refused("billing_date_changed", {"from": 1})
    assert errors == {"attributes.to": ["Bill day to is required."]}


def test_empty_text_counts_as_missing():
    errors = refused("comment_added", {"comment": ""})
    assert errors == {"attributes.comment": ["Comment is required."]}


def test_optional_key_may_be_left_out():
    assert validate_attributes("new_payment_method", {"masked_details": "Visa •••• 4242"}) == {
        "masked_details": "Visa •••• 4242"
    }


def test_unknown_type_is_refused():
    errors = refused("parcel_delivered", {})
    assert list(errors) == ["type"]


def test_attributes_that_are_not_an_object_are_refused():
    errors = refused("comment_added", ["a comment"])
    assert list(errors) == ["attributes"]


def test_number_for_text_is_refused():
    errors = refused("comment_added", {"comment": 12})
    assert errors == {"attributes.comment": ["Comment must be text."]}


def test_overlong_text_is_refused():
    errors = refused("comment_added", {"comment": "x" * (MAX_TEXT_LENGTH + 1)})
    assert list(errors) == ["attributes.comment"]
    assert f"at most {MAX_TEXT_LENGTH} characters" in errors["attributes.comment"][0]


def test_text_of_the_maximum_length_is_accepted():
    text = "x" * MAX_TEXT_LENGTH
    assert validate_attributes("comment_added", {"comment": text}) == {"comment": text}


def test_text_with_a_nul_character_is_refused():
    errors = refused("comment_added", {"comment": "a\x00b"})
    assert errors == {"attributes.comment": ["Comment must not contain NUL characters."]}


def test_text_with_an_unpaired_surrogate_is_refused():
    errors = refused("comment_added", {"comment": "a\ud800b"})
    assert errors == {"attributes.comment": ["Comment must be valid Unicode text."]}


def test_list_with_a_nul_character_is_refused():
    errors = refused("address_details_modified", {"fields": ["Street", "C\x00ity"]})
    assert errors == {"attributes.fields": ["Changed fields must not contain NUL characters."]}


def test_text_for_an_integer_is_refused():
    errors = refused("billing_date_changed", {"from": "3", "to": 4})
    assert errors == {"attributes.from": ["Bill day from must be a whole number."]}


def test_boolean_is_not_an_integer():
    errors = refused("billing_date_changed", {"from": True, "to": 4})
    assert list(errors) == ["attributes.from"]


def test_float_for_an_integer_is_refused():
    errors = refused("pause_activated", {"months": 1.5, "product": "P", "order_id": "O"})
    assert list(errors) == ["attributes.months"]


def test_malformed_date_is_refused():
    errors = refused(
        "subscription_cancellation_scheduled",
        {"product": "P", "order_id": "O", "cancellation_date": "2026-02-30"},
    )
    assert list(errors) == ["attributes.cancellation_date"]
    assert "must be a date" in errors["attributes.cancellation_date"][0]


def test_date_and_time_for_a_date_is_refused():
    errors = refused(
        "subscription_cancellation_scheduled",
        {
            "product": "P",
            "order_id": "O",
            "cancellation_date": dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC),
        },
    )
    assert list(errors) == ["attributes.cancellation_date"]


def test_money_amount_is_kept_as_a_decimal_string():
    cleaned = validate_attributes(
        "manual_credit_added",
        {"amount": {"amount": Decimal("12.50"), "currency": "SEK"}, "account_id": "1"},
    )
    assert cleaned["amount"] == {"amount": "12.50", "currency": "SEK"}


def test_float_money_amount_is_refused():
    errors = refused(
        "manual_credit_added", {"amount": {"amount": 12.5, "currency": "SEK"}, "account_id": "1"}
    )
    assert list(errors) == ["attributes.amount"]
    assert "not a float" in errors["attributes.amount"][0]


def test_money_without_currency_is_refused():
    errors = refused("manual_credit_added", {"amount": {"amount": "12.50"}, "account_id": "1"})
    assert list(errors) == ["attributes.amount"]


def test_money_with_a_lower_case_currency_is_refused():
    errors = refused(
        "manual_credit_added", {"amount": {"amount": "1", "currency": "sek"}, "account_id": "1"}
    )
    assert list(errors) == ["attributes.amount"]


def test_money_with_more_than_four_decimals_is_refused():
    errors = refused(
        "manual_credit_added",
        {"amount": {"amount": "1.00001", "currency": "SEK"}, "account_id": "1"},
    )
    assert list(errors) == ["attributes.amount"]


def test_money_that_is_not_a_number_is_refused():
    errors = refused(
        "manual_credit_added", {"amount": {"amount": "NaN", "currency": "SEK"}, "account_id": "1"}
    )
    assert list(errors) == ["attributes.amount"]


def test_plain_text_for_a_list_is_refused():
    errors = refused("address_details_modified", {"fields": "Street"})
    assert errors == {"attributes.fields": ["Changed fields must be a list of text."]}


def test_list_with_a_number_is_refused():
    errors = refused("address_details_modified", {"fields": ["Street", 3]})
    assert list(errors) == ["attributes.fields"]


def test_overlong_list_is_refused():
    errors = refused("address_details_modified", {"fields": ["x" * 600, "y" * 600]})
    assert list(errors) == ["attributes.fields"]


def test_every_bad_field_is_named_at_once():
    errors = refused("billing_date_changed", {"from": "one", "extra": 1})
    assert set(errors) == {"attributes.from", "attributes.to", "attributes.extra"}


# --- Nothing is stored ------------------------------------------------------------------------


@pytest.mark.django_db
def test_refused_event_is_not_stored():
    account = AccountFactory()
    with pytest.raises(ValidationError):
        activity_record(account=account, type="billing_date_changed", data={"from": 1})
    assert not ActivityEvent.objects.exists()


@pytest.mark.django_db
def test_bulk_with_one_bad_item_stores_nothing_and_names_its_position():
    account = AccountFactory()
    good = {"account": account, "type": "credit_control_cycle_exited"}
    bad = {"account": account, "type": "comment_added", "data": {"comment": 5}}
    with pytest.raises(ValidationError) as exc_info:
        activity_record_bulk(events=[good, good, bad])
    assert list(exc_info.value.message_dict) == ["2.attributes.comment"]
    assert not ActivityEvent.objects.exists()


@pytest.mark.django_db
def test_naive_time_is_refused():
    with pytest.raises(ValidationError) as exc_info:
        activity_record(
            account=AccountFactory(),
            type="credit_control_cycle_exited",
            occurred_at=dt.datetime(2026, 6, 1, 12, 0),  # noqa: DTZ001 - the case under test
        )
    assert list(exc_info.value.message_dict) == ["occurred_at"]
    assert not ActivityEvent.objects.exists()


@pytest.mark.django_db
def test_subscription_of_another_account_is_refused():
    other = SubscriptionFactory()
    with pytest.raises(ValidationError) as exc_info:
        activity_record(
            account=AccountFactory(),
            type="entitlements_refreshed",
            subscription=other,
            data={"product": "P", "order_id": other.order_id},
        )
    assert list(exc_info.value.message_dict) == ["subscription"]
    assert not ActivityEvent.objects.exists()


@pytest.mark.django_db
def test_legacy_origin_may_omit_required_attributes():
    event = activity_record(
        account=AccountFactory(),
        type="billing_date_changed",
        origin=ActivityEvent.Origin.LEGACY,
        data={"from": 3},
    )
    assert event.data == {"from": 3}
