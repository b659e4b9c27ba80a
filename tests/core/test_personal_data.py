"""Personal data is declared: every event attribute and every text field of every model says
whether it holds personal data, so that erasure knows exactly what to redact."""

import pytest
from django.apps import apps
from django.db import models

from activity.registry import EVENT_TYPES
from core.personal_data import declarations

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
    }
