"""Staff activity: every kind is recorded by the path that does it — who acted, whom it
concerned, what, when and from which address."""

import os

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from config import roles
from staff import services
from staff.models import SPECS, Kind, StaffEvent
from staff.services import NOT_SIGNED_IN
from tests.conftest import PASSWORD
from tests.staff.activity_scenarios import (
    BY_ADMIN,
    BY_NOBODY,
    SCENARIOS,
    USER_ADDRESS,
    roles_changed,
    user_client,
)
from tests.staff.conftest import ADMIN_ADDRESS, post_login

pytestmark = pytest.mark.django_db


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
        f"Roles: removed {roles.FINANCE} ({roles.FINANCE} → none)",
        f"Roles: added {roles.SALES_AGENT} (none → {roles.SALES_AGENT})",
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


def test_a_role_added_keeps_all_the_roles_before_and_after(make_user):
    from django.contrib.auth.models import Group

    user = make_user(roles.CUSTOMER_SERVICE, username="olle")
    user.groups.add(Group.objects.get(name=roles.SALES_AGENT))

    row = StaffEvent.objects.filter(kind=Kind.ROLES_CHANGED, subject=user).latest("occurred_at")
    both = sorted([roles.CUSTOMER_SERVICE, roles.SALES_AGENT])
    assert row.details == {
        "added": [roles.SALES_AGENT],
        "from": [roles.CUSTOMER_SERVICE],
        "to": both,
    }
    assert row.description.endswith(f"({roles.CUSTOMER_SERVICE} → {', '.join(both)})")
