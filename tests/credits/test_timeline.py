"""Every movement of the ledger on its account's timeline (Recent Activity's Credit category):
one event per entry that moves a balance, recorded with the entry, naming who acted, the
amount, the wallet's balance after, the transaction and the subscription; nothing for a
replay, a refusal or a status inquiry."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.services import account_anonymise
from activity.models import ActivityEvent
from activity.registry import REGISTRY, Category
from activity.verification import count_problems
from core.actors import Actor
from credits import services
from credits.models import CreditEntry, GiftCardStatus
from credits.services.timeline import EVENT_TYPES
from tests.credits.conftest import SEK, TOKENS, grant
from tests.credits.services_helpers import refused
from tests.factories import PaymentMethodFactory

pytestmark = pytest.mark.django_db

BILLING = Actor.integration("Billing engine")


def events(type_code=None):
    found = ActivityEvent.objects.order_by("occurred_at", "recorded_at")
    return list(found.filter(type=type_code) if type_code else found)


def sek(amount: str) -> dict:
    return {"amount": amount, "currency": "SEK"}


# --- One event per movement -------------------------------------------------------------------


def test_every_moving_activity_has_a_credit_event_type():
    assert {REGISTRY[code].category for code in EVENT_TYPES.values()} == {Category.CREDIT}


def test_a_grant_by_an_integration_records_credit_granted_by_it(account):
    entry = grant(account, "50", actor=BILLING, transaction_id="PUR-1", note="Welcome pack")

    (event,) = events()
    assert (event.type, event.actor_name, event.actor_kind) == (
        "credit_granted",
        "Billing engine",
        "system",
    )
    assert event.occurred_at == entry.created_at
    assert event.data == {
        "amount": sek("50.00"),
        "wallet": "Account",
        "balance_after": sek("50.00"),
        "transaction_id": "PUR-1",
        "note": "Welcome pack",
    }


def test_a_grant_by_the_system_names_the_system(account):
    grant(account, "5", **TOKENS)

    (event,) = events()
    assert (event.type, event.actor_name) == ("credit_granted", "System")
    assert event.data == {"tokens": 5, "wallet": "Account", "token_balance_after": 5}


def test_a_grant_by_a_person_is_one_manual_credit_added_and_no_credit_granted(account, finance):
    grant(account, "50", actor=finance, note="Missed delivery")

    assert [e.type for e in events()] == ["manual_credit_added"]


def test_consumption_records_one_event_per_wallet_with_its_balance_after(account, subscription):
    grant(account, "30")
    grant(account, "100", subscription)
    before = ActivityEvent.objects.count()

    application = services.apply_credits(
        actor=BILLING,
        account=account,
        subscription=subscription,
        amount="149",
        transaction_id="BILL-1",
        **SEK,
    )

    assert application.remainder == Decimal("19.00")
    consumed = events("credit_consumed")
    assert ActivityEvent.objects.count() == before + 2
    assert [e.data for e in consumed] == [
        {
            "amount": sek("100.00"),
            "wallet": "Subscription ORD-700001",
            "balance_after": sek("0.00"),
            "transaction_id": "BILL-1",
            "order_id": "ORD-700001",
        },
        {
            "amount": sek("30.00"),
            "wallet": "Account",
            "balance_after": sek("0.00"),
            "transaction_id": "BILL-1",
            "order_id": "ORD-700001",
        },
    ]
    assert {(e.actor_name, e.subscription_id) for e in consumed} == {
        ("Billing engine", subscription.pk)
    }


def test_consuming_nothing_records_nothing(account):
    services.apply_credits(account=account, amount="10", transaction_id="BILL-2", **SEK)
    assert events() == []


def test_a_revocation_by_a_person_records_credit_revoked_with_the_reason(account, finance):
    grant(account, "100")
    services.credit_revoke(
        actor=finance, account=account, amount="40", note="Twice by mistake", **SEK
    )

    (event,) = events("credit_revoked")
    assert (event.actor, event.actor_name, event.actor_kind) == (finance, "Maja Ek", "agent")
    assert event.data == {
        "amount": sek("40.00"),
        "wallet": "Account",
        "balance_after": sek("60.00"),
        "note": "Twice by mistake",
    }


def test_a_credit_refund_names_the_subscription_its_transaction_paid_for(account, subscription):
    grant(account, "100")
    services.apply_credits(
        account=account, subscription=subscription, amount="60", transaction_id="BILL-3", **SEK
    )
    services.credit_refund(
        actor=BILLING, account=account, amount="25", transaction_id="BILL-3", **SEK
    )

    (event,) = events("credit_refunded")
    assert event.subscription == subscription
    assert event.data == {
        "amount": sek("25.00"),
        "wallet": "Account",
        "balance_after": sek("65.00"),
        "transaction_id": "BILL-3",
        "order_id": "ORD-700001",
    }


def test_gift_cards_record_their_redemption_and_reversal_but_not_a_status_inquiry(account):
    card = {"gift_card": "•••• 7781", "currency": "SEK"}
    services.gift_card_redeem(actor=BILLING, account=account, amount="200", **card)
    services.gift_card_reverse(actor=BILLING, account=account, amount="50", **card)
    services.gift_card_status_inquiry(
        actor=BILLING, account=account, status=GiftCardStatus.ACTIVE, **card
    )

    assert CreditEntry.objects.count() == 3
    redeemed, reversed_ = events()
    assert (redeemed.type, reversed_.type) == ("gift_card_redeemed", "gift_card_reversed")
    assert reversed_.data == {
        "gift_card": "•••• 7781",
        "amount": sek("50.00"),
        "wallet": "Account",
        "balance_after": sek("150.00"),
    }


def test_a_manual_charge_records_the_charge_and_the_credit_it_used_once_each(account, finance):
    grant(account, "30")
    charge = services.manual_charge(
        actor=finance, account=account, amount="100", currency="SEK", note="Replacement card"
    )

    assert [e.type for e in events()] == [
        "credit_granted",
        "credit_consumed",
        "manual_charge_added",
    ]
    consumed = events("credit_consumed")[0]
    assert consumed.actor == finance
    assert consumed.data["transaction_id"] == charge.event.data["transaction_id"]
    assert consumed.data["amount"] == sek("30.00")


def test_an_approved_operation_names_its_approver(account, settings, make_user):
    from config import roles
    from tests.credits.limits_helpers import use_limits

    use_limits(settings)
    requester = make_user(roles.FINANCE, first_name="Maja", last_name="Ek")
    approver = make_user(roles.FINANCE, first_name="Per", last_name="Holm")
    grant(account, "100000")
    submitted = services.credit_request(
        actor=requester,
        operation="revoke",
        account=account,
        amount="90000",
        note="Entered in öre",
        **SEK,
    )
    assert submitted.waiting

    services.approval_approve(actor=approver, approval=submitted.approval)

    (event,) = events("credit_revoked")
    assert (event.actor, event.data["approved_by"]) == (requester, "Per Holm")


def test_the_event_is_dated_as_its_entry(account):
    when = timezone.now() - dt.timedelta(days=3)
    entry = grant(account, "10", actor=BILLING, created_at=when)
    assert events()[0].occurred_at == entry.created_at == when


# --- Where the events are read ----------------------------------------------------------------


def test_the_event_types_api_lists_them_as_the_ledgers_own(api):
    listed = {t["code"]: t for t in api.get("/api/v1/event-types/").json()}
    for code in EVENT_TYPES.values():
        assert listed[code]["category"] == "credit"
        assert listed[code]["integrations_may_record"] is False
    assert {a["key"] for a in listed["credit_consumed"]["attributes"]} >= {
        "amount",
        "tokens",
        "wallet",
        "balance_after",
        "token_balance_after",
        "transaction_id",
        "order_id",
    }


def test_the_credit_category_of_the_timeline_and_its_csv_show_the_movements(
    service_client, account, subscription
):
    grant(account, "20", actor=BILLING)
    services.apply_credits(
        account=account, subscription=subscription, amount="5", transaction_id="BILL-5", **SEK
    )
    address = reverse("activity:recent", args=[account.customer_number])

    page = service_client.get(f"{address}?category=credit")
    assert [e.type for e in page.context["page"].events] == ["credit_consumed", "credit_granted"]
    html = page.content.decode()
    assert "<dt>Balance after</dt><dd>15.00 SEK</dd>" in html

    export = reverse("activity:export", args=[account.customer_number])
    body = b"".join(service_client.get(f"{export}?category=credit").streaming_content)
    _header, *rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert [(row[2], row[3]) for row in rows] == [
        ("Credit Consumed", "Credit"),
        ("Credit Granted", "Credit"),
    ]
    assert rows[0][5] == (
        "Consumed amount: 5.00 SEK; Wallet: Account; Balance after: 15.00 SEK; "
        "Transaction ID: BILL-5; Subscription order ID: ORD-700001"
    )


# --- Replays, refusals, erasure -------------------------------------------------------------------


def test_a_keyed_replay_records_nothing_twice(account, subscription):
    grant(account, "100", idempotency_key="grant-1")
    grant(account, "100", idempotency_key="grant-1")
    call = {
        "actor": BILLING,
        "account": account,
        "subscription": subscription,
        "amount": "30",
        "transaction_id": "BILL-4",
        "idempotency_key": "BILL-4",
        **SEK,
    }
    services.apply_credits(**call)
    replay = services.apply_credits(**call)

    assert replay.replayed
    assert [e.type for e in events()] == ["credit_granted", "credit_consumed"]


def test_a_refused_movement_records_nothing(account):
    grant(account, "10")
    errors = refused(services.credit_revoke, actor=None, account=account, amount="11", **SEK)
    assert list(errors) == ["amount"]
    assert [e.type for e in events()] == ["credit_granted"]


def test_erasure_redacts_the_notes_and_gift_cards_on_the_timeline(account, make_user):
    from config import roles

    grant(account, "10", actor=BILLING, note="Karin Nilsson's promotion")
    services.gift_card_redeem(
        actor=BILLING, account=account, amount="20", gift_card="•••• 7781", currency="SEK"
    )
    admin = make_user(roles.SYSTEM_ADMINISTRATOR)

    account_anonymise(account=account, actor=admin, reason="Asked to be forgotten")

    granted, redeemed = events("credit_granted")[0], events("gift_card_redeemed")[0]
    assert granted.data["note"] == redeemed.data["gift_card"] == "[redacted]"
    assert granted.data["amount"] == sek("10.00")
    assert redeemed.data["balance_after"] == sek("30.00")


# --- What it costs the write -------------------------------------------------------------------


@pytest.mark.single_node("a Citus coordinator writes the entry and its event one by one")
def test_a_movements_event_is_written_in_its_entrys_own_statement(account, subscription):
    grant(account, "100")
    grant(account, "100", subscription)

    with CaptureQueriesContext(connection) as queries:
        services.apply_credits(
            account=account, subscription=subscription, amount="150", transaction_id="B", **SEK
        )

    statements = [q["sql"] for q in queries.captured_queries]
    entries = [sql for sql in statements if sql.startswith('WITH entry AS (INSERT INTO "credits')]
    assert len(entries) == 2
    for sql in entries:
        assert 'INSERT INTO "activity_activityevent"' in sql
        assert 'INSERT INTO "activity_eventmonthcount"' in sql
    # The two wallets looked up and locked in one query, then per wallet its entry (with the
    # wallet's update, its day total and its event); and the savepoint of the service's own
    # transaction (inside the test's). Then per wallet the lock of its lots (their new
    # remaining amounts and the allocations are parts of the entry's statement too).
    assert len(statements) == 1 + 2 * 1 + 2 + 2
    for sql in entries:
        assert 'UPDATE "credits_creditwallet"' in sql
        assert 'UPDATE "credits_creditlot"' in sql
        assert 'INSERT INTO "credits_creditallocation"' in sql
    assert count_problems() == []


def test_a_payment_method_is_not_credit(account, finance):
    method = PaymentMethodFactory(account=account)
    services.manual_refund(
        actor=finance,
        account=account,
        amount="10",
        currency="SEK",
        refunded_to=method,
        note="Price corrected",
    )
    assert [e.type for e in events()] == ["manual_refund_issued"]
