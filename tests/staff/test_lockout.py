"""Lockout (django-axes) on /login/ and /admin/login/: five failures for one username from any
address, or twenty from one address, refuse every further try — the right password included —
until the cool-off has passed since the last failure."""

import datetime as dt
import os
import re
import subprocess
import sys

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from config import roles
from staff.lockout import LOCKED
from tests.conftest import PASSWORD
from tests.staff.conftest import ADMIN_LOGIN, LOGIN, is_signed_in, post_login

pytestmark = pytest.mark.django_db

WRONG = "Please enter a correct username and password"
LOCKED_START = LOCKED.split("{")[0]
# A fixed moment, so that every message of a test names the same retry time.
NOON = dt.datetime(2026, 6, 10, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture
def karin(make_user):
    return make_user(roles.CUSTOMER_SERVICE, username="karin")


def fail(client, username, times, path=LOGIN, **extra):
    return [
        post_login(client, username, "wrong-password", path=path, **extra) for _ in range(times)
    ]


def text(response) -> str:
    return response.content.decode()


def alerts(response) -> list[str]:
    """What the page says in its alerts."""
    return re.findall(r'role="alert">([^<]*)<', text(response))


def test_the_defaults_are_five_per_username_twenty_per_address_and_fifteen_minutes():
    assert settings.SIGN_IN_FAILURE_LIMIT == 5
    assert settings.SIGN_IN_ADDRESS_FAILURE_LIMIT == 20
    assert dt.timedelta(minutes=15) == settings.AXES_COOLOFF_TIME


def test_the_limits_come_from_the_environment():
    env = {
        **os.environ,
        "AXES_FAILURE_LIMIT": "3",
        "AXES_IP_FAILURE_LIMIT": "9",
        "AXES_COOLOFF_MINUTES": "40",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    script = (
        "from django.conf import settings as s;"
        "print(s.SIGN_IN_FAILURE_LIMIT, s.SIGN_IN_ADDRESS_FAILURE_LIMIT, s.AXES_COOLOFF_TIME)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["3", "9", "0:40:00"]


def test_the_fifth_failure_locks_and_the_sixth_try_with_the_right_password_is_refused(
    plain_client, karin, frozen
):
    for response in fail(plain_client, "karin", 4):
        assert response.status_code == 200
        assert WRONG in text(response)

    fifth = fail(plain_client, "karin", 1)[0]
    assert fifth.status_code == 429
    assert LOCKED_START in text(fifth)

    sixth = post_login(plain_client, "karin", PASSWORD)
    assert sixth.status_code == 429
    assert LOCKED_START in text(sixth)
    assert "Try again after 12:15" in text(sixth)  # 10:00 UTC is 12:00 in Stockholm
    assert not is_signed_in(plain_client)


def test_after_the_cool_off_the_right_password_signs_in(plain_client, karin, frozen):
    fail(plain_client, "karin", 5)
    frozen.shift(dt.timedelta(minutes=14))
    assert post_login(plain_client, "karin", PASSWORD).status_code == 429

    frozen.shift(dt.timedelta(minutes=1, seconds=1))
    response = post_login(plain_client, "karin", PASSWORD)

    assert response.status_code == 302
    assert is_signed_in(plain_client)


def test_tries_while_locked_do_not_extend_the_lock(plain_client, karin, frozen):
    fail(plain_client, "karin", 5)
    for _ in range(10):
        frozen.shift(dt.timedelta(minutes=1))
        fail(plain_client, "karin", 1)
    frozen.shift(dt.timedelta(minutes=5, seconds=1))

    assert post_login(plain_client, "karin", PASSWORD).status_code == 302


def test_the_username_is_locked_from_every_address(karin, frozen):
    for n in range(5):
        fail(Client(), "karin", 1, REMOTE_ADDR=f"192.0.2.{n + 1}")

    elsewhere = post_login(Client(), "karin", PASSWORD, REMOTE_ADDR="198.51.100.7")

    assert elsewhere.status_code == 429


def test_the_lock_says_the_same_words_whether_or_not_the_username_exists(karin, frozen):
    known = fail(Client(), "karin", 5)
    unknown = fail(Client(), "nobody-of-that-name", 5, REMOTE_ADDR="198.51.100.9")

    assert [r.status_code for r in known] == [r.status_code for r in unknown]
    assert [alerts(r) for r in known] == [alerts(r) for r in unknown]
    assert LOCKED_START in alerts(known[-1])[0]


def test_twenty_failures_from_one_address_lock_that_address_for_every_username(make_user, frozen):
    make_user(roles.CUSTOMER_SERVICE, username="olle")
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    for n in range(19):
        assert fail(attacker, f"guess{n}", 1)[0].status_code == 200
    assert fail(attacker, "guess19", 1)[0].status_code == 429

    assert post_login(attacker, "olle", PASSWORD).status_code == 429
    assert post_login(Client(REMOTE_ADDR="203.0.113.67"), "olle", PASSWORD).status_code == 302


def test_a_forged_forwarded_for_header_does_not_escape_the_address_limit(make_user, frozen):
    make_user(roles.CUSTOMER_SERVICE, username="olle")
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    for n in range(20):
        fail(attacker, f"guess{n}", 1, HTTP_X_FORWARDED_FOR=f"10.9.{n}.1")

    response = post_login(attacker, "olle", PASSWORD, HTTP_X_FORWARDED_FOR="10.200.0.1")

    assert response.status_code == 429


def test_the_admin_sign_in_is_locked_too_and_shares_the_count(make_user, frozen):
    make_user(roles.SYSTEM_ADMINISTRATOR, username="alva", is_staff=True)
    client = Client()
    fail(client, "alva", 3, path=ADMIN_LOGIN)
    fail(client, "alva", 1, path=LOGIN)
    fifth = fail(client, "alva", 1, path=ADMIN_LOGIN)[0]
    assert fifth.status_code == 429

    sixth = post_login(client, "alva", PASSWORD, path=ADMIN_LOGIN)

    assert sixth.status_code == 429
    assert LOCKED_START in text(sixth)
    assert not is_signed_in(client)


def test_a_locked_sign_in_shows_a_page_never_an_error(plain_client, karin, frozen):
    fail(plain_client, "karin", 5)
    # Odd input on a locked username: still the lockout page.
    response = plain_client.post(LOGIN, {"username": "karin", "password": "x" * 5000})
    assert response.status_code == 429
    response = plain_client.post(LOGIN, {"username": "karin"})
    assert response.status_code == 200  # the form asks for the password first
    assert not is_signed_in(plain_client)


def test_the_limit_follows_the_setting(plain_client, karin, settings, frozen):
    settings.SIGN_IN_FAILURE_LIMIT = 3

    assert [r.status_code for r in fail(plain_client, "karin", 3)] == [200, 200, 429]


def test_axes_reset_unlocks_everyone(plain_client, karin, frozen):
    fail(plain_client, "karin", 5)

    call_command("axes_reset", stdout=open(os.devnull, "w"))  # noqa: SIM115

    assert not AccessAttempt.objects.exists()
    assert post_login(plain_client, "karin", PASSWORD).status_code == 302


def test_axes_reset_username_unlocks_that_username(plain_client, karin, make_user, frozen):
    make_user(roles.CUSTOMER_SERVICE, username="olle")
    fail(Client(REMOTE_ADDR="192.0.2.1"), "karin", 5)
    fail(Client(REMOTE_ADDR="192.0.2.2"), "olle", 5)

    call_command("axes_reset_username", "karin", stdout=open(os.devnull, "w"))  # noqa: SIM115

    assert post_login(Client(), "karin", PASSWORD).status_code == 302
    assert post_login(Client(), "olle", PASSWORD).status_code == 429


def test_a_sign_in_without_its_csrf_token_is_refused_with_a_message(karin):
    client = Client(enforce_csrf_checks=True)

    response = post_login(client, "karin", PASSWORD)

    assert response.status_code == 403
    assert "Nothing was changed" in text(response)
    assert not is_signed_in(client)
    assert not AccessAttempt.objects.exists()
