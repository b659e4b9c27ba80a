"""POST /api/v1/credits/ over the integration's limits: the operation waits for a person's
approval (202), and a repeat of its key tells where it stands (202, 200 with the entry once it
ran, 409 when it was rejected or expired). Over the absolute maximum it is refused (400)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from activity.models import ActivityEvent
from config import roles
from core.errors import KEY_REUSED
from credits import services
from credits.models import ApprovalState, CreditApproval, CreditEntry, CreditOperation, CreditWallet
from credits.services.operations import DECIDED
from tests.api.conftest import INTEGRATION_NAME
from tests.credits.test_limits import HUGE_SEK, HUGE_TOKENS, SEK_MAXIMUM, TOKEN_MAXIMUM, use_limits

pytestmark = pytest.mark.django_db

CREDITS = "/api/v1/credits/"


@pytest.fixture(autouse=True)
def limits(settings):
    # The integration may grant, revoke and refund up to 5,000 SEK alone.
    use_limits(settings)


@pytest.fixture
def approver(make_user):
    return make_user(roles.FINANCE, first_name="Per", last_name="Holm")


def grant(account, /, key="grant-1", **overrides):
    body = {
        "operation": "grant",
        "idempotency_key": key,
        "account": account.customer_number,
        "amount": "6000.00",
        "credit_type": "currency",
        "currency": "SEK",
        "note": "Annual goodwill",
    }
    return {**body, **overrides}


def nothing_in_the_ledger():
    return not CreditEntry.objects.exists() and not CreditWallet.objects.exists()


def test_a_grant_over_the_integrations_limit_is_accepted_for_approval(api, account):
    response = api.post(CREDITS, grant(account))

    assert response.status_code == 202
    approval = CreditApproval.objects.get()
    body = response.json()
    assert body == {
        "request_id": approval.pk,
        "state": "pending",
        "operation": "grant",
        "account": account.customer_number,
        "credit_type": "currency",
        "currency": "SEK",
        "amount": "6000.00",
        "requested_at": body["requested_at"],
        "expires_at": body["expires_at"],
    }
    assert (approval.actor, approval.actor_name, approval.reason) == (
        None,
        INTEGRATION_NAME,
        "Annual goodwill",
    )
    assert nothing_in_the_ledger()
    event = ActivityEvent.objects.get(type="credit_request_submitted")
    assert event.actor_name == INTEGRATION_NAME


def test_a_token_grant_over_the_limit_shows_whole_tokens(api, account):
    body = grant(account, credit_type="token", amount="1001")
    del body["currency"]

    response = api.post(CREDITS, body)

    assert response.status_code == 202
    assert (response.json()["amount"], response.json()["currency"]) == ("1001", "")


def test_a_revocation_over_the_limit_waits_too(api, account):
    services.credit_grant(
        actor=None, account=account, amount="10000", credit_type="currency", currency="SEK"
    )

    response = api.post(CREDITS, grant(account, operation="revoke"))

    assert response.status_code == 202
    assert response.json()["operation"] == "revoke"
    assert CreditWallet.objects.get().balance == Decimal("10000")


def test_a_refund_over_the_limit_runs_when_approved(api, account, approver):
    services.credit_grant(
        actor=None, account=account, amount="8000", credit_type="currency", currency="SEK"
    )
    services.apply_credits(
        account=account, amount="8000", credit_type="currency", currency="SEK", transaction_id="T-1"
    )
    body = grant(account, key="refund-1", operation="refund", amount="6000", transaction_id="T-1")
    response = api.post(CREDITS, body)
    assert response.status_code == 202

    services.approval_approve(actor=approver, approval=response.json()["request_id"])

    again = api.post(CREDITS, body)
    assert again.status_code == 200
    assert (again.json()["activity"], again.json()["approved_by"]) == ("refund", "Per Holm")
    assert CreditWallet.objects.get().balance == Decimal("6000")


def test_a_retry_of_a_waiting_request_answers_the_same_request(api, account):
    first = api.post(CREDITS, grant(account))

    again = api.post(CREDITS, grant(account))

    assert again.status_code == 202
    assert again.json() == first.json()
    assert CreditApproval.objects.count() == 1
    assert ActivityEvent.objects.filter(type="credit_request_submitted").count() == 1


def test_the_key_of_a_waiting_request_with_another_payload_is_a_conflict(api, account):
    api.post(CREDITS, grant(account))

    response = api.post(CREDITS, grant(account, amount="7000.00"))

    assert response.status_code == 409
    assert response.json() == {"idempotency_key": [KEY_REUSED]}
    assert CreditApproval.objects.count() == 1


def test_after_approval_a_retry_answers_the_entry(api, account, approver):
    request_id = api.post(CREDITS, grant(account)).json()["request_id"]
    services.approval_approve(actor=approver, approval=request_id)

    response = api.post(CREDITS, grant(account))

    assert response.status_code == 200
    entry = CreditEntry.objects.get()
    body = response.json()
    assert (body["id"], body["amount"], body["note"]) == (entry.pk, "6000.00", "Annual goodwill")
    assert (body["actor"], body["approved_by"]) == (INTEGRATION_NAME, "Per Holm")
    assert entry.actor is None
    assert CreditOperation.objects.count() == 1


def test_an_approved_entry_is_listed_with_its_approver(api, account, approver):
    request_id = api.post(CREDITS, grant(account)).json()["request_id"]
    services.approval_approve(actor=approver, approval=request_id)

    response = api.get(f"/api/v1/accounts/{account.customer_number}/credit-entries/")

    (entry,) = response.json()["results"]
    assert (entry["actor"], entry["approved_by"]) == (INTEGRATION_NAME, "Per Holm")


def test_after_rejection_a_retry_is_a_conflict_with_the_reason(api, account, approver):
    request_id = api.post(CREDITS, grant(account)).json()["request_id"]
    services.approval_reject(actor=approver, approval=request_id, reason="Too generous")

    response = api.post(CREDITS, grant(account))

    assert response.status_code == 409
    assert response.json() == {
        "idempotency_key": [DECIDED[ApprovalState.REJECTED].format(note="Too generous")]
    }
    assert nothing_in_the_ledger()


def test_after_expiry_a_retry_is_a_conflict(api, account):
    api.post(CREDITS, grant(account))
    CreditApproval.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))

    response = api.post(CREDITS, grant(account))

    assert response.status_code == 409
    assert response.json() == {"idempotency_key": [DECIDED[ApprovalState.EXPIRED]]}
    assert nothing_in_the_ledger()


def test_a_grant_within_the_limits_is_written_at_once(api, account):
    response = api.post(CREDITS, grant(account, amount="5000.00"))

    assert response.status_code == 201
    assert response.json()["approved_by"] == ""
    assert CreditEntry.objects.get().amount == Decimal("5000")
    assert not CreditApproval.objects.exists()


def test_grants_over_the_integrations_daily_limit_wait(api, account):
    for n in range(4):
        assert api.post(CREDITS, grant(account, key=f"g-{n}", amount="5000")).status_code == 201

    response = api.post(CREDITS, grant(account, key="g-5", amount="0.01"))

    assert response.status_code == 202


@pytest.mark.parametrize(
    ("operation", "amount", "unit", "message"),
    [
        ("grant", HUGE_SEK, "SEK", SEK_MAXIMUM),
        ("grant", HUGE_TOKENS, "", TOKEN_MAXIMUM),
        ("revoke", HUGE_SEK, "SEK", SEK_MAXIMUM),
        ("revoke", HUGE_TOKENS, "", TOKEN_MAXIMUM),
        ("refund", HUGE_SEK, "SEK", SEK_MAXIMUM),
    ],
)
def test_an_operation_over_the_maximum_is_refused(api, account, operation, amount, unit, message):
    body = grant(
        account,
        operation=operation,
        amount=amount,
        credit_type="currency" if unit else "token",
        currency=unit,
    )
    if operation == "refund":
        body["transaction_id"] = "BILL-1"
    if not unit:
        del body["currency"]

    response = api.post(CREDITS, body)

    assert response.status_code == 400
    assert response.json() == {"amount": [message]}
    assert nothing_in_the_ledger() and not CreditApproval.objects.exists()
    assert not CreditOperation.objects.exists()


def test_a_gift_card_redemption_over_the_maximum_is_refused(api, account):
    response = api.post(
        CREDITS,
        {
            "operation": "gift_card_redemption",
            "idempotency_key": "card-1",
            "account": account.customer_number,
            "amount": HUGE_SEK,
            "currency": "SEK",
            "gift_card": "•••• 7781",
        },
    )

    assert response.status_code == 400
    assert response.json() == {"amount": [SEK_MAXIMUM]}
    assert nothing_in_the_ledger()


def test_backdated_grants_do_not_get_past_the_daily_limit(api, account):
    # Dated to the middle of yesterday (local time), a second apart, as the API allows.
    today = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time.min))
    yesterday = today - dt.timedelta(hours=12)
    statuses = [
        api.post(
            CREDITS,
            grant(
                account,
                key=f"old-{n}",
                amount="5000",
                created_at=(yesterday + dt.timedelta(seconds=n)).isoformat(),
            ),
        ).status_code
        for n in range(5)
    ]

    # 4 x 5,000 is the integration's daily limit, whichever day the grants count for; the
    # fifth would wait for approval, which a backdated operation cannot (it is refused).
    assert statuses == [201, 201, 201, 201, 400]
