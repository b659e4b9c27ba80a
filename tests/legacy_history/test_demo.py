"""The demo legacy history: every event name, imported and migrated, and safe to load again."""

import datetime as dt
import io

import pytest

from activity.models import ActivityEvent
from legacy_history import demo
from legacy_history.mapping import LEGACY_EVENTS
from legacy_history.models import LegacyEntry, LegacyImport
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def events_count() -> int:
    return ActivityEvent.objects.count()


@pytest.fixture
def demo_accounts(db):
    return [
        AccountFactory(
            customer_number=number,
            email=f"demo{number}@example.se",
            created_at=dt.datetime(2016, 1, 1, tzinfo=dt.UTC),
        )
        for number in ("100001", "100002", "100003")
    ]


def test_the_demo_covers_every_event_name_and_migrates_the_mapped_ones(demo_accounts):
    out = io.StringIO()
    demo.load(stdout=out)

    names = set(LegacyEntry.objects.values_list("event_name", flat=True))
    # Every name but the account's creation, which each account has on its timeline already.
    assert names == {event.name for event in LEGACY_EVENTS} - {"Account created"}
    for event in LEGACY_EVENTS:
        entries = LegacyEntry.objects.filter(event_name=event.name)
        if event.maps_to:
            assert not entries.filter(migrated_event__isnull=True).exists(), event.name
        else:
            assert not entries.filter(migrated_event__isnull=False).exists(), event.name
    assert ActivityEvent.objects.filter(origin="legacy").count() == (
        LegacyEntry.objects.filter(migrated_event__isnull=False).count()
    )
    assert set(LegacyEntry.objects.values_list("account", flat=True)) == {
        a.pk for a in demo_accounts
    }
    assert "Legacy history:" in out.getvalue()


def test_loading_the_demo_again_adds_nothing(demo_accounts):
    demo.load(stdout=io.StringIO())
    counts = (LegacyEntry.objects.count(), LegacyImport.objects.count(), events_count())
    out = io.StringIO()
    demo.load(stdout=out)

    assert (LegacyEntry.objects.count(), LegacyImport.objects.count(), events_count()) == counts
    entries = counts[0]
    assert f"0 entries imported ({entries} already there); 0 migrated" in out.getvalue()


def test_the_demo_file_is_the_same_every_time(demo_accounts):
    accounts = [(a.customer_number, a.email) for a in demo_accounts]
    assert demo.build_rows(accounts) == demo.build_rows(accounts)


def test_without_demo_accounts_nothing_is_loaded(db):
    out = io.StringIO()
    demo.load(stdout=out)
    assert LegacyEntry.objects.count() == 0
    assert "No demo accounts" in out.getvalue()
