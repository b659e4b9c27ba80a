"""Each reader's own clock: the time zone a user chooses (the site's by default), the pages,
date filters and CSV files that follow it, and the one click to UTC and back."""

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config import roles
from credits import services as credit_services
from staff.middleware import PREFERENCES_KEY
from staff.models import Kind, Preferences, StaffEvent
from staff.services import time_zone_choose
from staff.services.preferences import UNKNOWN_TIME_ZONE
from staff.views import SHOWING_UTC, TIME_ZONE_SAVED
from tests.conftest import messages_of
from tests.factories import (
    AccountFactory,
    ActivityEventFactory,
    LegacyEntryFactory,
    PreferencesFactory,
)

pytestmark = pytest.mark.django_db

PREFERENCES = reverse("account:preferences")
CLOCK = reverse("account:clock")
NEW_YORK = "America/New_York"
# 23:30 UTC on 1 June: 2 June 01:30 in Stockholm, 1 June 19:30 in New York.
LATE_EVENING = dt.datetime(2026, 6, 1, 23, 30, tzinfo=dt.UTC)


def csv_of(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def new_yorker(client, make_user):
    user = make_user(roles.CUSTOMER_SERVICE, username="nina")
    time_zone_choose(actor=user, user=user, time_zone=NEW_YORK)
    client.force_login(user)
    return user


@pytest.fixture
def account(db):
    account = AccountFactory(customer_number="710001")
    ActivityEventFactory(
        account=account,
        type="comment_added",
        data={"comment": "Late call"},
        occurred_at=LATE_EVENING,
    )
    return account


def recent(account, **query):
    base = reverse("activity:recent", args=[account.customer_number])
    return f"{base}?{'&'.join(f'{k}={v}' for k, v in query.items())}"


# --- Choosing a zone -------------------------------------------------------------------------


def test_a_user_who_chose_nothing_reads_the_sites_zone(service_client):
    html = service_client.get(PREFERENCES).content.decode()
    assert "Times in <strong>Europe/Stockholm</strong>" in html
    assert "Times are shown in Europe/Stockholm." in html


def test_choosing_a_zone_shows_every_page_in_it(service_client, service_user):
    response = service_client.post(PREFERENCES, {"time_zone": NEW_YORK}, follow=True)

    assert TIME_ZONE_SAVED.format(NEW_YORK) in messages_of(response)
    assert f"Times in <strong>{NEW_YORK}</strong>" in response.content.decode()
    assert Preferences.objects.get(user=service_user).time_zone == NEW_YORK


def test_a_change_of_zone_records_who_made_it(service_client, service_user):
    service_client.post(PREFERENCES, {"time_zone": NEW_YORK})

    event = StaffEvent.objects.get(kind=Kind.TIME_ZONE_CHANGED)
    assert (event.actor, event.subject) == (service_user, service_user)
    assert event.description == f"Time zone: Europe/Stockholm → {NEW_YORK}"
    assert Preferences.objects.get(user=service_user).actor == service_user


def test_the_sites_zone_can_be_chosen_again(new_yorker, client):
    client.post(PREFERENCES, {"time_zone": ""})
    assert Preferences.objects.get(user=new_yorker).time_zone == ""
    assert "Times in <strong>Europe/Stockholm</strong>" in client.get(PREFERENCES).content.decode()


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "localtime", "../../etc/passwd", "x" * 70])
def test_an_unknown_zone_is_refused_and_nothing_changes(new_yorker, client, zone):
    response = client.post(PREFERENCES, {"time_zone": zone})

    assert response.status_code == 400
    assert "Unknown time zone" in response.content.decode() or "at most" in (
        response.content.decode()
    )
    assert Preferences.objects.get(user=new_yorker).time_zone == NEW_YORK
    assert StaffEvent.objects.filter(kind=Kind.TIME_ZONE_CHANGED).count() == 1  # the fixture's


def test_the_service_refuses_an_unknown_zone_by_name(service_user):
    with pytest.raises(Exception) as caught:
        time_zone_choose(actor=service_user, user=service_user, time_zone="Nowhere/City")
    assert UNKNOWN_TIME_ZONE.format("Nowhere/City") in str(caught.value)


# --- What it costs ---------------------------------------------------------------------------


def test_the_zone_costs_no_query_a_page(client, make_user):
    """A user with a zone of their own costs the same queries as one without: the zone comes
    with the session, read at sign-in."""
    counts = []
    for zone in ("", NEW_YORK):
        user = make_user(roles.CUSTOMER_SERVICE)
        if zone:
            PreferencesFactory(user=user, time_zone=zone)
        client.force_login(user)
        client.get(PREFERENCES)  # the session's caches warm
        with CaptureQueriesContext(connection) as queries:
            client.get(PREFERENCES)
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1]


def test_a_session_from_before_the_preferences_reads_them_once(client, make_user):
    user = make_user(roles.CUSTOMER_SERVICE)
    PreferencesFactory(user=user, time_zone=NEW_YORK)
    client.force_login(user)
    session = client.session
    del session[PREFERENCES_KEY]
    session.save()

    assert f"Times in <strong>{NEW_YORK}</strong>" in client.get(PREFERENCES).content.decode()
    assert client.session[PREFERENCES_KEY]["time_zone"] == NEW_YORK


# --- Pages and date filters ------------------------------------------------------------------


def test_recent_activity_shows_times_in_the_readers_zone(new_yorker, client, account):
    html = client.get(recent(account)).content.decode()
    assert '<time datetime="2026-06-01T19:30:00-04:00">19:30</time>' in html


def test_a_date_filter_means_the_readers_day(new_yorker, client, make_user, account):
    june_first = recent(account, date_from="2026-06-01", date_to="2026-06-01")
    # 1 June in New York holds the event ...
    assert len(client.get(june_first).context["page"].events) == 1
    # ... and 1 June in Stockholm does not.
    client.force_login(make_user(roles.CUSTOMER_SERVICE))
    assert len(client.get(june_first).context["page"].events) == 0


def test_one_click_shows_utc_and_another_goes_back(new_yorker, client, account):
    response = client.post(CLOCK, {"utc": "1", "next": recent(account)}, follow=True)
    assert SHOWING_UTC in messages_of(response)
    html = response.content.decode()
    assert "Times in <strong>UTC</strong>" in html
    assert '<time datetime="2026-06-01T23:30:00+00:00">23:30</time>' in html

    response = client.post(CLOCK, {"utc": "0", "next": recent(account)}, follow=True)
    assert f"Times in <strong>{NEW_YORK}</strong>" in response.content.decode()


def test_the_clock_never_sends_off_the_site(new_yorker, client):
    response = client.post(CLOCK, {"utc": "1", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response.url == PREFERENCES


def test_utc_in_the_address_shows_one_page_in_utc(new_yorker, client, account):
    html = client.get(recent(account, utc="1")).content.decode()
    assert "Times in <strong>UTC</strong>" in html
    # ... and leaves the session's choice alone.
    assert f"Times in <strong>{NEW_YORK}</strong>" in client.get(recent(account)).content.decode()


# --- CSV files -------------------------------------------------------------------------------


def test_the_timeline_csv_names_the_readers_zone_and_offers_utc(new_yorker, client, account):
    export = reverse("activity:export", args=[account.customer_number])

    header, row = csv_of(client.get(export))
    assert header[0] == f"Time ({NEW_YORK})"
    assert row[0] == "2026-06-01T19:30:00-04:00"

    header, row = csv_of(client.get(f"{export}?utc=1"))
    assert header[0] == "Time (UTC)"
    assert row[0] == "2026-06-01T23:30:00+00:00"


def test_the_page_links_the_utc_download(new_yorker, client, account):
    html = client.get(recent(account)).content.decode()
    export = reverse("activity:export", args=[account.customer_number])
    assert f'href="{export}?utc=1" download>in UTC</a>' in html


def test_the_legacy_csv_names_the_readers_zone(new_yorker, client, account):
    LegacyEntryFactory(account=account, created_at=LATE_EVENING)
    export = reverse("legacy_history:export", args=[account.customer_number])

    header, row = csv_of(client.get(export))
    assert (header[0], header[-1]) == (f"Created ({NEW_YORK})", f"Updated ({NEW_YORK})")
    assert row[0] == "2026-06-01T19:30:00-04:00"
    assert csv_of(client.get(f"{export}?utc=1"))[0][0] == "Created (UTC)"


def test_the_credit_activity_csv_names_the_readers_zone(client, make_user, account):
    analyst = make_user(roles.FINANCE)
    PreferencesFactory(user=analyst, time_zone=NEW_YORK)
    credit_services.credit_grant(
        actor=None,
        account=account,
        amount="10",
        credit_type="currency",
        currency="SEK",
        created_at=LATE_EVENING,
    )
    client.force_login(analyst)
    export = reverse("credits:export")

    header, row = csv_of(client.get(export))
    assert header[0] == f"Date ({NEW_YORK})"
    assert row[0] == "2026-06-01T19:30:00-04:00"

    header, row = csv_of(client.get(f"{export}?utc=1"))
    assert header[0] == "Date (UTC)"
    assert row[0] == "2026-06-01T23:30:00+00:00"


def test_the_staff_activity_csv_names_the_readers_zone(admin_client, admin_user_role):
    time_zone_choose(actor=admin_user_role, user=admin_user_role, time_zone="Asia/Tokyo")
    admin_client.force_login(admin_user_role)
    export = reverse("staff:export")

    assert csv_of(admin_client.get(export))[0][0] == "When (Asia/Tokyo)"
    assert csv_of(admin_client.get(f"{export}?utc=1"))[0][0] == "When (UTC)"
