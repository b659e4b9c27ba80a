"""What changed, field by field: every event that changes something keeps the values before and
after (`changes`), the timeline shows them as a diff, the CSV writes them, and erasure redacts
the values that are the customer's personal data."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts import services
from activity.models import ActivityEvent
from activity.registry import change_text, validate_attributes
from activity.services import activity_record
from tests.accounts.action_helpers import the_event
from tests.accounts.conftest import in_days
from tests.factories import PaymentMethodFactory

pytestmark = pytest.mark.django_db


def _changes(event) -> str:
    return change_text(event.data["changes"])


def test_an_address_change_keeps_each_field_before_and_after(agent, account):
    services.account_update_address(
        actor=agent, account=account, street="Storgatan 1", city="Lund", country="DK"
    )

    event = the_event(account)
    assert event.data["changes"] == [
        {"label": "City", "from": "Stockholm", "to": "Lund", "personal": True},
        {"label": "Country", "from": "Sweden", "to": "Denmark", "personal": False},
    ]


def test_a_billing_day_change_keeps_the_day_before_and_after(agent, account):
    services.account_change_billing_day(actor=agent, account=account, billing_day=3)
    assert _changes(the_event(account)) == "Billing day: 15 → 3"


def test_a_new_default_payment_method_keeps_both_as_personal(agent, account):
    PaymentMethodFactory(account=account, brand="Visa", masked_details="•••• 1111", is_default=True)
    new = PaymentMethodFactory(account=account, brand="Mastercard", masked_details="•••• 2222")

    services.payment_method_set_default(actor=agent, method=new)

    assert the_event(account).data["changes"] == [
        {
            "label": "Default payment method",
            "from": "Visa •••• 1111",
            "to": "Mastercard •••• 2222",
            "personal": True,
        }
    ]


def test_a_scheduled_and_withdrawn_downgrade_keep_product_and_date(
    agent, account, subscription, basic
):
    day = in_days(14).isoformat()
    services.subscription_schedule_downgrade(
        actor=agent, subscription=subscription, product=basic, downgrade_on=in_days(14)
    )
    services.subscription_withdraw_downgrade(actor=agent, subscription=subscription)

    scheduled, withdrawn = ActivityEvent.objects.filter(account=account).order_by("recorded_at")
    assert _changes(scheduled) == f"Downgrade to: — → Digital Basic; Downgrade on: — → {day}"
    assert _changes(withdrawn) == f"Downgrade to: Digital Basic → —; Downgrade on: {day} → —"


def test_a_product_change_keeps_the_plan_before_and_after(agent, account, subscription, premium):
    services.subscription_change_product(
        actor=agent, subscription=subscription, product=premium, reason="Asked on the phone."
    )
    assert _changes(the_event(account)) == "Product: Digital Plus → Premium"


def test_a_scheduled_pause_keeps_its_dates(agent, account, subscription):
    services.subscription_schedule_pause(
        actor=agent, subscription=subscription, pause_on=in_days(10), months=2
    )
    assert _changes(the_event(account)) == (
        f"Pause starts on: — → {in_days(10).isoformat()}; Months paused: — → 2"
    )


def test_an_action_that_changes_no_field_keeps_no_changes(agent, account, subscription):
    services.subscription_refresh_entitlements(actor=agent, subscription=subscription)
    assert "changes" not in the_event(account).data


# --- Shown --------------------------------------------------------------------------------


def test_recent_activity_shows_the_diff(service_client, agent, account):
    services.account_update_address(actor=agent, account=account, city="Malmö")
    services.account_update_address(actor=agent, account=account, city="Lund")

    response = service_client.get(reverse("activity:recent", args=[account.customer_number]))

    body = response.content.decode()
    assert '<span class="diff-label">City:</span> <del>Malmö</del> → <ins>Lund</ins>' in body


def test_the_csv_writes_the_diff(service_client, agent, account):
    services.account_update_address(actor=agent, account=account, city="Lund")

    response = service_client.get(reverse("activity:export", args=[account.customer_number]))

    assert "Changes: City: Stockholm → Lund" in b"".join(response.streaming_content).decode()


def test_a_diff_shows_its_values_escaped(service_client, account):
    activity_record(
        account=account,
        type="address_details_modified",
        data={
            "fields": ["City"],
            "changes": [{"label": "City", "from": "<b>x</b>", "to": "Lund"}],
        },
    )
    response = service_client.get(reverse("activity:recent", args=[account.customer_number]))
    assert "<del>&lt;b&gt;x&lt;/b&gt;</del>" in response.content.decode()


# --- Erasure --------------------------------------------------------------------------------


def test_erasure_redacts_the_personal_values_of_a_diff_and_keeps_the_others(
    agent, account, subscription, premium, admin_user_role
):
    services.account_update_address(actor=agent, account=account, city="Lund", country="DK")
    services.subscription_change_product(
        actor=agent, subscription=subscription, product=premium, reason="Asked on the phone."
    )

    services.account_anonymise(account=account, actor=admin_user_role, reason="GDPR-11")

    address = ActivityEvent.objects.get(account=account, type="address_details_modified")
    assert _changes(address) == "City: [redacted] → [redacted]; Country: Sweden → Denmark"
    changed = ActivityEvent.objects.get(account=account, type="subscription_changed")
    assert _changes(changed) == "Product: Digital Plus → Premium"


# --- Bad input (the API records through the same validation) --------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ("City", "must be a list of"),
        ([{"label": "City", "from": "A"}], "must be a list of"),
        ([{"label": "City", "from": "A", "to": "B", "extra": 1}], "may hold only"),
        ([{"label": "", "from": "A", "to": "B"}], "needs each label"),
        ([{"label": "City", "from": 1, "to": "B"}], "before and after as text"),
        ([{"label": "City", "from": "A", "to": "B", "personal": "yes"}], "true or false"),
        ([{"label": "City", "from": "x" * 1000, "to": "B"}], "at most 1000 characters"),
        ([{"label": "Card", "from": "", "to": "4111 1111 1111 1111"}], "card number"),
        ([{"label": f"F{n}", "from": "", "to": "x"} for n in range(31)], "at most 30 fields"),
    ],
)
def test_malformed_changes_are_refused_naming_the_field(changes, message):
    with pytest.raises(ValidationError) as refused:
        validate_attributes("address_details_modified", {"fields": ["City"], "changes": changes})
    assert message in refused.value.message_dict["attributes.changes"][0]


def test_the_api_refuses_malformed_changes_and_stores_nothing(api, account):
    response = api.post(
        "/api/v1/events/",
        {
            "account": account.customer_number,
            "type": "billing_date_changed",
            "occurred_at": "2026-05-01T10:00:00+02:00",
            "attributes": {"from": 1, "to": 2, "changes": [{"label": "Day"}]},
        },
        format="json",
    )
    assert response.status_code == 400
    assert "Changes must be a list of" in response.content.decode()
    assert not ActivityEvent.objects.filter(account=account).exists()
