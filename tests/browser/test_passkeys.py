"""Passkeys in Chromium, with its virtual authenticator (DevTools' WebAuthn domain) standing in
for a phone or a security key: a new Finance user enrols with the enrolment code an
administrator gave them and a passkey, then signs in with password and passkey; and enrols an
authenticator app with a code, as before."""

import pytest
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect

from config import roles
from staff import services
from staff.models import Kind, StaffEvent
from tests.browser.test_sign_in_security import enter_password, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def virtual_authenticator(page) -> str:
    """A platform authenticator (as a laptop's fingerprint reader) that says yes at once."""
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    made = devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return str(made["authenticatorId"])


def test_a_new_finance_user_enrols_a_passkey_with_a_code_and_signs_in_with_it(page, make_user):
    maja = make_user(roles.FINANCE, username="maja")
    code = services.enrolment_code_issue(actor=None, user=maja)
    virtual_authenticator(page)

    enter_password(page, "maja")
    expect(page.get_by_role("heading", name="Or set up a passkey")).to_be_visible()
    page.get_by_label("Your enrolment code").fill(code)
    page.get_by_role("button", name="Continue with a passkey").click()
    expect(page.get_by_text("Enrolment code accepted")).to_be_visible()

    page.get_by_role("button", name="Register a passkey").click()
    expect(page.get_by_text("Your passkey is set up")).to_be_visible()
    expect(page.locator(".recovery-codes li")).to_have_count(services.RECOVERY_CODE_COUNT)
    assert WebAuthnCredential.objects.filter(user=maja).count() == 1

    sign_out(page)
    enter_password(page, "maja")
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.get_by_role("button", name="Use your passkey").click()
    expect(page.get_by_role("link", name="Credit Activity")).to_be_visible()
    page.get_by_role("link", name="Credit Activity").click()
    expect(page.get_by_role("heading", name="Credit Activity")).to_be_visible()

    kinds = list(StaffEvent.objects.filter(subject=maja).values_list("kind", "details"))
    assert (Kind.SECOND_FACTOR_ENROLLED, {"device": "passkey", "codes": 10}) in kinds
    assert (Kind.SECOND_FACTOR_VERIFIED, {"method": "a passkey"}) in kinds


def test_without_the_code_the_passkey_set_up_stays_shut(page, make_user):
    make_user(roles.FINANCE, username="maja")
    virtual_authenticator(page)

    enter_password(page, "maja")
    page.get_by_label("Your enrolment code").fill("AAAA-BBBB-CCCC-DDDD")
    page.get_by_role("button", name="Continue with a passkey").click()

    expect(page.get_by_text(services.ENROLMENT_CODE_NEEDED)).to_be_visible()
    expect(page.get_by_role("button", name="Register a passkey")).to_have_count(0)
    assert not WebAuthnCredential.objects.exists()
