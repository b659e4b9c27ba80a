"""Second factors (django-otp): an authenticator app (TOTP), passkeys (WebAuthn, through
django-otp-webauthn: phishing-resistant, the browser signs for this site only) and ten
single-use recovery codes.

A user is *enrolled* when they have a confirmed TOTP device or a passkey; the first enrolment
also makes their recovery codes. A user whose role requires a second factor makes their first
one only with a one-time enrolment code that an administrator issued them
(`enrolment_code_issue`: shown once, to be handed over out of band; it expires and is used
once): a leaked password alone cannot set up the attacker's app or passkey.
Resetting a user's second factor issues a new one (the admin's action).

Sign-in asks for a code from either after the password. A TOTP code is accepted once (a code
at or before the last accepted time step is refused) and within one 30-second step of the
clock; a recovery code is deleted when used. Wrong codes are throttled by django-otp: after n
failures the next try waits 2^(n-1) seconds.
"""

import datetime as dt
import hashlib
import secrets
import time
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key, key_validator
from django_otp_webauthn.models import WebAuthnCredential

from core.actors import ActorLike, as_actor
from staff.models import EnrolmentCode, Kind
from staff.services.events import staff_event_record

# The permission of the roles that sign in with a second factor (config.roles gives it to them):
# code asks `has_perm`, never a group's name, and a superuser holds it too.
SECOND_FACTOR_PERMISSION = "staff.sign_in_with_second_factor"

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser, User


RECOVERY_CODE_COUNT = 10
# Enrolment codes: no 0/O or 1/I/L to misread when read out over the phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
TOTP_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
TOTP_METHOD = "the authenticator app"
RECOVERY_METHOD = "a recovery code"
PASSKEY_NAME = "Passkey"
PASSKEY_METHOD = "a passkey"

NOT_A_CODE = "Enter the 6-digit code from your authenticator app, or one of your recovery codes."
NOT_A_TOTP_CODE = "Enter the 6-digit code your authenticator app shows."
WRONG_CODE = (
    "That code was not accepted: it is wrong, expired or already used. "
    "Enter the code your app shows now, or an unused recovery code."
)
WRONG_ENROLMENT_CODE = (
    "That code does not match: check that the app shows the Back-office entry you just added, "
    "and enter its current code."
)
THROTTLED = "Too many wrong codes: wait {}, then try again."
NO_DEVICE = "You have no second factor to verify: set one up first."
ALREADY_ENROLLED = "You already have an authenticator app: remove it first to set up another."
NOT_ENROLLED = "You have no authenticator app: set one up first."
BAD_KEY = "The set-up key is not valid: reload the page to start again."
ENROLMENT_CODE_NEEDED = (
    "Enter the enrolment code an administrator gave you: your role needs it to set up a second "
    "factor. Ask an administrator for one if you have none or it expired."
)
ENROLMENT_CODE_LENGTH = 16
WRONG_PASSWORD = "Your password was not correct."
# How the staff activity says why a code was refused (the throttle's own words stand as they are).
RECORDED_REASONS = {
    WRONG_CODE: "Wrong, expired or already used code",
    NOT_A_CODE: "Not a code",
    NO_DEVICE: "No second factor set up",
}


def second_factor_required(user: "AbstractBaseUser | AnonymousUser") -> bool:
    """Whether `user` must sign in with a second factor: their roles hold
    SECOND_FACTOR_PERMISSION (the matrix gives it to SECOND_FACTOR_ROLES), or they are a
    superuser, and MFA_REQUIRED is on."""
    return bool(
        settings.MFA_REQUIRED
        and isinstance(user, PermissionsMixin)
        and user.is_authenticated
        and user.has_perm(SECOND_FACTOR_PERMISSION)
    )


def second_factor_enrolled(user: "AbstractBaseUser | AnonymousUser") -> bool:
    """Whether `user` has a confirmed authenticator app or a passkey (one query: it is asked
    on every request of a session not verified yet)."""
    if not user.is_authenticated:
        return False
    app = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    passkey = WebAuthnCredential.objects.filter(user=OuterRef("pk"), confirmed=True)
    users = get_user_model()._default_manager
    return users.filter(pk=user.pk).filter(Exists(app) | Exists(passkey)).exists()


def app_enrolled(user: "AbstractBaseUser | AnonymousUser") -> bool:
    """Whether `user` has a confirmed authenticator app."""
    return user.is_authenticated and TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def passkeys(user: "User") -> list[WebAuthnCredential]:
    """The user's passkeys, oldest first."""
    return list(WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("pk"))


def totp_new_key() -> str:
    """A new random TOTP secret (hex), to show as a QR code until the user confirms it."""
    key: str = default_key()
    return key


def _totp(key: str, user: "User") -> TOTPDevice:
    try:
        key_validator(key)
    except ValidationError:
        raise ValidationError({"token": BAD_KEY}) from None
    return TOTPDevice(user=user, name=TOTP_NAME, key=key, confirmed=False)


def totp_config_url(*, user: "User", key: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code (issuer: the
    OTP_TOTP_ISSUER setting; label: the username)."""
    url: str = _totp(key, user).config_url
    return url


def _clean(token: str) -> str:
    return "".join((token or "").split()).lower()


def _new_recovery_codes(user: "User") -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def _code_hash(code: str) -> str:
    return hashlib.sha256(_clean(code).upper().replace("-", "").encode()).hexdigest()


@transaction.atomic
def enrolment_code_issue(*, actor: ActorLike, user: "User", address: str | None = None) -> str:
    """A new one-time enrolment code for `user` (returned once: only its hash is kept), valid
    for ENROLMENT_CODE_HOURS; the user's earlier unused codes stop working."""
    now = timezone.now()
    EnrolmentCode.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(
        expires_at=now
    )
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(ENROLMENT_CODE_LENGTH))
    who = as_actor(actor)
    expires = now + dt.timedelta(hours=settings.ENROLMENT_CODE_HOURS)
    EnrolmentCode.objects.create(
        user=user,
        code_hash=_code_hash(code),
        issued_by=who.user,
        issued_by_name=who.name,
        expires_at=expires,
    )
    staff_event_record(
        kind=Kind.ENROLMENT_CODE_ISSUED,
        actor=actor,
        subject=user,
        details={"expires": timezone.localtime(expires).strftime("%Y-%m-%d %H:%M")},
        address=address,
    )
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def _usable_codes(user: "User", code: str) -> "QuerySet[EnrolmentCode]":
    return EnrolmentCode.objects.filter(
        user=user,
        code_hash=_code_hash(code or ""),
        used_at__isnull=True,
        expires_at__gt=timezone.now(),
    )


def enrolment_code_check(*, user: "User", code: str) -> None:
    """Refuse (ValidationError on `enrolment_code`) unless `code` is one of the user's unused,
    unexpired enrolment codes; it stays unused (a passkey's set-up uses it when it completes)."""
    if not _usable_codes(user, code).exists():
        raise ValidationError({"enrolment_code": ENROLMENT_CODE_NEEDED})


def _use_enrolment_code(user: "User", code: str) -> None:
    """Mark the user's matching, unexpired, unused enrolment code used; refuse otherwise."""
    found = _usable_codes(user, code).select_for_update().first()
    if found is None:
        raise ValidationError({"enrolment_code": ENROLMENT_CODE_NEEDED})
    found.used_at = timezone.now()
    found.save(update_fields=["used_at"])


@transaction.atomic
def second_factor_enrol(
    *,
    user: "User",
    key: str,
    token: str,
    enrolment_code: str = "",
    address: str | None = None,
) -> TOTPDevice:
    """Confirm the authenticator app set up with `key` by its current code `token`, and make
    ten new recovery codes (the user's way back in without the app). A user whose role requires
    a second factor also gives their enrolment code. Returns the app's device, which verified
    this session. Refuses a wrong code, a bad key and a second app (ValidationError on `token`),
    and a missing, wrong, used or expired enrolment code (on `enrolment_code`)."""
    device = _totp(key, user)
    if app_enrolled(user):
        raise ValidationError({"token": ALREADY_ENROLLED})
    first = not second_factor_enrolled(user)
    token = _clean(token)
    if not (token.isascii() and token.isdigit() and len(token) == device.digits):
        raise ValidationError({"token": NOT_A_TOTP_CODE})
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if not totp.verify(int(token), device.tolerance):
        raise ValidationError({"token": WRONG_ENROLMENT_CODE})
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device.confirmed = True
    device.last_t = totp.t()
    device.save()
    _enrolled(user, TOTP_NAME, first=first, enrolment_code=enrolment_code, address=address)
    return device


def _enrolled(
    user: "User", device_name: str, *, first: bool, enrolment_code: str, address: str | None
) -> None:
    """The end of every enrolment, in its transaction: a first second factor of a role that
    requires one uses the enrolment code (refused: ValidationError on `enrolment_code`) and
    makes the recovery codes; the enrolment is recorded."""
    if first and second_factor_required(user):
        _use_enrolment_code(user, enrolment_code)
    codes = _new_recovery_codes(user) if first else recovery_codes(user)
    staff_event_record(
        kind=Kind.SECOND_FACTOR_ENROLLED,
        actor=user,
        subject=user,
        details={"device": device_name.lower(), "codes": len(codes)},
        address=address,
    )


def passkey_enrolment_needs_code(user: "User") -> bool:
    """Whether a passkey's set-up asks for an enrolment code: the first second factor of a
    user whose role requires one. (A user who has one already adds a passkey from a session
    verified with it.)"""
    return second_factor_required(user) and not second_factor_enrolled(user)


def passkey_enrol(
    *,
    user: "User",
    passkey: WebAuthnCredential,
    enrolment_code: str = "",
    address: str | None = None,
) -> None:
    """Complete the set-up of `passkey`, just registered by django-otp-webauthn: use the
    enrolment code when it was the user's first second factor and their role requires one
    (refused, and the passkey deleted, when the code is no longer usable), make the recovery
    codes of a first second factor, and record the enrolment."""
    others = (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or WebAuthnCredential.objects.filter(user=user, confirmed=True)
        .exclude(pk=passkey.pk)
        .exists()
    )
    try:
        with transaction.atomic():
            _enrolled(
                user,
                PASSKEY_NAME,
                first=not others,
                enrolment_code=enrolment_code,
                address=address,
            )
    except ValidationError:
        passkey.delete()
        raise


def recovery_codes(user: "User") -> list[str]:
    """The user's unused recovery codes."""
    return list(
        StaticToken.objects.filter(device__user=user, device__confirmed=True)
        .order_by("pk")
        .values_list("token", flat=True)
    )


def _check(user: "User", token: str) -> tuple[Device | None, str]:
    """The device that accepts `token` (a 6-digit code goes to the app, anything else to the
    recovery codes), or None and why not. Its own transaction, which keeps django-otp's
    throttle count of a failure even when the caller refuses afterwards."""
    token = _clean(token)
    if not token or len(token) > 16 or not token.isalnum():
        return None, NOT_A_CODE
    kind = TOTPDevice if token.isdigit() else StaticDevice
    with transaction.atomic():
        devices = [d for d in devices_for_user(user, for_verify=True) if isinstance(d, kind)]
        if not devices:
            return None, WRONG_CODE
        for device in devices:
            allowed, info = device.verify_is_allowed()
            if not allowed:
                until = (info or {}).get("locked_until")
                wait = max(1, round((until - timezone.now()).total_seconds())) if until else 1
                return None, THROTTLED.format(f"{wait} second{'' if wait == 1 else 's'}")
            if device.verify_token(token):
                return device, ""
    return None, WRONG_CODE


def second_factor_verify(*, user: "User", token: str, address: str | None = None) -> Device:
    """Check a sign-in's second factor: a current code of the user's authenticator app, or one
    of their recovery codes (used up by this). Returns the device that accepted it; refuses a
    wrong, expired or reused code, and any code while throttled (ValidationError on `token`).
    Both outcomes are recorded."""
    if not any(devices_for_user(user)):
        raise ValidationError({"token": NO_DEVICE})
    device, refusal = _check(user, token)
    if device is None:
        staff_event_record(
            kind=Kind.SECOND_FACTOR_FAILED,
            actor=user,
            subject=user,
            details={"reason": RECORDED_REASONS.get(refusal, refusal)},
            address=address,
        )
        raise ValidationError({"token": refusal})
    second_factor_verified(user=user, device=device, address=address)
    return device


def second_factor_verified(*, user: "User", device: Device, address: str | None = None) -> None:
    """Record that `device` verified the user's sign-in (a passkey's signature is checked by
    django-otp-webauthn, which calls this; codes are checked by `second_factor_verify`)."""
    details: dict[str, object] = {"method": TOTP_METHOD}
    if isinstance(device, WebAuthnCredential):
        details = {"method": PASSKEY_METHOD}
    if isinstance(device, StaticDevice):
        details = {"method": RECOVERY_METHOD, "codes_left": device.token_set.count()}
    staff_event_record(
        kind=Kind.SECOND_FACTOR_VERIFIED,
        actor=user,
        subject=user,
        details=details,
        address=address,
    )


@transaction.atomic
def recovery_codes_regenerate(*, user: "User", address: str | None = None) -> list[str]:
    """Replace the user's recovery codes with ten new ones (the old stop working) and return
    them."""
    if not second_factor_enrolled(user):
        raise ValidationError({"token": NOT_ENROLLED})
    codes = _new_recovery_codes(user)
    staff_event_record(
        kind=Kind.RECOVERY_CODES_REGENERATED,
        actor=user,
        subject=user,
        details={"codes": len(codes)},
        address=address,
    )
    return codes


def _delete_devices(user: "User") -> list[str]:
    names = []
    for model in (TOTPDevice, WebAuthnCredential, StaticDevice):
        devices = model.objects.filter(user=user)
        names += [d.name for d in devices if d.confirmed]
        devices.delete()
    return names


def second_factor_remove(
    *, user: "User", password: str, token: str, address: str | None = None
) -> None:
    """The user removes their own second factor, proving it with their password and a current
    code (or a recovery code). Refuses either wrong (ValidationError on `password` or `token`);
    a user whose role requires a second factor is asked to enrol again at once."""
    if not user.check_password(password or ""):
        raise ValidationError({"password": WRONG_PASSWORD})
    second_factor_verify(user=user, token=token, address=address)
    with transaction.atomic():
        names = _delete_devices(user)
        staff_event_record(
            kind=Kind.SECOND_FACTOR_REMOVED,
            actor=user,
            subject=user,
            details={"devices": names},
            address=address,
        )


@transaction.atomic
def second_factor_reset(*, actor: ActorLike, user: "User", address: str | None = None) -> int:
    """An administrator removes another user's second factor (a lost phone): the user's
    verified sessions stop being verified, and at the next sign-in they enrol again. Returns
    the number of devices removed."""
    names = _delete_devices(user)
    staff_event_record(
        kind=Kind.SECOND_FACTOR_RESET,
        actor=actor,
        subject=user,
        details={"devices": names},
        address=address,
    )
    return len(names)
