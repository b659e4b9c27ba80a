"""Staff activity: every kind is recorded by the path that does it — who acted, whom it
concerned, what, when and from which address — append-only, and shown to System
Administrators at /staff/activity/ with filters and a CSV download."""

import csv
import io
import os

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from django.db.utils import DatabaseError
from django.test import Client
from django.urls import reverse

from config import roles
from staff import services
from staff.models import SPECS, Kind, StaffActivityExport, StaffEvent
from staff.services import NOT_SIGNED_IN
from tests.conftest import PASSWORD, messages_of
from tests.signin import VerifiedClient, authenticator_app, totp_code
from tests.staff.conftest import enter_code, post_login

pytestmark = pytest.mark.django_db

ADMIN_ADDRESS = "192.0.2.10"
USER_ADDRESS = "198.51.100.20"
ACTIVITY = "/staff/activity/"
EXPORT = "/staff/activity/export.csv"


@pytest.fixture
def alva(make_user):
    return make_user(roles.SYSTEM_ADMINISTRATOR, username="alva", is_staff=True)


@pytest.fixture
def admin(alva):
    client = VerifiedClient(REMOTE_ADDR=ADMIN_ADDRESS)
    client.force_login(alva)
    return client


@pytest.fixture
def maja(make_user):
    return make_user(roles.FINANCE, username="maja", first_name="Maja", last_name="Ek")


def user_client():
    return Client(REMOTE_ADDR=USER_ADDRESS)


def change_form(user, **changes):
    """The admin's user form as posted, with `changes`."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on" if user.is_active else "",
        "is_staff": "on" if user.is_staff else "",
        "groups": [g.pk for g in user.groups.all()],
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


# --- One scenario per kind: each does what a person does, and returns the user it concerned.


def signed_in(admin, maja):
    post_login(user_client(), "maja")
    return maja


def sign_in_failed(admin, maja):
    post_login(user_client(), "maja", "wrong")
    return maja


def locked_out(admin, maja):
    client = user_client()
    for _ in range(5):
        post_login(client, "maja", "wrong")
    return maja


def unlocked(admin, maja):
    locked_out(admin, maja)
    admin.post(
        reverse("admin:auth_user_changelist"),
        {"action": "unlock", "_selected_action": [maja.pk]},
    )
    return maja


def second_factor_verified(admin, maja):
    client = user_client()
    post_login(client, "maja")
    enter_code(client, totp_code(authenticator_app(maja)))
    return maja


def second_factor_failed(admin, maja):
    authenticator_app(maja)
    client = user_client()
    post_login(client, "maja")
    enter_code(client, "000000")
    return maja


def _pending(client):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from staff.views import PENDING_KEY

    client.get("/account/security/")
    return totp_code(TOTPDevice(key=client.session[PENDING_KEY]))


def second_factor_enrolled(admin, maja):
    client = user_client()
    post_login(client, "maja")
    client.post(reverse("account:enrol"), {"token": _pending(client)})
    return maja


def recovery_codes_regenerated(admin, maja):
    client = VerifiedClient(REMOTE_ADDR=USER_ADDRESS)
    client.force_login(maja)
    client.post(reverse("account:recovery-codes"))
    return maja


def second_factor_removed(admin, maja):
    client = VerifiedClient(REMOTE_ADDR=USER_ADDRESS)
    client.force_login(maja)
    code = totp_code(authenticator_app(maja))
    client.post(reverse("account:remove"), {"password": PASSWORD, "token": code})
    return maja


def second_factor_reset(admin, maja):
    authenticator_app(maja)
    admin.post(
        reverse("admin:auth_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [maja.pk]},
    )
    return maja


def password_changed(admin, maja):
    client = VerifiedClient(REMOTE_ADDR=USER_ADDRESS)
    client.force_login(maja)
    new = "a-much-longer-Passphrase-42"
    client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    return maja


def user_created(admin, maja):
    admin.post(
        reverse("admin:auth_user_add"),
        {
            "username": "newbie",
            "usable_password": "true",
            "password1": "Quite-a-long-passphrase-1",
            "password2": "Quite-a-long-passphrase-1",
        },
    )
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="newbie")


def roles_changed(admin, maja):
    from django.contrib.auth.models import Group

    sales = Group.objects.get(name=roles.SALES_AGENT)
    admin.post(
        reverse("admin:auth_user_change", args=[maja.pk]), change_form(maja, groups=[sales.pk])
    )
    return maja


def staff_changed(admin, maja):
    admin.post(reverse("admin:auth_user_change", args=[maja.pk]), change_form(maja, is_staff="on"))
    return maja


def superuser_changed(admin, maja):
    # Only a superuser may give superuser status (the form shows it read-only to others).
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    client = VerifiedClient(REMOTE_ADDR=ADMIN_ADDRESS)
    client.force_login(root)
    client.post(
        reverse("admin:auth_user_change", args=[maja.pk]), change_form(maja, is_superuser="on")
    )
    return maja


def active_changed(admin, maja):
    admin.post(
        reverse("admin:auth_user_changelist"),
        {"action": "deactivate", "_selected_action": [maja.pk]},
    )
    return maja


SCENARIOS = {
    Kind.SIGNED_IN: signed_in,
    Kind.SIGN_IN_FAILED: sign_in_failed,
    Kind.LOCKED_OUT: locked_out,
    Kind.UNLOCKED: unlocked,
    Kind.SECOND_FACTOR_VERIFIED: second_factor_verified,
    Kind.SECOND_FACTOR_FAILED: second_factor_failed,
    Kind.SECOND_FACTOR_ENROLLED: second_factor_enrolled,
    Kind.RECOVERY_CODES_REGENERATED: recovery_codes_regenerated,
    Kind.SECOND_FACTOR_REMOVED: second_factor_removed,
    Kind.SECOND_FACTOR_RESET: second_factor_reset,
    Kind.PASSWORD_CHANGED: password_changed,
    Kind.USER_CREATED: user_created,
    Kind.ROLES_CHANGED: roles_changed,
    Kind.STAFF_CHANGED: staff_changed,
    Kind.SUPERUSER_CHANGED: superuser_changed,
    Kind.ACTIVE_CHANGED: active_changed,
}
# Who acts in each scenario: the user themself, the administrator, or nobody signed in.
BY_ADMIN = {
    Kind.UNLOCKED,
    Kind.SECOND_FACTOR_RESET,
    Kind.USER_CREATED,
    Kind.ROLES_CHANGED,
    Kind.STAFF_CHANGED,
    Kind.ACTIVE_CHANGED,
}
BY_NOBODY = {Kind.SIGN_IN_FAILED, Kind.LOCKED_OUT}


def test_every_kind_has_a_scenario_and_a_description():
    assert set(SCENARIOS) == set(Kind)
    assert set(SPECS) == set(Kind)


@pytest.mark.parametrize("kind", list(SCENARIOS))
def test_each_kind_is_recorded_with_who_whom_what_when_and_where(admin, alva, maja, kind):
    before = set(StaffEvent.objects.values_list("pk", flat=True))

    subject = SCENARIOS[kind](admin, maja)

    rows = StaffEvent.objects.exclude(pk__in=before).filter(kind=kind)
    assert rows.exists(), f"no {kind} row"
    row = rows.first()
    assert row.subject == subject
    assert row.subject_name == subject.username
    assert row.description and row.description != row.get_kind_display()
    assert row.occurred_at is not None
    if kind in BY_ADMIN:
        assert (row.actor, row.actor_name, str(row.address)) == (
            alva,
            alva.get_full_name(),
            ADMIN_ADDRESS,
        )
    elif kind in BY_NOBODY:
        assert (row.actor, row.actor_name, str(row.address)) == (None, NOT_SIGNED_IN, USER_ADDRESS)
    elif kind == Kind.SUPERUSER_CHANGED:
        assert row.actor.username == "root"
    else:
        assert (row.actor, str(row.address)) == (maja, USER_ADDRESS)


def test_a_role_change_in_the_admin_says_which_roles(admin, maja):
    roles_changed(admin, maja)

    rows = StaffEvent.objects.filter(kind=Kind.ROLES_CHANGED, subject=maja, actor__isnull=False)
    assert {row.description for row in rows} == {
        f"Roles: removed {roles.FINANCE}",
        f"Roles: added {roles.SALES_AGENT}",
    }


def test_a_failed_sign_in_of_nobody_keeps_the_username_typed(admin):
    post_login(user_client(), "no-such-user", "guess")

    row = StaffEvent.objects.get(kind=Kind.SIGN_IN_FAILED)
    assert (row.subject, row.subject_name) == (None, "no-such-user")
    assert "no-such-user" in row.description


def test_the_lockout_is_recorded_once_and_later_tries_as_refused(admin, maja):
    client = user_client()
    for _ in range(5):
        post_login(client, "maja", "wrong")
    post_login(client, "maja", PASSWORD)
    post_login(client, "maja", PASSWORD)

    assert StaffEvent.objects.filter(kind=Kind.LOCKED_OUT).count() == 1
    failed = StaffEvent.objects.filter(kind=Kind.SIGN_IN_FAILED).order_by("occurred_at", "id")
    assert [row.details["locked"] for row in failed] == [False] * 5 + [True] * 2


def test_a_command_line_unlock_is_recorded_as_the_system(maja):
    for _ in range(5):
        post_login(user_client(), "maja", "wrong")

    call_command("axes_reset_username", "maja", stdout=open(os.devnull, "w"))  # noqa: SIM115

    row = StaffEvent.objects.get(kind=Kind.UNLOCKED)
    assert (row.actor, row.actor_name, row.subject) == (None, "System", maja)
    assert row.details["attempts"] >= 1


def test_a_flag_change_from_the_shell_is_recorded_as_the_system(maja):
    maja.is_staff = True
    maja.save()

    row = StaffEvent.objects.get(kind=Kind.STAFF_CHANGED)
    assert (row.actor_name, row.details) == ("System", {"from": False, "to": True})


def test_saving_a_user_without_a_change_records_nothing(maja):
    before = StaffEvent.objects.count()
    maja.first_name = "Maja-Lena"
    maja.save()
    maja.groups.set(list(maja.groups.all()))
    assert StaffEvent.objects.count() == before


def test_signing_in_does_not_look_like_a_password_change(maja):
    before = StaffEvent.objects.filter(kind=Kind.PASSWORD_CHANGED).count()
    post_login(user_client(), "maja")
    assert StaffEvent.objects.filter(kind=Kind.PASSWORD_CHANGED).count() == before


def test_the_record_refuses_undeclared_details(maja):
    with pytest.raises(ValidationError) as caught:
        services.staff_event_record(
            kind=Kind.STAFF_CHANGED, actor=None, subject=maja, details={"from": 1, "extra": 2}
        )
    assert set(caught.value.message_dict) == {"details"}
    with pytest.raises(ValidationError):
        services.staff_event_record(kind="made_up", actor=None, subject=maja)


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
