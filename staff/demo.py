"""Staff's part of `manage.py load_demo`: one demo user reading times in another time zone, a
few saved views (one's own and ones shared with a role), and the note under the demo logins
that says whether they need a second factor. Runs after the accounts' demo, which makes the
users; safe to run again."""

from typing import TextIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from core import savedviews
from core.roles import Role
from staff.models import SavedView
from staff.services import SECOND_FACTOR_PERMISSION, saved_view_save, time_zone_choose

# Who reads the demo in another zone than the site's.
OTHER_ZONE = ("demo-sales", "America/New_York")
# (owner, page, name, filters, shared with a role or "").
SAVED_VIEWS = (
    ("demo-service", "recent_activity", "Agents' comments", "type=comment_added&actor=agent", ""),
    (
        "demo-service",
        "recent_activity",
        "Payment trouble",
        "category=payment",
        Role.CUSTOMER_SERVICE.value,
    ),
    ("demo-finance", "credit_activity", "Refunds", "activity=refund", Role.FINANCE.value),
    ("demo-finance", "credit_activity", "Token grants", "activity=grant&type=token", ""),
)


def load(*, password: str, stdout: TextIO) -> list[str]:
    users = {u.username: u for u in get_user_model().objects.filter(username__startswith="demo-")}
    username, zone = OTHER_ZONE
    if username in users:
        time_zone_choose(actor=users[username], user=users[username], time_zone=zone)
    for owner, page, name, query, role in SAVED_VIEWS:
        user = users.get(owner)
        registered = savedviews.get(page)
        if user is None or registered is None:
            continue
        if SavedView.objects.filter(actor=user, page=page, name=name).exists():
            continue
        saved_view_save(
            actor=user,
            page=page,
            page_label=registered.label,
            name=name,
            query=query,
            shared_with=role,
        )
    return []


def notes() -> list[str]:
    """Who reads the demo in another time zone; whether the demo's money roles must sign in
    with a second factor, and how to try it."""
    app_label, codename = SECOND_FACTOR_PERMISSION.split(".")
    held = Group.objects.filter(
        permissions__content_type__app_label=app_label, permissions__codename=codename
    )
    roles = " and ".join(sorted(held.values_list("name", flat=True)))
    username, zone = OTHER_ZONE
    clock = (
        f"{username} reads times in {zone} (Preferences, beside the name); the others in "
        f"{settings.TIME_ZONE}. Recent Activity and Credit Activity have saved views."
    )
    if settings.MFA_REQUIRED:
        return [
            clock,
            f"Two-factor sign-in is required for {roles}: at their first sign-in those users "
            "set up an authenticator app (a TOTP app) at /account/security/.",
        ]
    return [
        clock,
        f"Two-factor sign-in is OFF for this demo (MFA_REQUIRED=false): {roles} sign in with "
        "the password alone. To try it, sign in and set up an app at /account/security/ "
        "(any user; from then on that user is asked for a code), or run "
        "`MFA_REQUIRED=true make run` to require it as in production.",
    ]
