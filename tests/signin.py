"""Signing in with a second factor, for tests: a TOTP code computed as an authenticator app
computes it, and a test client whose `force_login` also verifies the session's second factor
(as entering a code does), so that tests of pages other than sign-in itself sign in as before
while MFA_REQUIRED is on."""

import time

from django.conf import settings
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from staff.services import second_factor_required


def totp_code(device: TOTPDevice, *, at: float | None = None) -> str:
    """The code `device`'s authenticator app shows at `at` (now by default)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if at is None else at
    return f"{totp.token():0{device.digits}d}"


def authenticator_app(user) -> TOTPDevice:
    """The user's authenticator app: their confirmed TOTP device, set up now if they have none
    (as if they had enrolled earlier)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def verify_session(client: Client, user) -> TOTPDevice | None:
    """Mark the client's session as having entered a code (django-otp's session key), for a
    user who has an authenticator app or whose role requires one."""
    has_app = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    if not has_app and not second_factor_required(user):
        return None
    device = authenticator_app(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


class VerifiedClient(Client):
    """Django's test client whose `force_login` also verifies the second factor."""

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        verify_session(self, user)


def browser_signed_in(page, user, base_url: str) -> None:
    """Hand a Playwright page the session that signing in as `user` leaves (the password and,
    where one is needed, the code entered), then open the home page: for the browser tests of
    other pages, a second less than walking through the sign-in pages, which have their own."""
    client = VerifiedClient()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])
    page.goto("/")
