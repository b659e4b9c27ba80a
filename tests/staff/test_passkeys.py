"""Passkeys (django-otp-webauthn) as a second factor: a leaked password alone cannot register
the attacker's passkey on a money role's account; an enrolment code opens the set-up; a user
who has a second factor adds a passkey only from a session verified with it; a passkey is asked
for only after the password. The browser test (tests/browser/test_passkeys.py) runs the whole
ceremony with Chromium's virtual authenticator."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp_webauthn.models import WebAuthnCredential

from config import roles
from staff import services
from staff.models import EnrolmentCode, Kind, StaffEvent
from staff.views import PASSKEY_CODE_KEY
from tests.signin import authenticator_app
from tests.staff.conftest import post_login
from tests.staff.test_leaked_password import attacker

pytestmark = pytest.mark.django_db

BEGIN = reverse("account:passkey-register-begin")
COMPLETE = reverse("account:passkey-register-complete")


@pytest.fixture
def maja(make_user):
    return make_user(roles.FINANCE, username="maja")


def signed_in_with_password(username="maja"):
    client = attacker()
    post_login(client, username)
    return client


def a_passkey(user, credential_id=b"\x01" * 16):
    """A passkey row as django-otp-webauthn stores one after a ceremony."""
    return WebAuthnCredential.objects.create(
        user=user,
        name="Passkey",
        confirmed=True,
        credential_id=credential_id,
        public_key=b"\x02" * 32,
        sign_count=0,
    )


def test_a_leaked_password_cannot_register_a_passkey_on_a_money_role(maja):
    client = signed_in_with_password()

    answer = client.post(BEGIN)

    assert answer.status_code == 403
    assert answer.json() == {
        "detail": services.ENROLMENT_CODE_NEEDED,
        "code": "enrolment_code_needed",
    }
    assert "otp_webauthn_register_state" not in client.session
    assert not WebAuthnCredential.objects.exists()


def test_a_wrong_enrolment_code_is_refused_and_opens_nothing(maja):
    services.enrolment_code_issue(actor=None, user=maja)
    client = signed_in_with_password()

    answer = client.post(
        reverse("account:passkey-code"), {"enrolment_code": "AAAA-BBBB-CCCC-DDDD"}, follow=True
    )

    assert services.ENROLMENT_CODE_NEEDED in answer.content.decode()
    assert PASSKEY_CODE_KEY not in client.session
    assert client.post(BEGIN).status_code == 403


def test_an_expired_code_opens_nothing(maja):
    code = services.enrolment_code_issue(actor=None, user=maja)
    EnrolmentCode.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    client = signed_in_with_password()

    client.post(reverse("account:passkey-code"), {"enrolment_code": code})

    assert client.post(BEGIN).status_code == 403


def test_an_enrolment_code_opens_the_set_up_for_this_site_only(maja):
    code = services.enrolment_code_issue(actor=None, user=maja)
    client = signed_in_with_password()
    page = client.get(reverse("account:security"))
    assert b"Continue with a passkey" in page.content

    client.post(reverse("account:passkey-code"), {"enrolment_code": code})
    options = client.post(BEGIN)

    assert options.status_code == 200
    body = options.json()
    assert body["rp"]["id"] == "testserver"
    assert body["user"]["name"] == "maja"
    assert body["challenge"]
    # Checked, not used: the code is used when the passkey is registered.
    assert EnrolmentCode.objects.get().used_at is None
    assert b"Register a passkey" in client.get(reverse("account:security")).content


def test_a_user_with_an_app_adds_a_passkey_only_from_a_verified_session(maja):
    authenticator_app(maja)
    client = signed_in_with_password()

    # Not verified yet: the second-factor page comes first, for this address as for any.
    answer = client.post(BEGIN)

    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("account:verify"))


@pytest.mark.parametrize(
    "name",
    [
        "account:passkey-register-begin",
        "account:passkey-register-complete",
        "account:passkey-verify-complete",
    ],
)
def test_nobody_signed_in_reaches_no_ceremony(name):
    answer = attacker().post(reverse(name), content_type="application/json", data="{}")

    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("login"))


def test_a_passkey_is_asked_for_only_after_the_password(maja):
    a_passkey(maja)
    anonymous = attacker()

    answer = anonymous.post(reverse("account:passkey-verify-begin"))

    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("login"))
    assert "otp_webauthn_authentication_state" not in anonymous.session


def test_after_the_password_the_passkey_is_offered_with_the_codes(maja):
    a_passkey(maja)
    client = signed_in_with_password()

    page = client.get(reverse("account:verify"))
    options = client.post(reverse("account:passkey-verify-begin"))

    assert b"Use your passkey" in page.content
    assert options.status_code == 200
    assert [c["id"] for c in options.json()["allowCredentials"]] == ["AQEBAQEBAQEBAQEBAQEBAQ"]


def test_completing_a_first_passkey_uses_the_code_and_makes_recovery_codes(maja):
    code = services.enrolment_code_issue(actor=None, user=maja)
    passkey = a_passkey(maja)

    services.passkey_enrol(user=maja, passkey=passkey, enrolment_code=code, address="192.0.2.9")

    assert EnrolmentCode.objects.get().used_at is not None
    assert StaticToken.objects.filter(device__user=maja).count() == services.RECOVERY_CODE_COUNT
    event = StaffEvent.objects.get(kind=Kind.SECOND_FACTOR_ENROLLED)
    assert event.details == {"device": "passkey", "codes": services.RECOVERY_CODE_COUNT}
    assert services.second_factor_enrolled(maja)


def test_a_code_used_up_meanwhile_refuses_the_passkey_and_removes_it(maja):
    code = services.enrolment_code_issue(actor=None, user=maja)
    EnrolmentCode.objects.update(used_at=timezone.now())
    passkey = a_passkey(maja)

    with pytest.raises(ValidationError) as refused:
        services.passkey_enrol(user=maja, passkey=passkey, enrolment_code=code)

    assert refused.value.message_dict == {"enrolment_code": [services.ENROLMENT_CODE_NEEDED]}
    assert not WebAuthnCredential.objects.exists()
    assert not services.second_factor_enrolled(maja)
    assert not StaffEvent.objects.filter(kind=Kind.SECOND_FACTOR_ENROLLED).exists()


def test_a_reset_removes_passkeys_too(maja, make_user):
    a_passkey(maja)
    admin = make_user(roles.SYSTEM_ADMINISTRATOR, username="alva")

    assert services.second_factor_reset(actor=admin, user=maja) == 1

    assert not WebAuthnCredential.objects.exists()
    assert not services.second_factor_enrolled(maja)


def test_pages_may_ask_for_passkeys_and_nobody_else_may(maja, client):
    answer = client.get(reverse("login"))

    policy = answer["Permissions-Policy"]
    assert "publickey-credentials-get=(self)" in policy
    assert "publickey-credentials-create=(self)" in policy
    assert "camera=()" in policy
