"""Sign-in security in the browser: the code after the password (computed here as the app
computes it), set-up held until done, recovery codes, lockout, and pages that keep to the
Content-Security-Policy (the `page` fixture fails any test whose pages broke it)."""

import base64

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from config import roles
from staff import services
from staff.services.second_factor import WRONG_CODE
from tests.conftest import PASSWORD
from tests.factories import AccountFactory
from tests.signin import authenticator_app, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def enter_password(page, username, password=PASSWORD):
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def enter_code(page, code):
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Verify").click()
    page.wait_for_load_state()


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()


def test_finance_signs_in_with_the_code_of_their_app(page, make_user):
    maja = make_user(roles.FINANCE, username="maja")
    app = authenticator_app(maja)

    enter_password(page, "maja")
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    assert "/account/verify/" in page.url
    enter_code(page, totp_code(app))

    expect(page.get_by_role("link", name="Credit Activity")).to_be_visible()
    page.get_by_role("link", name="Credit Activity").click()
    expect(page.get_by_role("heading", name="Credit Activity")).to_be_visible()


def test_a_wrong_code_is_explained_and_opens_nothing(page, make_user):
    maja = make_user(roles.FINANCE, username="maja")
    app = authenticator_app(maja)

    enter_password(page, "maja")
    right = totp_code(app)
    enter_code(page, f"{(int(right) + 1) % 1_000_000:06d}")

    expect(page.get_by_role("alert")).to_have_text(WRONG_CODE)
    page.goto("/credits/activity/")
    assert "/account/verify/" in page.url


def test_finance_without_an_app_is_held_on_set_up_until_enrolled(page, make_user):
    nils = make_user(roles.FINANCE, username="nils")
    # What the administrator read out to Nils on the phone.
    code = services.enrolment_code_issue(actor=None, user=nils)

    enter_password(page, "nils")
    assert "/account/security/" in page.url
    expect(page.get_by_text("Your role requires a second factor")).to_be_visible()
    page.goto("/credits/activity/")
    assert "/account/security/" in page.url
    page.goto("/accounts/")
    assert "/account/security/" in page.url

    # What an authenticator app does with the key under the QR code.
    expect(page.locator(".qr-code svg")).to_be_visible()
    secret = page.locator(".totp-secret").inner_text().replace(" ", "")
    app = TOTPDevice(key=base64.b32decode(secret).hex())
    page.get_by_label("Code from the app").fill(totp_code(app))
    page.get_by_role("button", name="Confirm").click()
    # Without the enrolment code the password alone sets nothing up.
    expect(page.get_by_role("alert").first).to_contain_text("Enter the enrolment code")
    assert not services.second_factor_enrolled(nils)

    secret = page.locator(".totp-secret").inner_text().replace(" ", "")
    app = TOTPDevice(key=base64.b32decode(secret).hex())
    page.get_by_label("Code from the app").fill(totp_code(app))
    page.get_by_label("Enrolment code", exact=True).fill(code.lower())
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_text("Your authenticator app is set up.")).to_be_visible()
    expect(page.locator("ul.recovery-codes code")).to_have_count(services.RECOVERY_CODE_COUNT)
    page.goto("/credits/activity/")
    expect(page.get_by_role("heading", name="Credit Activity")).to_be_visible()


def test_a_recovery_code_works_once(page, make_user):
    maja = make_user(roles.FINANCE, username="maja")
    authenticator_app(maja)
    codes = services.recovery_codes_regenerate(user=maja)

    enter_password(page, "maja")
    expect(page.get_by_role("link", name="Credit Activity")).to_have_count(0)
    enter_code(page, codes[0])
    expect(page.get_by_role("link", name="Credit Activity")).to_be_visible()
    sign_out(page)

    enter_password(page, "maja")
    enter_code(page, codes[0])
    expect(page.get_by_role("alert")).to_have_text(WRONG_CODE)

    page.wait_for_timeout(1100)  # django-otp's throttle: a second after one wrong code
    enter_code(page, codes[1].upper())  # typed as printed, in any case
    expect(page.get_by_role("link", name="Credit Activity")).to_be_visible()
    page.goto("/account/security/")
    expect(page.locator("ul.recovery-codes code")).to_have_count(len(codes) - 2)


def test_five_wrong_passwords_lock_the_sign_in(page, make_user):
    make_user(roles.CUSTOMER_SERVICE, username="sara")
    for _ in range(5):
        enter_password(page, "sara", "wrong-password")

    enter_password(page, "sara")

    expect(page.get_by_role("alert")).to_contain_text("Sign-in is temporarily locked")
    assert "/login/" in page.url


def test_the_api_docs_work_under_the_policy(page, sign_in, make_user):
    make_user(roles.SYSTEM_ADMINISTRATOR, username="alva", is_staff=True)
    sign_in("alva")

    page.goto("/api/docs/")
    expect(page.get_by_text("/api/v1/events/", exact=True).first).to_be_visible()
    page.get_by_text("/api/v1/credits/", exact=True).click()
    expect(page.get_by_role("button", name="Try it out")).to_be_visible()

    page.goto("/api/docs/redoc/")
    expect(page.get_by_role("heading", name="Back-office integration API")).to_be_visible()
    page.get_by_placeholder("Search...").fill("credit")
    expect(page.get_by_role("menuitem", name="credits_create", exact=True)).to_be_visible()


def test_every_kind_of_page_keeps_to_the_policy(page, sign_in, make_user):
    alva = make_user(roles.SYSTEM_ADMINISTRATOR, username="alva", is_staff=True)
    account = AccountFactory(customer_number="640001")
    sign_in("alva")
    for path in [
        "/accounts/?q=640001",
        f"/accounts/{account.customer_number}/",
        f"/accounts/{account.customer_number}/activity/",
        f"/accounts/{account.customer_number}/activity/legacy/",
        "/credits/activity/",
        "/staff/activity/",
        "/account/security/",
        "/account/password/",
        "/admin/",
        "/admin/auth/user/",
        f"/admin/auth/user/{alva.pk}/change/",
        "/admin/auth/group/",
        "/admin/axes/accessattempt/",
        "/admin/staff/staffevent/",
        "/admin/credits/creditentry/",
    ]:
        response = page.goto(path)
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")


def test_the_policy_check_catches_an_inline_script(page, live_server, csp_violations):
    page.goto("/login/")

    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.injected = 1'; document.body.appendChild(s); }"
    )
    page.wait_for_timeout(200)

    assert page.evaluate("() => window.injected") is None
    assert any("script-src" in v for v in csp_violations)
    csp_violations.clear()  # provoked on purpose
