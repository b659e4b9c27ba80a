"""Staff's part of `manage.py load_demo`: no data of its own, but the note under the demo
logins that says whether they need a second factor."""

from typing import TextIO

from django.conf import settings
from django.contrib.auth.models import Group

from staff.services import SECOND_FACTOR_PERMISSION


def load(*, password: str, stdout: TextIO) -> list[str]:
    return []


def notes() -> list[str]:
    """Whether the demo's money roles must sign in with a second factor, and how to try it."""
    app_label, codename = SECOND_FACTOR_PERMISSION.split(".")
    held = Group.objects.filter(
        permissions__content_type__app_label=app_label, permissions__codename=codename
    )
    roles = " and ".join(sorted(held.values_list("name", flat=True)))
    if settings.MFA_REQUIRED:
        return [
            f"Two-factor sign-in is required for {roles}: at their first sign-in those users "
            "set up an authenticator app (a TOTP app) at /account/security/."
        ]
    return [
        f"Two-factor sign-in is OFF for this demo (MFA_REQUIRED=false): {roles} sign in with "
        "the password alone. To try it, sign in and set up an app at /account/security/ "
        "(any user; from then on that user is asked for a code), or run "
        "`MFA_REQUIRED=true make run` to require it as in production."
    ]
