"""The second factor (django-otp): after the password, a user with an authenticator app opens
nothing until they enter a code; a user whose role requires one and has none opens nothing but
the set-up page. Wrong, expired and reused codes are refused with a message and change nothing."""

import re
import time

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from config import roles
from credits.models import CreditEntry
from staff import services
from staff.models import EnrolmentCode, Kind, StaffEvent
from staff.services.second_factor import NOT_A_CODE, THROTTLED, WRONG_CODE, WRONG_PASSWORD
from staff.sites import second_factor_satisfied
from staff.views import PENDING_KEY
from tests.conftest import PASSWORD, messages_of
from tests.factories import AccountFactory
from tests.signin import VerifiedClient, totp_code
from tests.staff.conftest import (
    SECURITY,
    VERIFY,
    code_now,
    enter_code,
    is_signed_in,
    is_verified,
    post_login,
)

pytestmark = pytest.mark.django_db

# Pages a signed-in user might ask for before the code; each must wait for it.
GUARDED = ["/accounts/", "/credits/activity/", "/admin/", "/api/docs/", "/account/password/"]


def alerts(response) -> list[str]:
    return re.findall(r'role="alert">([^<]*)<', response.content.decode())


def unescape(text: str) -> str:
    return text.replace("&#x27;", "'").replace("&quot;", '"')


# --- A user with an authenticator app ----------------------------------------------------


def test_after_the_password_every_page_waits_for_the_code(signed_in_finance):
    for path in GUARDED:
        response = signed_in_finance.get(path)
        assert response.status_code == 302, path
        assert response.url.startswith(VERIFY), path


def test_the_sign_in_goes_on_to_the_code_page(plain_client, finance):
    response = post_login(plain_client, "maja")
    assert is_signed_in(plain_client) and not is_verified(plain_client)
    assert plain_client.get(response.url).url == f"{VERIFY}?next=%2Faccounts%2F"


def test_a_current_code_opens_the_pages_and_goes_on_to_next(signed_in_finance, finance):
    response = enter_code(signed_in_finance, code_now(finance), next="/credits/activity/")

    assert response.status_code == 302
    assert response.url == "/credits/activity/"
    assert is_verified(signed_in_finance)
    assert signed_in_finance.get("/credits/activity/").status_code == 200


def test_a_wrong_code_is_refused_and_changes_nothing(signed_in_finance, finance):
    right = code_now(finance)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    response = enter_code(signed_in_finance, wrong)

    assert response.status_code == 200
    assert unescape(alerts(response)[0]) == WRONG_CODE
    assert not is_verified(signed_in_finance)
    assert signed_in_finance.get("/accounts/").status_code == 302


def test_an_expired_code_is_refused(signed_in_finance, finance_app):
    old = totp_code(finance_app, at=time.time() - 5 * 30)

    response = enter_code(signed_in_finance, old)

    assert unescape(alerts(response)[0]) == WRONG_CODE
    assert not is_verified(signed_in_finance)


def test_a_code_works_once(plain_client, finance, finance_app):
    with time_machine.travel(time.time(), tick=False):
        code = totp_code(finance_app)
        post_login(plain_client, "maja")
        assert enter_code(plain_client, code).status_code == 302

        from django.test import Client

        other = Client()
        post_login(other, "maja")
        response = enter_code(other, code)

    assert unescape(alerts(response)[0]) == WRONG_CODE
    assert not is_verified(other)


def test_repeated_wrong_codes_are_throttled_even_the_right_one(signed_in_finance, finance):
    with time_machine.travel(time.time(), tick=False):
        enter_code(signed_in_finance, "000000")
        response = enter_code(signed_in_finance, code_now(finance))

    assert unescape(alerts(response)[0]) == THROTTLED.format("1 second")
    assert not is_verified(signed_in_finance)


@pytest.mark.parametrize("token", ["", "   ", "12 34", "x" * 100, "<script>", "١٢٣٤٥٦"])
def test_odd_codes_get_a_message_never_an_error(signed_in_finance, token):
    response = enter_code(signed_in_finance, token)

    assert response.status_code == 200
    assert alerts(response)
    assert not is_verified(signed_in_finance)


def test_not_a_code_says_what_a_code_is(signed_in_finance):
    response = enter_code(signed_in_finance, "abc-def!")

    assert unescape(alerts(response)[0]) == NOT_A_CODE


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "\\\\evil"]
)
def test_a_tampered_next_goes_home_instead(signed_in_finance, finance, target):
    response = enter_code(signed_in_finance, code_now(finance), next=target)

    assert response.status_code == 302
    assert response.url == reverse("home")


def test_a_tampered_next_at_sign_in_stays_on_this_site(plain_client, agent_user):
    response = plain_client.post(
        "/login/", {"username": "sara", "password": PASSWORD, "next": "https://evil.example/"}
    )

    assert response.status_code == 302
    assert "evil" not in response.url


def test_the_code_page_without_a_csrf_token_changes_nothing(finance):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(finance)

    response = client.post(VERIFY, {"token": code_now(finance)})

    assert response.status_code == 403
    assert "Nothing was changed" in response.content.decode()
    assert not is_verified(client)


# --- Recovery codes --------------------------------------------------------------------------


def test_a_recovery_code_signs_in_once(finance, enrolled_codes):
    from django.test import Client

    first = Client()
    post_login(first, "maja")
    assert enter_code(first, enrolled_codes[0]).status_code == 302
    assert is_verified(first)

    second = Client()
    post_login(second, "maja")
    response = enter_code(second, enrolled_codes[0])
    assert unescape(alerts(response)[0]) == WRONG_CODE
    assert not is_verified(second)

    assert services.recovery_codes(finance) == enrolled_codes[1:]


def test_new_recovery_codes_replace_the_old(client, finance, enrolled_codes):
    client.force_login(finance)

    response = client.post(reverse("account:recovery-codes"), follow=True)

    new = services.recovery_codes(finance)
    assert len(new) == services.RECOVERY_CODE_COUNT
    assert not set(new) & set(enrolled_codes)
    assert "the old ones no longer work" in " ".join(messages_of(response))
    for code in new:
        assert code in response.content.decode()


# --- A role that requires a second factor, without one -----------------------------------


def test_without_an_app_every_page_leads_to_set_up(plain_client, newcomer):
    post_login(plain_client, "nils")

    for path in GUARDED:
        response = plain_client.get(path)
        assert response.status_code == 302, path
        assert response.url.startswith(SECURITY), path


def test_without_an_app_a_form_post_changes_nothing(plain_client, newcomer):
    account = AccountFactory()
    post_login(plain_client, "nils")

    response = plain_client.post(
        reverse("credits:grant", args=[account.customer_number]),
        {"grant-amount": "10", "grant-credit_type": "currency", "grant-currency": "SEK"},
    )

    assert response.status_code == 302
    assert response.url.startswith(SECURITY)
    assert not CreditEntry.objects.exists()


def test_the_set_up_page_draws_the_qr_code_here(plain_client, newcomer):
    post_login(plain_client, "nils")

    html = plain_client.get(SECURITY).content.decode()

    assert "<svg" in html and "QR code for your authenticator app" in html
    assert "Your role requires a second factor" in html
    assert "<img" not in html  # no picture fetched from anywhere
    key = plain_client.session[PENDING_KEY]
    assert plain_client.get(SECURITY).content.decode().count("<svg") == 1
    assert plain_client.session[PENDING_KEY] == key  # the same secret until confirmed


def _pending_code(client) -> str:
    device = TOTPDevice(key=client.session[PENDING_KEY])
    return totp_code(device)


def test_setting_up_the_app_opens_the_pages(plain_client, newcomer):
    code = services.enrolment_code_issue(actor=None, user=newcomer)
    post_login(plain_client, "nils")
    plain_client.get(SECURITY)

    response = plain_client.post(
        reverse("account:enrol"),
        {"token": _pending_code(plain_client), "enrolment_code": code},
        follow=True,
    )

    assert services.second_factor_enrolled(newcomer)
    assert is_verified(plain_client)
    assert len(services.recovery_codes(newcomer)) == services.RECOVERY_CODE_COUNT
    for code in services.recovery_codes(newcomer):
        assert code in response.content.decode()
    assert plain_client.get("/credits/activity/").status_code == 200


def test_a_wrong_set_up_code_sets_nothing_up(plain_client, newcomer):
    post_login(plain_client, "nils")
    plain_client.get(SECURITY)
    right = _pending_code(plain_client)

    response = plain_client.post(
        reverse("account:enrol"), {"token": f"{(int(right) + 7) % 1_000_000:06d}"}, follow=True
    )

    assert "Set-up failed" in " ".join(messages_of(response))
    assert not services.second_factor_enrolled(newcomer)
    assert not TOTPDevice.objects.exists()
    assert plain_client.get("/accounts/").url.startswith(SECURITY)


def test_a_leaked_password_alone_cannot_set_up_an_app(plain_client, newcomer):
    """The attack of 2026-12-05: the password of a Finance user without an app leads to the
    set-up page; the attacker scans the secret and enters their app's code. Without the
    enrolment code an administrator handed the real user, nothing is set up."""
    post_login(plain_client, "nils")
    plain_client.get(SECURITY)

    response = plain_client.post(
        reverse("account:enrol"), {"token": _pending_code(plain_client)}, follow=True
    )

    assert services.ENROLMENT_CODE_NEEDED in " ".join(messages_of(response))
    assert not services.second_factor_enrolled(newcomer)
    assert plain_client.get("/credits/activity/").url.startswith(SECURITY)


@pytest.mark.parametrize("case", ["wrong", "expired", "used", "superseded", "someone else's"])
def test_only_the_users_own_live_enrolment_code_sets_up_an_app(
    plain_client, newcomer, make_user, case
):
    code = services.enrolment_code_issue(actor=None, user=newcomer)
    if case == "wrong":
        code = "ABCD-EFGH-JKMN-PQRS"
    elif case == "expired":
        EnrolmentCode.objects.update(expires_at=timezone.now())
    elif case == "used":
        EnrolmentCode.objects.update(used_at=timezone.now())
    elif case == "superseded":
        services.enrolment_code_issue(actor=None, user=newcomer)
    else:
        code = services.enrolment_code_issue(actor=None, user=make_user(roles.FINANCE))
    post_login(plain_client, "nils")
    plain_client.get(SECURITY)

    plain_client.post(
        reverse("account:enrol"), {"token": _pending_code(plain_client), "enrolment_code": code}
    )

    assert not services.second_factor_enrolled(newcomer)


def test_an_enrolment_code_is_kept_as_a_hash_and_works_once(newcomer):
    code = services.enrolment_code_issue(actor=None, user=newcomer)

    stored = EnrolmentCode.objects.get(user=newcomer)
    assert code.replace("-", "") not in stored.code_hash
    assert len(code) == 19 and code.count("-") == 3


def test_setting_up_a_second_app_is_refused(client, finance):
    client.force_login(finance)
    session = client.session
    session[PENDING_KEY] = "00" * 20
    session.save()

    response = client.post(reverse("account:enrol"), {"token": "123456"}, follow=True)

    assert "already have an authenticator app" in " ".join(messages_of(response))
    assert TOTPDevice.objects.filter(user=finance).count() == 1


def test_with_mfa_required_off_the_password_alone_signs_in(plain_client, newcomer, settings):
    settings.MFA_REQUIRED = False
    post_login(plain_client, "nils")

    assert plain_client.get("/credits/activity/").status_code == 200


def test_with_mfa_required_off_a_user_with_an_app_still_enters_a_code(signed_in_finance, settings):
    settings.MFA_REQUIRED = False

    assert signed_in_finance.get("/credits/activity/").url.startswith(VERIFY)


def test_a_role_without_the_requirement_signs_in_with_the_password(plain_client, agent_user):
    post_login(plain_client, "sara")

    assert plain_client.get("/accounts/").status_code == 200


def test_the_matrix_says_which_roles_need_a_second_factor(make_user):
    required = {role: services.second_factor_required(make_user(role)) for role in roles.ROLES}
    assert required == {
        roles.SYSTEM_ADMINISTRATOR: True,
        roles.FINANCE: True,
        roles.CUSTOMER_SERVICE: False,
        roles.SALES_AGENT: False,
    }
    assert services.second_factor_required(make_user(None, is_superuser=True))


# --- Removing the app ------------------------------------------------------------------------


def remove(client, password, token):
    return client.post(
        reverse("account:remove"), {"password": password, "token": token}, follow=True
    )


def test_removing_the_app_needs_the_password(client, finance):
    client.force_login(finance)

    response = remove(client, "not-my-password", code_now(finance))

    assert WRONG_PASSWORD in " ".join(messages_of(response))
    assert services.second_factor_enrolled(finance)


def test_removing_the_app_needs_a_current_code(client, finance):
    client.force_login(finance)

    response = remove(client, PASSWORD, "000000")

    assert WRONG_CODE in " ".join(messages_of(response))
    assert services.second_factor_enrolled(finance)


def test_removing_the_app_with_both_sends_a_required_user_back_to_set_up(
    client, finance, enrolled_codes
):
    client.force_login(finance)

    response = remove(client, PASSWORD, code_now(finance))

    assert "was removed" in " ".join(messages_of(response))
    assert not TOTPDevice.objects.filter(user=finance).exists()
    assert not StaticDevice.objects.filter(user=finance).exists()
    assert client.get("/credits/activity/").url.startswith(SECURITY)


# --- The admin ---------------------------------------------------------------------------------


@pytest.fixture
def alva(make_user):
    return make_user(roles.SYSTEM_ADMINISTRATOR, username="alva", is_staff=True)


def test_the_admin_waits_for_the_code_too(plain_client, alva):
    from tests.signin import authenticator_app

    authenticator_app(alva)
    post_login(plain_client, "alva", path="/admin/login/")

    response = plain_client.get("/admin/")

    assert response.status_code == 302
    assert response.url.startswith(VERIFY)


def test_the_admin_site_itself_asks_for_the_second_factor(rf, alva):
    from django_otp.middleware import OTPMiddleware

    request = rf.get("/admin/")
    request.user = alva
    request.session = {}
    OTPMiddleware(lambda r: None)._verify_user_sync(request, alva)

    assert not second_factor_satisfied(alva)
    from django.contrib import admin

    assert not admin.site.has_permission(request)


def test_an_administrator_resets_another_users_second_factor(alva, finance):
    maja = VerifiedClient()
    maja.force_login(finance)
    assert maja.get("/credits/activity/").status_code == 200
    admin_client = VerifiedClient(REMOTE_ADDR="192.0.2.10")
    admin_client.force_login(alva)

    admin_client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [finance.pk]},
    )

    assert not services.second_factor_enrolled(finance)
    event = StaffEvent.objects.get(kind=Kind.SECOND_FACTOR_RESET)
    assert (event.actor, event.subject, str(event.address)) == (alva, finance, "192.0.2.10")
    # Her verified session is verified no more: she sets an app up again.
    assert maja.get("/credits/activity/").url.startswith(SECURITY)


def test_only_the_user_themself_sees_their_codes(client, finance, enrolled_codes, make_user):
    other = make_user(roles.FINANCE)
    client.force_login(other)

    html = client.get(SECURITY).content.decode()

    assert not any(code in html for code in enrolled_codes)
    assert get_user_model().objects.count() == 2
