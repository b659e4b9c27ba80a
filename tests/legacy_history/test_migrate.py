"""Migrating legacy entries into the typed timeline."""

import datetime as dt
import io
import uuid

import pytest
from django.core.management import call_command
from django.urls import reverse

from activity.models import ActivityEvent
from activity.verification import count_problems
from config import roles
from legacy_history.models import LegacyEntry
from legacy_history.services import legacy_history_migrate
from tests.factories import LegacyEntryFactory

pytestmark = pytest.mark.django_db


def migrate(*args) -> str:
    out = io.StringIO()
    call_command("migrate_legacy_history", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_a_mapped_entry_becomes_a_typed_event_keeping_what_it_said(karin):
    entry = LegacyEntryFactory(
        account=karin,
        event_name="Cancellation of subscription",
        type="subscription",
        message="Cancelled by phone: moving abroad.",
        producer="jonas.ek@payway.example",
        created_at=dt.datetime(2019, 5, 1, 22, 59, 59, tzinfo=dt.UTC),
    )
    legacy_history_migrate()

    entry.refresh_from_db()
    event = entry.migrated_event
    assert event.account == karin
    assert event.type == "subscription_cancelled"
    assert event.origin == ActivityEvent.Origin.LEGACY
    assert event.occurred_at == entry.created_at
    assert event.actor is None
    assert (event.actor_name, event.actor_kind) == ("jonas.ek@payway.example", "agent")
    assert event.message == "Cancelled by phone: moving abroad."
    assert event.data == {}
    assert event.legacy_entries.get() == entry
    assert count_problems() == []  # counted into Recent Activity's totals


def test_a_system_producer_becomes_a_system_actor(karin):
    LegacyEntryFactory(account=karin, event_name="Payment received", producer="CProfit")
    legacy_history_migrate()
    event = ActivityEvent.objects.get()
    assert (event.actor_name, event.actor_kind) == ("CProfit", "system")


def test_an_unmapped_entry_stays_in_legacy(karin):
    entry = LegacyEntryFactory(account=karin, event_name="Voucher redeemed")
    report = legacy_history_migrate()
    entry.refresh_from_db()
    assert entry.migrated_event is None
    assert ActivityEvent.objects.count() == 0
    assert [(line.event_name, line.migrated, line.left) for line in report.lines] == [
        ("Voucher redeemed", 0, 1)
    ]


def test_migrating_again_creates_nothing(karin):
    LegacyEntryFactory.create_batch(3, account=karin, event_name="Account created")
    first = legacy_history_migrate(batch_size=2)
    second = legacy_history_migrate()

    assert first.migrated == 3
    assert (second.migrated, second.earlier) == (0, 3)
    assert ActivityEvent.objects.count() == 3
    assert not LegacyEntry.objects.not_migrated().exists()


def test_an_entry_always_becomes_the_same_event_id(karin):
    entry = LegacyEntryFactory(account=karin, event_name="Account created", source_id="AH-77")
    legacy_history_migrate()
    entry.refresh_from_db()
    assert entry.migrated_event_id == uuid.uuid5(
        uuid.UUID("6f1c2a57-3f0e-4a56-9a0b-6b8f3d1c7e21"), f"{karin.customer_number}/AH-77"
    )


def test_a_dry_run_writes_nothing_and_says_what_it_would_do(karin):
    LegacyEntryFactory(account=karin, event_name="Account created")
    out = migrate("--dry-run")
    assert "Would migrate 1 entries; 0 stay in Legacy mode" in out
    assert ActivityEvent.objects.count() == 0


def test_the_command_reports_each_event_name(karin):
    LegacyEntryFactory.create_batch(2, account=karin, event_name="Payment received")
    LegacyEntryFactory(account=karin, event_name="Voucher redeemed")
    out = migrate()

    lines = {line.split("  ")[0]: line.split() for line in out.splitlines()[1:-1]}
    assert lines["Payment received"][-3:] == ["2", "0", "0"]
    assert "Subscription Billing Success" in out
    assert lines["Voucher redeemed"][-3:] == ["0", "0", "1"]
    assert "Migrated 2 entries; 1 stay in Legacy mode (0 were migrated by earlier runs)." in out

    again = migrate()
    assert "Migrated 0 entries; 1 stay in Legacy mode (2 were migrated by earlier runs)." in again


def test_migrated_entries_leave_legacy_mode_and_appear_in_recent_activity(client, make_user, karin):
    client.force_login(make_user(roles.CUSTOMER_SERVICE))
    LegacyEntryFactory(account=karin, event_name="Subscription freeze", message="Frozen: summer")
    LegacyEntryFactory(account=karin, event_name="Voucher redeemed", message="Voucher: spring")
    legacy_history_migrate()

    legacy = client.get(reverse("legacy_history:legacy", args=[karin.customer_number]))
    assert "Voucher: spring" in legacy.content.decode()
    assert "Frozen: summer" not in legacy.content.decode()

    recent = reverse("activity:recent", args=[karin.customer_number])
    by_type = client.get(recent, {"type": "pause_activated"}).content.decode()
    assert "Frozen: summer" in by_type
    assert "Pause Activated" in by_type
    other_type = client.get(recent, {"type": "subscription_cancelled"}).content.decode()
    assert "Frozen: summer" not in other_type
