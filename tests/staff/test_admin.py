"""Users and roles as administrators manage them in the admin: roles at a glance with the
second factor and lockout, filters and actions; roles assigned as checkboxes with no per-user
permissions; roles read-only (they are the matrix in config/roles.py); failed and locked
sign-ins, unlocked there."""

import pytest
from axes.models import AccessAttempt
from django.contrib import admin as django_admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from config import roles
from staff.models import Kind, StaffEvent
from tests.conftest import PASSWORD, messages_of
from tests.signin import VerifiedClient, authenticator_app
from tests.staff.conftest import post_login

pytestmark = pytest.mark.django_db

USERS = "admin:auth_user_changelist"


@pytest.fixture
def alva(make_user):
    return make_user(roles.SYSTEM_ADMINISTRATOR, username="alva", is_staff=True)


@pytest.fixture
def admin(alva):
    client = VerifiedClient()
    client.force_login(alva)
    return client


@pytest.fixture
def people(make_user):
    maja = make_user(roles.FINANCE, username="maja")
    authenticator_app(maja)
    sara = make_user(roles.CUSTOMER_SERVICE, username="sara")
    for _ in range(5):
        post_login(VerifiedClient(), "sara", "wrong")
    return {"maja": maja, "sara": sara}


def usernames(response) -> list[str]:
    return [user.username for user in response.context["cl"].result_list]


def test_the_user_list_shows_roles_flags_sign_in_second_factor_and_lock(admin, people):
    response = admin.get(reverse(USERS))
    html = response.content.decode()

    for column in (
        "Roles",
        "Active",
        "Staff status",
        "Last login",
        "Second factor",
        "Sign-in locked",
    ):
        assert column in html
    rows = {u.username: u for u in response.context["cl"].result_list}
    assert rows["maja"].has_second_factor and not rows["sara"].has_second_factor
    assert rows["sara"].recent_failures == 5 and rows["maja"].recent_failures == 0


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"second_factor": "yes"}, ["alva", "maja"]),  # alva: signed in with hers
        ({"locked": "yes"}, ["sara"]),
        ({"is_staff__exact": "1"}, ["alva"]),
        ({"role": "none"}, []),
    ],
)
def test_the_user_list_filters(admin, people, query, expected):
    assert usernames(admin.get(reverse(USERS), query)) == expected


def test_the_user_list_filters_by_role(admin, people):
    finance = Group.objects.get(name=roles.FINANCE)
    assert usernames(admin.get(reverse(USERS), {"role": finance.pk})) == ["maja"]


def test_the_user_list_costs_the_same_queries_for_few_or_many(
    admin, make_user, django_assert_max_num_queries
):
    for n in range(30):
        make_user(roles.SALES_AGENT, username=f"agent{n}")
    with django_assert_max_num_queries(10):
        assert admin.get(reverse(USERS)).status_code == 200


def test_deactivating_signs_the_user_out_and_is_recorded(admin, people):
    sara_client = VerifiedClient()
    sara_client.force_login(people["sara"])

    admin.post(reverse(USERS), {"action": "deactivate", "_selected_action": [people["sara"].pk]})

    people["sara"].refresh_from_db()
    assert not people["sara"].is_active
    assert sara_client.get("/accounts/").url.startswith(reverse("login"))
    assert StaffEvent.objects.filter(kind=Kind.ACTIVE_CHANGED, subject=people["sara"]).exists()


def test_an_administrator_cannot_deactivate_themself(admin, alva):
    response = admin.post(
        reverse(USERS), {"action": "deactivate", "_selected_action": [alva.pk]}, follow=True
    )

    assert "You cannot deactivate your own user." in messages_of(response)
    alva.refresh_from_db()
    assert alva.is_active


def test_unlocking_lets_the_right_password_in(admin, people):
    assert post_login(VerifiedClient(), "sara").status_code == 429

    admin.post(reverse(USERS), {"action": "unlock", "_selected_action": [people["sara"].pk]})

    assert not AccessAttempt.objects.filter(username="sara").exists()
    assert post_login(VerifiedClient(), "sara").status_code == 302


def test_resetting_the_second_factor_removes_every_device(admin, people, make_user):
    maja = people["maja"]
    StaticDevice.objects.create(user=maja, name="Recovery codes")

    admin.post(reverse(USERS), {"action": "reset_second_factor", "_selected_action": [maja.pk]})

    assert not TOTPDevice.objects.filter(user=maja).exists()
    assert not StaticDevice.objects.filter(user=maja).exists()


def test_the_user_form_assigns_roles_as_checkboxes_and_no_permissions(admin, people):
    html = admin.get(reverse("admin:auth_user_change", args=[people["maja"].pk])).content.decode()

    assert html.count('type="checkbox" name="groups"') == len(roles.ROLES)
    assert "Finance (second factor required)" in html
    assert "user_permissions" not in html
    assert "Access comes from roles only" in html


def test_a_posted_permission_is_ignored(admin, people):
    maja = people["maja"]
    permission = Permission.objects.get(codename="view_staffevent")
    data = {
        "username": "maja",
        "is_active": "on",
        "groups": [Group.objects.get(name=roles.FINANCE).pk],
        "user_permissions": [permission.pk],
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }

    admin.post(reverse("admin:auth_user_change", args=[maja.pk]), data)

    assert not maja.user_permissions.exists()
    assert not get_user_model().user_permissions.through.objects.exists()


def test_only_a_superuser_may_give_superuser_status(admin, people):
    maja = people["maja"]
    data = {
        "username": "maja",
        "is_active": "on",
        "is_superuser": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }

    admin.post(reverse("admin:auth_user_change", args=[maja.pk]), data)

    maja.refresh_from_db()
    assert not maja.is_superuser


# --- Roles -------------------------------------------------------------------------------------


def test_the_roles_page_shows_the_matrix_and_where_it_is_changed(admin):
    html = admin.get(reverse("admin:auth_group_changelist")).content.decode()

    assert "The role matrix" in html
    assert "config/roles.py" in html
    assert "credits.revoke_credit" in html and "Second factor required" in html


def test_a_role_is_read_only(admin):
    finance = Group.objects.get(name=roles.FINANCE)
    url = reverse("admin:auth_group_change", args=[finance.pk])

    html = admin.get(url).content.decode()
    assert "config/roles.py" in html
    assert "credits.revoke_credit" in html
    assert 'name="permissions"' not in html

    assert admin.post(url, {"name": "Finance", "permissions": []}).status_code == 403
    assert admin.get(reverse("admin:auth_group_add")).status_code == 403
    assert admin.post(reverse("admin:auth_group_delete", args=[finance.pk])).status_code == 403
    assert finance.permissions.count() == len(roles.ROLE_PERMISSIONS[roles.FINANCE])


# --- Failed and locked sign-ins -------------------------------------------------------------


def test_failed_sign_ins_show_in_the_admin_and_unlocking_there_is_recorded(admin, alva, people):
    changelist = admin.get(reverse("admin:axes_accessattempt_changelist"))
    attempt = changelist.context["cl"].result_list[0]
    assert attempt.username == "sara" and attempt.username_failures == 5
    assert admin.get(reverse("admin:axes_accessfailurelog_changelist")).status_code == 200

    admin.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "unlock_selected", "_selected_action": [attempt.pk]},
    )

    assert not AccessAttempt.objects.exists()
    row = StaffEvent.objects.get(kind=Kind.UNLOCKED)
    assert (row.actor, row.subject) == (alva, people["sara"])
    assert post_login(VerifiedClient(), "sara", PASSWORD).status_code == 302


def test_deleting_an_attempt_unlocks_and_is_recorded(admin, people):
    attempt = AccessAttempt.objects.get(username="sara")

    admin.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})

    assert not AccessAttempt.objects.exists()
    assert StaffEvent.objects.filter(kind=Kind.UNLOCKED).count() == 1


def test_second_factor_secrets_have_no_admin_page():
    assert not django_admin.site.is_registered(TOTPDevice)
    assert not django_admin.site.is_registered(StaticDevice)
