"""Erasure: a customer's personal data redacted everywhere it is kept, the ledger intact."""

import datetime as dt
import subprocess
from decimal import Decimal

import pgtrigger
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from tablib import Dataset

from accounts import services
from accounts.models import Account, PaymentMethod
from activity.models import ActivityEvent
from activity.selectors import events_for_account, search_events
from activity.services import activity_record, comment_add
from core.personal_data import ACCOUNT_ANONYMISED, ANONYMISED_NAME, REDACTED
from credits import services as credits
from credits.models import CreditEntry, CreditExport, CreditOperation, CreditWallet
from legacy_history.csvfile import COLUMNS
from legacy_history.models import LegacyEntry
from legacy_history.services import legacy_history_import
from tests.factories import (
    AccountFactory,
    LegacyEntryFactory,
    ProductFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db

NAME, EMAIL, PHONE = "Karin Lövgren", "karin.lovgren@example.se", "+46 70 555 12 34"
STREET = "Storgatan 12"
CARD, KLARNA = "Visa •••• 4242", "Klarna k•••@example.se"
COMMENT = "Karin called from her summer house in Visby about the invoice."
NOTE = "Goodwill for Karin after the missed delivery to Storgatan."
GIFT_CARD = "•••• 7781"


@pytest.fixture
def karin(make_user):
    """A customer with personal data of every kind the back-office keeps."""
    finance = make_user("Finance")
    account = AccountFactory(
        customer_number="840001", name=NAME, email=EMAIL, phone=PHONE, street=STREET
    )
    subscription = SubscriptionFactory(
        account=account, order_id="ORD-840001", product=ProductFactory(currency="SEK")
    )
    services.payment_method_add(actor=None, account=account, kind="card", masked_details=CARD)
    services.payment_method_add(actor=None, account=account, kind="klarna", masked_details=KLARNA)
    comment_add(actor=finance, account=account, text=COMMENT)
    # Free text that is not declared personal, quoting the customer (the attack of 2026-12-05).
    activity_record(
        account=account,
        type="email_sent",
        data={"subject": f"Your receipt, {NAME} (call us on {PHONE})", "to": EMAIL},
    )
    credits.credit_grant(
        actor=finance,
        account=account,
        amount="100",
        credit_type="currency",
        currency="SEK",
        note=NOTE,
        idempotency_key="grant-karin-1",
    )
    credits.gift_card_redeem(
        actor=None, account=account, gift_card=GIFT_CARD, amount="50", currency="SEK"
    )
    credits.apply_credits(
        account=account,
        subscription=subscription,
        amount="30",
        credit_type="currency",
        currency="SEK",
        transaction_id="BILL-1",
    )
    LegacyEntryFactory(account=account, proprietor=EMAIL, message=f"{NAME} moved to Visby.")
    LegacyEntryFactory(account=account, event_name="Letter to Karin Lovgren", message="")
    record = credits.credit_export_start(actor=finance, filters={"account_email": EMAIL.upper()})
    credits.credit_export_finish(export=record, rows=3)
    credits.credit_export_start(actor=finance, filters={"account_name": "lövgren", "type": "token"})
    credits.credit_export_start(actor=finance, filters={"account_name": "Someone Else"})
    return account


def anonymise(account, actor=None):
    return services.account_anonymise(account=account, actor=actor, reason="Request GDPR-77")


def test_the_account_keeps_no_personal_data(karin):
    anonymise(karin)

    karin.refresh_from_db()
    assert karin.name == ANONYMISED_NAME
    assert karin.email == "anonymised-840001@anonymised.invalid"
    assert (karin.phone, karin.street, karin.postcode, karin.city) == ("", "", "", "")
    assert karin.status == Account.Status.ANONYMISED
    assert set(PaymentMethod.objects.values_list("masked_details", "brand")) == {("removed", "")}


def test_events_legacy_entries_notes_and_downloads_are_redacted(karin):
    assert search_events(events_for_account(karin), "visby").exists()
    anonymise(karin)

    # The timeline's search reads its stored folded text, which the redaction rewrote too.
    assert not search_events(events_for_account(karin), "visby").exists()
    assert search_events(events_for_account(karin), REDACTED).exists()

    comment = ActivityEvent.objects.get(account=karin, type="comment_added")
    assert comment.data == {"comment": REDACTED}
    email = ActivityEvent.objects.get(account=karin, type="email_sent")
    # The subject is not personal data, but it quoted her name and phone: only those go.
    assert email.data == {
        "subject": f"Your receipt, {REDACTED} (call us on {REDACTED})",
        "to": REDACTED,
    }
    for event in ActivityEvent.objects.filter(account=karin, type="new_payment_method"):
        assert event.data["masked_details"] == REDACTED
    legacy, letter = LegacyEntry.objects.filter(account=karin).order_by("pk")
    assert (legacy.message, legacy.proprietor) == (REDACTED, "840001")
    # Her name without its accent, in an event name: found and redacted too.
    assert letter.event_name == f"Letter to {REDACTED}"
    grant, card, _consumption = CreditEntry.objects.filter(account=karin).order_by("created_at")
    assert (grant.note, card.gift_card) == (REDACTED, REDACTED)
    assert grant.redacted_at is not None
    assert CreditOperation.objects.get().request["note"] == REDACTED
    filters = list(CreditExport.objects.order_by("pk").values_list("filters", flat=True))
    assert filters == [
        {"account_email": REDACTED},
        {"account_name": REDACTED, "type": "token"},
        {"account_name": "Someone Else"},
    ]


def test_amounts_balances_and_the_ledger_stay_as_they_were(karin, capsys):
    entries = list(
        CreditEntry.objects.order_by("pk").values_list("amount", "balance_after", "seq", "hash")
    )
    balances = list(CreditWallet.objects.order_by("pk").values_list("balance", flat=True))
    events = ActivityEvent.objects.count()

    anonymise(karin)

    after = list(
        CreditEntry.objects.order_by("pk").values_list("amount", "balance_after", "seq", "hash")
    )
    assert after == entries
    assert list(CreditWallet.objects.order_by("pk").values_list("balance", flat=True)) == balances
    # Customer Anonymised, and the end of the live subscription before it.
    assert ActivityEvent.objects.count() == events + 2
    call_command("verify_ledger")
    assert "every hash chain intact" in capsys.readouterr().out


def test_it_is_recorded_with_the_actor_and_the_reason(karin, make_user):
    admin = make_user("System Administrator")
    erasure = anonymise(karin, actor=admin)

    event = ActivityEvent.objects.get(account=karin, type="customer_anonymised")
    assert (event.actor, event.data) == (admin, {"reason": "Request GDPR-77"})
    assert erasure.done
    assert erasure.redacted["ledger entries"] == 2
    assert erasure.redacted["credit downloads"] == 2


def test_running_it_twice_changes_nothing_the_second_time(karin):
    anonymise(karin)
    events = ActivityEvent.objects.count()

    again = anonymise(karin)

    assert not again.done
    assert ActivityEvent.objects.count() == events


def test_a_reason_is_required(karin):
    with pytest.raises(ValidationError) as caught:
        services.account_anonymise(account=karin, actor=None, reason="  ")
    assert "reason" in caught.value.message_dict
    karin.refresh_from_db()
    assert karin.name == NAME


# --- Nothing personal comes back --------------------------------------------------------------


@pytest.fixture
def erased(karin):
    anonymise(karin)
    karin.refresh_from_db()
    return karin


def test_an_address_cannot_be_written_again(erased):
    with pytest.raises(ValidationError, match="anonymised"):
        services.account_update_address(actor=None, account=erased, street="Nygatan 1")


def test_a_comment_cannot_be_written_again(erased, make_user):
    with pytest.raises(ValidationError) as caught:
        comment_add(actor=make_user("Customer Service"), account=erased, text="Called again")
    assert caught.value.message_dict == {"account": [ACCOUNT_ANONYMISED]}


def test_a_payment_method_cannot_be_added_or_changed(erased):
    with pytest.raises(ValidationError, match="anonymised"):
        services.payment_method_add(
            actor=None, account=erased, kind="card", masked_details="•••• 1111"
        )
    with pytest.raises(ValidationError, match="anonymised"):
        services.payment_method_set_default(
            actor=None, method=erased.payment_methods.exclude(is_default=True).first()
        )


def test_an_email_event_from_an_integration_is_refused(erased, api):
    response = api.post(
        "/api/v1/events/",
        {
            "account": erased.customer_number,
            "type": "email_sent",
            "occurred_at": "2026-06-01T12:00:00+02:00",
            "attributes": {"subject": "Hello", "to": EMAIL},
        },
    )

    assert response.status_code == 400
    assert response.json() == {"account": [ACCOUNT_ANONYMISED]}


def test_events_without_personal_data_are_still_recorded(erased):
    activity_record(account=erased, type="credit_control_cycle_exited")


def test_a_note_cannot_be_kept_in_the_ledger_again(erased, make_user):
    with pytest.raises(ValidationError) as caught:
        credits.credit_grant(
            actor=make_user("Finance"),
            account=erased,
            amount="5",
            credit_type="currency",
            currency="SEK",
            note="For Karin",
        )
    assert caught.value.message_dict == {"note": [ACCOUNT_ANONYMISED]}
    credits.apply_credits(
        account=erased, amount="5", credit_type="currency", currency="SEK", transaction_id="T2"
    )  # billing, which keeps nothing personal, goes on


def test_legacy_history_is_not_imported_again(erased):
    dataset = Dataset(headers=list(COLUMNS))
    dataset.append(
        ["AH-AGAIN", "Comment", ":comment", "Karin again", "System", "840001",
         "2019-05-01T12:00:00+01:00", ""]
    )  # fmt: skip

    report = legacy_history_import(actor=None, datasets=[dataset], file_name="again.csv")

    assert not report.committed
    assert report.errors == [(2, f"proprietor: {ACCOUNT_ANONYMISED}")]


# --- Retention ----------------------------------------------------------------------------------


def test_purge_retention_empties_old_download_filters_only(karin, capsys):
    old, recent = CreditExport.objects.order_by("pk")[:2]
    # A download made 401 days ago (its time is written once: set past the trigger).
    with pgtrigger.ignore("credits.CreditExport:written_once"):
        CreditExport.objects.filter(pk=old.pk).update(
            created_at=timezone.now() - dt.timedelta(days=401)
        )

    call_command("purge_retention")
    call_command("purge_retention")  # again: nothing more

    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.filters == {}
    assert (old.actor_name, old.row_count) != ("", None)
    assert recent.filters != {}


# --- Nothing is left in a dump of the database ----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_dump_of_the_database_holds_none_of_the_former_personal_data(karin):
    anonymise(karin)
    settings = connection.settings_dict
    dump = subprocess.run(
        ["pg_dump", "--data-only", "--no-owner", "-h", settings["HOST"] or "127.0.0.1",
         "-p", str(settings["PORT"] or 5432), "-U", settings["USER"] or "postgres",
         settings["NAME"]],
        capture_output=True,
        text=True,
        check=True,
    ).stdout  # fmt: skip

    for former in (NAME, "Lövgren", EMAIL, "karin.lovgren", PHONE, STREET, CARD, KLARNA,
                   COMMENT, NOTE, GIFT_CARD, "moved to Visby", "Lovgren", "555 12 34"):  # fmt: skip
        assert former.casefold() not in dump.casefold(), former
    for kept in ("100.0000", "-30.0000", "120.0000", "840001", "ORD-840001", "BILL-1"):
        assert kept in dump, kept
    assert Decimal(CreditWallet.objects.get(subscription=None).balance) == Decimal("120")


def test_erasure_ends_the_live_subscriptions_first_and_says_why(karin):
    from accounts.models import Subscription
    from accounts.selectors import erasure_preview
    from accounts.services.anonymise import ENDED_BY_ERASURE

    assert erasure_preview(karin)["live subscriptions ended"] == 1

    erasure = anonymise(karin)

    subscription = Subscription.objects.get(order_id="ORD-840001")
    assert subscription.status == Subscription.Status.CANCELLED
    assert subscription.next_billing_on is None
    assert erasure.redacted["live subscriptions ended"] == 1
    ended = ActivityEvent.objects.get(type="subscription_cancelled", subscription=subscription)
    assert ended.data["reason"] == ENDED_BY_ERASURE
    types = list(
        ActivityEvent.objects.order_by("-occurred_at", "-id").values_list("type", flat=True)
    )
    assert types[:2] == ["customer_anonymised", "subscription_cancelled"]
