"""Sessions end after SESSION_IDLE_TIMEOUT without a request and SESSION_COOKIE_AGE after the
sign-in whatever happens; a password change signs out every other session. Every user changes
their own password at /account/password/, checked by Django's validators."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from config import roles
from staff.middleware import IDLE_ENDED, LIFETIME_ENDED
from staff.views import PASSWORD_CHANGED
from tests.conftest import PASSWORD, messages_of
from tests.signin import VerifiedClient
from tests.staff.conftest import is_signed_in, post_login

pytestmark = pytest.mark.django_db

PASSWORD_URL = "/account/password/"
START = dt.datetime(2026, 6, 10, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def agent_client(client, make_user):
    client.force_login(make_user(roles.CUSTOMER_SERVICE, username="sara"))
    return client


def test_the_defaults_are_thirty_minutes_idle_and_twelve_hours_in_all():
    assert settings.SESSION_IDLE_TIMEOUT == 30 * 60
    assert settings.SESSION_COOKIE_AGE == 12 * 60 * 60


def test_thirty_minutes_without_a_request_sign_out(clock, agent_client):
    assert agent_client.get("/accounts/").status_code == 200
    clock.shift(dt.timedelta(minutes=29))
    assert agent_client.get("/accounts/").status_code == 200

    clock.shift(dt.timedelta(minutes=30, seconds=1))
    response = agent_client.get("/accounts/", follow=True)

    assert response.redirect_chain[0][0].startswith(reverse("login"))
    assert IDLE_ENDED.format(30) in messages_of(response)
    assert not is_signed_in(agent_client)


def test_an_idle_form_post_is_refused_and_changes_nothing(clock, agent_client):
    clock.shift(dt.timedelta(minutes=31))

    response = agent_client.post(reverse("account:recovery-codes"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_activity_keeps_the_session_until_its_lifetime(clock, agent_client, settings):
    settings.SESSION_COOKIE_AGE = 2 * 60 * 60
    for _ in range(5):  # 100 minutes of work, a request every 20
        clock.shift(dt.timedelta(minutes=20))
        assert agent_client.get("/accounts/").status_code == 200

    clock.shift(dt.timedelta(minutes=21))
    response = agent_client.get("/accounts/", follow=True)

    assert LIFETIME_ENDED.format(2) in messages_of(response)
    assert not is_signed_in(agent_client)


def test_a_session_ends_twelve_hours_after_sign_in(clock, agent_client, settings):
    settings.SESSION_IDLE_TIMEOUT = 24 * 60 * 60  # only the lifetime applies here
    clock.shift(dt.timedelta(hours=11, minutes=59))
    assert agent_client.get("/accounts/").status_code == 200

    clock.shift(dt.timedelta(minutes=2))
    response = agent_client.get("/accounts/", follow=True)

    assert LIFETIME_ENDED.format(12) in messages_of(response)


def test_the_idle_timeout_follows_the_setting(clock, agent_client, settings):
    settings.SESSION_IDLE_TIMEOUT = 5 * 60
    clock.shift(dt.timedelta(minutes=5, seconds=1))

    assert agent_client.get("/accounts/").status_code == 302


# --- The password -------------------------------------------------------------------------


def change(client, old=PASSWORD, new="a-much-longer-Passphrase-42", again=None):
    return client.post(
        PASSWORD_URL,
        {"old_password": old, "new_password1": new, "new_password2": again or new},
        follow=True,
    )


@pytest.mark.parametrize("role", [None, *roles.ROLES])
def test_every_user_may_change_their_password(client, make_user, role):
    user = make_user(role)
    client.force_login(user)

    response = change(client)

    assert PASSWORD_CHANGED in messages_of(response)
    user.refresh_from_db()
    assert user.check_password("a-much-longer-Passphrase-42")


@pytest.mark.parametrize(
    ("new", "error"),
    [
        ("short1", "too short"),
        ("password123", "too common"),
        ("84736251947362", "entirely numeric"),
        ("sara-lindqvist", "too similar"),
    ],
)
def test_a_weak_new_password_is_refused_by_the_validators(client, make_user, new, error):
    user = make_user(roles.CUSTOMER_SERVICE, username="sara-lindqvist")
    client.force_login(user)

    html = change(client, new=new).content.decode()

    assert error in html
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_wrong_old_password_changes_nothing(client, make_user):
    user = make_user(roles.CUSTOMER_SERVICE)
    client.force_login(user)

    html = change(client, old="not-it").content.decode()

    assert "Your old password was entered incorrectly" in html
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_password_change_signs_out_every_other_session(make_user):
    user = make_user(roles.FINANCE, username="maja")
    here, elsewhere = VerifiedClient(), VerifiedClient()
    here.force_login(user)
    elsewhere.force_login(user)
    assert elsewhere.get("/credits/activity/").status_code == 200

    change(here)

    assert here.get("/credits/activity/").status_code == 200
    response = elsewhere.get("/credits/activity/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_an_administrator_changing_a_password_signs_that_user_out(make_user):
    user = make_user(roles.CUSTOMER_SERVICE, username="sara")
    sara = VerifiedClient()
    sara.force_login(user)
    admin = VerifiedClient()
    admin.force_login(make_user(roles.SYSTEM_ADMINISTRATOR, is_staff=True))

    admin.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"password1": "Another-long-passphrase-7", "password2": "Another-long-passphrase-7"},
    )

    assert sara.get("/accounts/").url.startswith(reverse("login"))
    assert post_login(VerifiedClient(), "sara", "Another-long-passphrase-7").status_code == 302
