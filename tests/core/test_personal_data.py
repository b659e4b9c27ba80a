"""Personal data is declared: every event attribute and every text field of every model says
whether it holds personal data, so that erasure knows exactly what to redact."""

import pytest
from django.apps import apps
from django.db import models

from activity.registry import EVENT_TYPES
from core.personal_data import declarations, known_terms, redact_known

OUR_APPS = {"accounts", "activity", "credits", "legacy_history", "integrations", "staff"}
TEXT = (models.CharField, models.TextField, models.JSONField, models.GenericIPAddressField)


def our_models():
    return [m for m in apps.get_models() if m._meta.app_label in OUR_APPS]


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda t: t.code)
def test_every_attribute_says_whether_it_is_personal(event_type):
    for attribute in event_type.attributes:
        assert attribute.personal is not None, f"{event_type.code}.{attribute.key}"


@pytest.mark.parametrize("model", our_models(), ids=lambda m: m._meta.label)
def test_every_text_field_says_whether_it_is_personal(model):
    declared = {m: (personal, other) for m, personal, other in declarations()}
    assert model in declared, f"{model._meta.label} declares no PERSONAL_DATA"
    personal, other = declared[model]
    text = {f.name for f in model._meta.concrete_fields if isinstance(f, TEXT)}
    assert set(personal) | set(other) == text
    assert not set(personal) & set(other)


def test_the_personal_attributes_are_the_expected_ones():
    personal = {(t.code, a.key) for t in EVENT_TYPES for a in t.attributes if a.personal}
    assert personal == {
        ("account_payment_method_changed", "from"),
        ("account_payment_method_changed", "to"),
        ("additional_payment_made", "payment_method"),
        ("new_payment_method", "masked_details"),
        ("manual_refund_issued", "refunded_to"),
        ("manual_refund_issued", "reason"),
        ("manual_credit_added", "reason"),
        ("manual_charge_added", "reason"),
        ("subscription_cancelled", "reason"),
        ("subscription_changed", "reason"),
        ("email_sent", "to"),
        ("comment_added", "comment"),
        ("credit_request_submitted", "reason"),
        ("credit_request_rejected", "reason"),
        ("credit_granted", "note"),
        ("credit_consumed", "note"),
        ("credit_revoked", "note"),
        ("credit_refunded", "note"),
        ("gift_card_redeemed", "note"),
        ("gift_card_redeemed", "gift_card"),
        ("gift_card_reversed", "note"),
        ("gift_card_reversed", "gift_card"),
        ("credit_expired", "note"),
    }


# --- Free text that quotes a customer -----------------------------------------------------

KARIN = {
    "name": "Karin Lövgren",
    "email": "karin.lovgren@example.se",
    "phone": "+46 70 555 12 34",
    "street": "Storgatan 12",
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Your receipt, Karin Lövgren", "Your receipt, [redacted]"),
        ("Dear Karin,", "Dear [redacted],"),
        ("LOVGREN called", "[redacted] called"),
        ("from karin.lovgren@example.se", "from [redacted]"),
        ("karin.lovgren wrote", "[redacted] wrote"),
        ("ring 070-555 12 34", "ring [redacted]"),
        ("+46705551234", "[redacted]"),
        ("sent to Storgatan 12, Visby", "sent to [redacted], Visby"),
        # Not her: another word that starts like her name, dates, amounts.
        ("Karinsson renewed on 2026-12-06 for 149.00 SEK", None),
    ],
)
def test_free_text_loses_what_quotes_the_customer_and_nothing_else(text, expected):
    assert redact_known(text, known_terms(**KARIN)) == (expected or text)


def test_short_name_parts_and_empty_details_redact_nothing():
    terms = known_terms(name="Bo Li", email="", phone="12", street="")
    assert redact_known("Bo Li called about Bolivia", terms) == "[redacted] called about Bolivia"
    assert known_terms(name="", email="", phone="", street="") is None
    assert redact_known("anything", None) == "anything"
