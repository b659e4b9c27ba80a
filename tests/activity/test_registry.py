"""The event-type registry against the seed's list of interactions, and every type's rendering."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils.html import escape

from activity.registry import EVENT_TYPES, REGISTRY, Category, Kind, type_code, types_by_category
from activity.services import build_event
from activity.templatetags.activity_tags import event_html
from tests.factories import AccountFactory

SEED = Path(settings.BASE_DIR).parent / "shared" / "seeds" / "customer_activity.txt"

# The seed's 30 titles, for a checkout that has no shared/ beside it. Kept identical to the
# seed: `test_fallback_titles_match_the_seed` fails when the two drift apart.
SEED_TITLES_FALLBACK = (
    "Billing Date Changed",
    "Account Payment Method Changed",
    "Additional Payment Made",
    "Address Details Modified",
    "Credit Control Cycle Entered",
    "Credit Control Cycle Exited",
    "Subscription Cancelled",
    "Subscription Cancellation Scheduled",
    "Subscription Cancellation Withdrawn",
    "Subscription Downgrade Scheduled",
    "Subscription Downgrade Withdrawn",
    "Subscription Changed",
    "Subscription Renewed",
    "Subscription Billing Success",
    "Subscription Billing Success Failed",
    "New Purchase",
    "New Customer Created",
    "New Payment Method",
    "Manual Refund Issued",
    "Manual Credit Added",
    "Manual Charge Added",
    "Entitlements Refreshed",
    "Customer Anonymised",
    "Email sent",
    "Pause Scheduled",
    "Pause Activated",
    "Scheduled Pause cancelled",
    "Pause Ended Early",
    "Pause Ended",
    "Subscription Billing Resubmission Failed",
)

# Every registry title and the code events of its type are stored and sent under (the API,
# the filters, legacy mapping): examples written out, not the rule of type_code restated.
TITLE_CODES = [
    ("Billing Date Changed", "billing_date_changed"),
    ("Account Payment Method Changed", "account_payment_method_changed"),
    ("Additional Payment Made", "additional_payment_made"),
    ("Address Details Modified", "address_details_modified"),
    ("Credit Control Cycle Entered", "credit_control_cycle_entered"),
    ("Credit Control Cycle Exited", "credit_control_cycle_exited"),
    ("Subscription Cancelled", "subscription_cancelled"),
    ("Subscription Cancellation Scheduled", "subscription_cancellation_scheduled"),
    ("Subscription Cancellation Withdrawn", "subscription_cancellation_withdrawn"),
    ("Subscription Downgrade Scheduled", "subscription_downgrade_scheduled"),
    ("Subscription Downgrade Withdrawn", "subscription_downgrade_withdrawn"),
    ("Subscription Changed", "subscription_changed"),
    ("Subscription Renewed", "subscription_renewed"),
    ("Subscription Billing Success", "subscription_billing_success"),
    ("Subscription Billing Success Failed", "subscription_billing_success_failed"),
    ("New Purchase", "new_purchase"),
    ("New Customer Created", "new_customer_created"),
    ("New Payment Method", "new_payment_method"),
    ("Manual Refund Issued", "manual_refund_issued"),
    ("Manual Credit Added", "manual_credit_added"),
    ("Manual Charge Added", "manual_charge_added"),
    ("Entitlements Refreshed", "entitlements_refreshed"),
    ("Customer Anonymised", "customer_anonymised"),
    ("Email sent", "email_sent"),
    ("Pause Scheduled", "pause_scheduled"),
    ("Pause Activated", "pause_activated"),
    ("Scheduled Pause cancelled", "scheduled_pause_cancelled"),
    ("Pause Ended Early", "pause_ended_early"),
    ("Pause Ended", "pause_ended"),
    ("Subscription Billing Resubmission Failed", "subscription_billing_resubmission_failed"),
    ("Comment Added", "comment_added"),
    ("Credit Request Submitted", "credit_request_submitted"),
    ("Credit Request Approved", "credit_request_approved"),
    ("Credit Request Rejected", "credit_request_rejected"),
    ("Credit Request Expired", "credit_request_expired"),
    ("Credit Granted", "credit_granted"),
    ("Credit Consumed", "credit_consumed"),
    ("Credit Revoked", "credit_revoked"),
    ("Credit Refunded", "credit_refunded"),
    ("Gift Card Redeemed", "gift_card_redeemed"),
    ("Gift Card Reversed", "gift_card_reversed"),
    ("Credit Expired", "credit_expired"),
]

# One valid value per kind, and how the event partial shows it.
SAMPLES = {
    Kind.TEXT: ("Sample text", "Sample text"),
    Kind.INTEGER: (7, "7"),
    Kind.DATE: ("2026-05-04", "2026-05-04"),
    Kind.MONEY: ({"amount": "12.50", "currency": "SEK"}, "12.50 SEK"),
    Kind.TEXT_LIST: (["Street", "City"], "Street, City"),
    Kind.CHANGES: (
        [{"label": "City", "from": "Malmö", "to": "Lund"}],
        '<ul class="diff"><li><span class="diff-label">City:</span> <del>Malmö</del>'
        " → <ins>Lund</ins></li></ul>",
    ),
}


def _seed_titles_from_file() -> list[str]:
    return re.findall(r"Title of interaction = '([^']+)'", SEED.read_text(encoding="utf-8"))


def seed_titles() -> list[str]:
    return _seed_titles_from_file() if SEED.exists() else list(SEED_TITLES_FALLBACK)


def test_seed_lists_thirty_distinct_titles():
    titles = seed_titles()
    assert len(titles) == 30
    assert len(set(titles)) == 30


@pytest.mark.skipif(not SEED.exists(), reason="shared/seeds is not beside this checkout")
def test_fallback_titles_match_the_seed():
    assert list(SEED_TITLES_FALLBACK) == _seed_titles_from_file()


# The back-office's own types beside the seed's: agents' notes, the four eyes on credit, and
# the credit ledger's movements.
OWN_TITLES = {
    "Comment Added",
    "Credit Request Submitted",
    "Credit Request Approved",
    "Credit Request Rejected",
    "Credit Request Expired",
    "Credit Granted",
    "Credit Consumed",
    "Credit Revoked",
    "Credit Refunded",
    "Gift Card Redeemed",
    "Gift Card Reversed",
    "Credit Expired",
}


def test_registry_titles_are_the_seed_titles_plus_our_own():
    assert {t.title for t in EVENT_TYPES} == set(seed_titles()) | OWN_TITLES


def test_registry_has_one_entry_per_title():
    titles = [t.title for t in EVENT_TYPES]
    assert len(titles) == len(set(titles)) == 42


@pytest.mark.parametrize(("title", "code"), TITLE_CODES, ids=[code for _, code in TITLE_CODES])
def test_each_title_has_its_code_and_the_registry_finds_the_type_by_it(title, code):
    assert type_code(title) == code
    assert REGISTRY[code].title == title
    assert REGISTRY[code].code == code


def test_every_registry_type_is_in_the_table_of_codes():
    assert {(t.title, t.code) for t in EVENT_TYPES} == set(TITLE_CODES)


def test_type_code_collapses_runs_of_other_characters():
    assert type_code("Email sent") == "email_sent"
    assert type_code("  Pause -- Ended / Early ") == "pause_ended_early"


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda t: t.code)
def test_every_type_has_a_category(event_type):
    assert isinstance(event_type.category, Category)


def test_every_category_offers_at_least_one_type():
    assert all(types for _category, types in types_by_category())
    assert sum(len(types) for _category, types in types_by_category()) == len(EVENT_TYPES)


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda t: t.code)
def test_every_attribute_has_a_label_a_kind_and_a_unique_key(event_type):
    keys = [a.key for a in event_type.attributes]
    assert len(keys) == len(set(keys))
    for attr in event_type.attributes:
        assert attr.label.strip()
        assert isinstance(attr.kind, Kind)


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda t: t.code)
def test_event_partial_renders_every_type_with_its_title_category_and_labels(event_type):
    data = {attr.key: SAMPLES[attr.kind][0] for attr in event_type.attributes}
    event = build_event(account=AccountFactory.build(), type=event_type.code, data=data)

    html = event_html(event)

    assert escape(event_type.title) in html
    assert f"cat-{event_type.category.code}" in html
    for attr in event_type.attributes:
        assert f"<dt>{escape(attr.label)}</dt>" in html
        shown = SAMPLES[attr.kind][1]
        # A diff is HTML of its own (its values escaped); every other value is escaped text.
        assert f"<dd>{shown if attr.kind == Kind.CHANGES else escape(shown)}</dd>" in html
