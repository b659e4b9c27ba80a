"""Staff activity is append-only, and shown to System Administrators at /staff/activity/
with filters and a CSV download."""

import csv
import io

import pytest
from django.db import transaction
from django.db.utils import DatabaseError
from django.urls import reverse

from config import roles
from staff.models import StaffActivityExport, StaffEvent
from tests.conftest import messages_of
from tests.staff.activity_scenarios import USER_ADDRESS, staff_changed, user_client
from tests.staff.conftest import post_login

pytestmark = pytest.mark.django_db


ACTIVITY = "/staff/activity/"
EXPORT = "/staff/activity/export.csv"


# --- Append-only -----------------------------------------------------------------------------

REFUSED = "Cannot update or delete rows from staff_staffevent"


def test_rows_cannot_be_changed_or_deleted(maja):
    row = StaffEvent.objects.filter(subject=maja).first()
    row.subject_name = "someone-else"
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        row.save()
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        StaffEvent.objects.filter(pk=row.pk).delete()
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        StaffEvent.objects.update(details={})
    assert StaffEvent.objects.filter(pk=row.pk, subject_name="maja").exists()


def test_the_admin_shows_rows_and_changes_none(admin, maja):
    row = StaffEvent.objects.filter(subject=maja).first()
    url = reverse("admin:staff_staffevent_change", args=[row.pk])
    assert admin.get(reverse("admin:staff_staffevent_changelist")).status_code == 200
    assert admin.post(url, {"subject_name": "x"}).status_code == 403
    assert admin.post(reverse("admin:staff_staffevent_delete", args=[row.pk])).status_code == 403


# --- The page and its CSV ---------------------------------------------------------------------


def test_the_page_filters_by_user_kind_and_date(admin, maja, make_user):
    olle = make_user(roles.SALES_AGENT, username="olle")
    post_login(user_client(), "olle", "wrong")
    post_login(user_client(), "maja", "wrong")

    page = admin.get(ACTIVITY, {"user": "OLLE", "kind": "sign_in_failed"})

    table = page.context["table"]
    assert [row.subject for row in table.data] == [olle]
    today = page.context["table"].data[0].occurred_at.date().isoformat()
    assert admin.get(ACTIVITY, {"date_from": today}).context["table"].data
    assert not admin.get(ACTIVITY, {"date_to": "2001-01-01"}).context["table"].data


def test_the_user_filter_finds_what_they_did_to_others(admin, alva, maja):
    staff_changed(admin, maja)

    rows = admin.get(ACTIVITY, {"user": "alva", "kind": "staff_changed"}).context["table"].data
    assert [(row.actor, row.subject) for row in rows] == [(alva, maja)]


@pytest.mark.parametrize(
    "query",
    [{"date_from": "31/12/2026"}, {"kind": "nonsense"}, {"page": "x"}, {"user": "x" * 400}],
)
def test_bad_filters_get_a_message_never_an_error(admin, query):
    response = admin.get(ACTIVITY, query)
    assert response.status_code == 200


def test_a_date_range_backwards_is_explained(admin):
    response = admin.get(ACTIVITY, {"date_from": "2026-06-10", "date_to": "2026-06-01"})
    assert "The end date is before the start date." in response.content.decode()


def test_only_system_administrators_see_the_page(client, make_user):
    for role in (roles.FINANCE, roles.CUSTOMER_SERVICE, roles.SALES_AGENT):
        client.force_login(make_user(role))
        assert client.get(ACTIVITY).status_code == 403
        assert client.get(EXPORT).status_code == 403


def _rows(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_the_csv_holds_the_filtered_rows_and_is_formula_safe(admin, alva, maja):
    post_login(user_client(), '=HYPERLINK("http://evil")', "x")
    post_login(user_client(), "maja", "wrong")

    response = admin.get(EXPORT, {"kind": "sign_in_failed"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="staff-activity-')
    header, *rows = _rows(response)
    assert header[0] == "When (Europe/Stockholm)"
    assert header[1:] == [
        "Kind",
        "Who",
        "Who (username)",
        "Whom (username)",
        "What",
        "From address",
    ]
    assert [row[4] for row in rows] == ["maja", '\'=HYPERLINK("http://evil")']
    assert all(row[1] == "Sign-in failed" and row[6] == USER_ADDRESS for row in rows)
    assert rows[0][0].endswith(("+01:00", "+02:00"))


def test_each_download_is_recorded_with_its_filters_and_row_count(admin, alva, maja):
    post_login(user_client(), "maja", "wrong")

    _rows(admin.get(EXPORT, {"user": "maja", "kind": "sign_in_failed"}))

    record = StaffActivityExport.objects.get()
    assert (record.actor, record.filters, record.row_count) == (
        alva,
        {"user": "maja", "kind": "sign_in_failed"},
        1,
    )


def test_a_bad_filter_starts_no_download(admin):
    response = admin.get(EXPORT, {"date_from": "not-a-date"}, follow=True)

    assert any("Download not started" in m for m in messages_of(response))
    assert not StaffActivityExport.objects.exists()


def test_a_users_admin_page_links_to_their_staff_activity(admin, maja):
    html = admin.get(reverse("admin:auth_user_change", args=[maja.pk])).content.decode()
    assert f'href="{ACTIVITY}?user=maja"' in html
