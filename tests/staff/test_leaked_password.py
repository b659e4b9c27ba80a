"""What an attacker holding one user's leaked password can and cannot do, role by role.

    make test PYTEST_ARGS="tests/staff/test_leaked_password.py -v"

Each test signs in as the attacker would — the real sign-in page, from an address of their
own — and checks what opens, what is refused, and what the staff activity shows afterwards.
"""

import pytest
from django.test import Client
from django.urls import reverse

from config import roles
from credits.models import CreditEntry
from staff.models import Kind, StaffEvent
from tests.conftest import PASSWORD
from tests.factories import AccountFactory
from tests.signin import VerifiedClient, authenticator_app
from tests.staff.conftest import enter_code, post_login

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.66"
# Role -> a page the role's own work needs.
WORK = {
    roles.CUSTOMER_SERVICE: "/accounts/",
    roles.SALES_AGENT: "/accounts/",
    roles.FINANCE: "/credits/activity/",
    roles.SYSTEM_ADMINISTRATOR: "/admin/auth/user/",
}
MONEY_ROLES = sorted(roles.SECOND_FACTOR_ROLES)
OTHER_ROLES = sorted(set(roles.ROLES) - roles.SECOND_FACTOR_ROLES)


def victim(make_user, role, **kwargs):
    return make_user(role, username="victim", is_staff=role == roles.SYSTEM_ADMINISTRATOR, **kwargs)


def attacker():
    return Client(REMOTE_ADDR=ATTACKER)


def grant(client, account):
    return client.post(
        reverse("credits:grant", args=[account.customer_number]),
        {
            "grant-amount": "500",
            "grant-credit_type": "currency",
            "grant-currency": "SEK",
            "grant-note": "x",
        },
    )


@pytest.mark.parametrize("role", MONEY_ROLES)
def test_a_leaked_password_of_a_money_role_opens_nothing_without_the_code(make_user, role):
    user = victim(make_user, role)
    authenticator_app(user)
    account = AccountFactory()
    client = attacker()

    assert post_login(client, "victim").status_code == 302
    for path in (WORK[role], "/accounts/", "/admin/", "/staff/activity/", "/account/security/"):
        assert client.get(path).url.startswith("/account/verify/"), path
    assert grant(client, account).url.startswith("/account/verify/")
    assert not CreditEntry.objects.exists()
    # Guessing the code: each wrong one is refused, and the throttle slows the next.
    refused = [enter_code(client, f"{n:06d}") for n in range(10)]
    assert all(r.status_code == 200 for r in refused)
    assert client.get(WORK[role]).url.startswith("/account/verify/")
    # The victim's administrators see it all, with the attacker's address.
    seen = StaffEvent.objects.filter(subject=user, address=ATTACKER)
    assert seen.filter(kind=Kind.SIGNED_IN).count() == 1
    assert seen.filter(kind=Kind.SECOND_FACTOR_FAILED).count() == 10


@pytest.mark.parametrize("role", MONEY_ROLES)
def test_a_money_role_without_an_app_yet_is_held_on_set_up(make_user, role):
    """The one opening: a user of such a role who never set up an app. The attacker can only
    set one up (then the account is theirs); administrators see such users as "Second factor:
    no" in the user list, and the set-up is recorded with its address."""
    user = victim(make_user, role)
    client = attacker()
    post_login(client, "victim")

    assert client.get(WORK[role]).url.startswith("/account/security/")
    assert client.get("/account/security/").status_code == 200
    admin = VerifiedClient()
    admin.force_login(make_user(roles.SYSTEM_ADMINISTRATOR, is_staff=True))
    listed = admin.get(reverse("admin:auth_user_changelist"), {"second_factor": "no"})
    assert user in listed.context["cl"].result_list


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_a_leaked_password_of_another_role_opens_that_roles_work_and_no_more(make_user, role):
    victim(make_user, role)
    client = attacker()

    post_login(client, "victim")

    assert client.get(WORK[role]).status_code == 200
    assert client.get("/credits/activity/").status_code == 403
    assert client.get("/staff/activity/").status_code == 403
    assert client.get("/admin/").status_code == 302  # to the admin's sign-in: not staff
    assert StaffEvent.objects.filter(kind=Kind.SIGNED_IN, address=ATTACKER).count() == 1


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_the_victim_can_close_the_door_with_their_own_app(make_user, role):
    user = victim(make_user, role)
    authenticator_app(user)
    client = attacker()

    post_login(client, "victim")

    assert client.get(WORK[role]).url.startswith("/account/verify/")


@pytest.mark.parametrize("role", roles.ROLES)
def test_guessing_another_users_password_stops_after_five_tries(make_user, role):
    victim(make_user, role)
    make_user(roles.FINANCE, username="colleague")
    client = attacker()
    post_login(client, "victim")

    answers = [post_login(Client(REMOTE_ADDR=ATTACKER), "colleague", f"guess{n}") for n in range(6)]

    assert [a.status_code for a in answers] == [200] * 4 + [429] * 2
    assert post_login(Client(REMOTE_ADDR=ATTACKER), "colleague", PASSWORD).status_code == 429


@pytest.mark.parametrize("role", roles.ROLES)
def test_a_session_from_a_leaked_password_ends_when_the_password_is_changed(make_user, role):
    user = victim(make_user, role)
    stolen = VerifiedClient(REMOTE_ADDR=ATTACKER)  # even past the second factor
    stolen.force_login(user)
    assert stolen.get(WORK[role]).status_code == 200

    mine = VerifiedClient()
    mine.force_login(user)
    new = "a-new-and-long-Passphrase-9"
    mine.post(
        "/account/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )

    assert stolen.get(WORK[role]).url.startswith(reverse("login"))
