"""The mapping from legacy event names to timeline types."""

import pytest

from activity.registry import REGISTRY
from legacy_history.mapping import LEGACY_EVENTS, legacy_event, registry_code_for
from legacy_history.models import LegacyEntry

# Every event the old Account History logged (its documentation lists 50).
EXPECTED_NAMES = 50


def test_every_legacy_event_of_the_old_product_is_listed_once():
    names = [event.name for event in LEGACY_EVENTS]
    assert len(names) == len(set(names)) == EXPECTED_NAMES


@pytest.mark.parametrize("event", LEGACY_EVENTS, ids=lambda e: e.name)
def test_every_mapped_name_maps_to_an_existing_registry_type(event):
    assert event.maps_to is None or event.maps_to in REGISTRY
    assert event.type in LegacyEntry.Type.values


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Account created", "new_customer_created"),
        ("Cancellation of subscription", "subscription_cancelled"),
        ("Subscription freeze", "pause_activated"),
        ("Payment received", "subscription_billing_success"),
        ("Payment failed, will try again", "subscription_billing_success_failed"),
        ("Subscription downgraded", "subscription_changed"),
        ("Renewal date changed", "billing_date_changed"),
        ("Order closed", None),
        ("Voucher redeemed", None),
        ("Subscription terminated", None),
    ],
)
def test_names_map_as_decided(name, code):
    assert registry_code_for(name) == code


def test_lookup_ignores_case_and_spacing():
    assert registry_code_for("  account   CREATED ") == "new_customer_created"
    assert legacy_event("payment RECEIVED").name == "Payment received"


def test_a_name_the_old_product_never_logged_stays_in_legacy():
    assert registry_code_for("Something else entirely") is None
