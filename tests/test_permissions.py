"""The permission matrix, walked: every URL of the site for every role and for anonymous.

The expected answer comes from `config.roles.ROLE_PERMISSIONS` (the one place that says who may
do what): anonymous -> sign-in redirect, a role without the permission -> 403, a role with it
-> 200 for a page, a redirect (never 403) for a form post. A row whose permission is None is a
signed-in user's own page: every user may open it. A URL added to the site without a row here
fails `test_every_url_is_in_the_matrix`.

Every answer of the walk carries the security headers, and no user ever holds a permission of
their own: access comes from roles only.
"""

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from config.roles import CUSTOMER_SERVICE, FINANCE, ROLE_PERMISSIONS, ROLES
from credits.services import credit_grant, credit_request
from tests.factories import (
    AccountFactory,
    PaymentMethodFactory,
    SavedViewFactory,
    SubscriptionFactory,
    UserFactory,
)
from tests.shared_rows import rows_for_the_module

CUSTOMER = "900001"
ORDER = "ORD-PERM-1"
TRANSACTION = "TX-PERM-1"

# (url name, kwargs, permission needed, method). Kwargs name the objects of `world` below.
MATRIX = [
    ("accounts:search", {}, "accounts.view_account", "get"),
    ("accounts:detail", {"customer_number": CUSTOMER}, "accounts.view_account", "get"),
    ("accounts:presence", {"customer_number": CUSTOMER}, "accounts.view_account", "get"),
    ("accounts:address", {"customer_number": CUSTOMER}, "accounts.change_account", "post"),
    ("accounts:billing-day", {"customer_number": CUSTOMER}, "accounts.change_account", "post"),
    ("accounts:anonymise", {"customer_number": CUSTOMER}, "accounts.anonymise_account", "get"),
    ("accounts:access-log", {"customer_number": CUSTOMER}, "accounts.view_accountaccess", "get"),
    ("accounts:data-export", {"customer_number": CUSTOMER}, "accounts.export_account_data", "get"),
    (
        "accounts:payment-method-default",
        {"customer_number": CUSTOMER, "pk": "payment_method"},
        "accounts.change_account",
        "post",
    ),
    (
        "accounts:subscription-action",
        {"customer_number": CUSTOMER, "order_id": ORDER, "action": "refresh-entitlements"},
        "accounts.manage_subscriptions",
        "post",
    ),
    ("activity:recent", {"customer_number": CUSTOMER}, "activity.view_activityevent", "get"),
    ("activity:comment", {"customer_number": CUSTOMER}, "activity.add_comment", "post"),
    ("activity:export", {"customer_number": CUSTOMER}, "activity.view_activityevent", "get"),
    ("activity:new", {"customer_number": CUSTOMER}, "activity.view_activityevent", "get"),
    (
        "legacy_history:legacy",
        {"customer_number": CUSTOMER},
        "legacy_history.view_legacyentry",
        "get",
    ),
    (
        "legacy_history:export",
        {"customer_number": CUSTOMER},
        "legacy_history.view_legacyentry",
        "get",
    ),
    ("credits:activity", {}, "credits.view_credit_activity", "get"),
    ("credits:export", {}, "credits.export_credit_activity", "get"),
    # Background downloads: each is its owner's alone (`own_export`: one of the signed-in
    # user's, ready; anyone else's answers 404, tests/credits/test_export_jobs.py).
    ("credits:exports", {}, "credits.export_credit_activity", "get"),
    ("credits:exports", {}, "credits.export_credit_activity", "post"),
    ("credits:export-job", {"pk": "own_export"}, "credits.export_credit_activity", "get"),
    ("credits:export-progress", {"pk": "own_export"}, "credits.export_credit_activity", "get"),
    ("credits:export-file", {"pk": "own_export"}, "credits.export_credit_activity", "get"),
    (
        "credits:transaction",
        {"transaction_id": TRANSACTION},
        "credits.view_credit_activity",
        "get",
    ),
    ("credits:balances", {}, "credits.view_credit_balances", "get"),
    ("credits:balances-export", {}, "credits.view_credit_balances", "get"),
    ("credits:balances-at", {}, "credits.view_credit_balances", "get"),
    ("credits:balances-unit", {"unit": "SEK"}, "credits.view_credit_balances", "get"),
    ("credits:balances-unit", {"unit": "tokens"}, "credits.view_credit_balances", "get"),
    ("credits:balances-unit-export", {"unit": "SEK"}, "credits.view_credit_balances", "get"),
    ("credits:journal", {}, "credits.view_credit_balances", "get"),
    ("credits:journal-export", {}, "credits.view_credit_balances", "get"),
    ("credits:grant", {"customer_number": CUSTOMER}, "credits.grant_credit", "post"),
    ("credits:revoke", {"customer_number": CUSTOMER}, "credits.revoke_credit", "post"),
    ("credits:charge", {"customer_number": CUSTOMER}, "credits.add_manual_charge", "post"),
    ("credits:refund", {"customer_number": CUSTOMER}, "credits.issue_manual_refund", "post"),
    ("credits:approvals", {}, "credits.approve_credit", "get"),
    ("credits:approval", {"pk": "approval"}, "credits.approve_credit", "get"),
    ("credits:approve", {"pk": "approval"}, "credits.approve_credit", "post"),
    ("credits:reject", {"pk": "approval"}, "credits.approve_credit", "post"),
    ("credits:own-requests", {}, "credits.grant_credit", "get"),
    ("staff:activity", {}, "staff.view_staffevent", "get"),
    ("staff:export", {}, "staff.export_staffevent", "get"),
    # Every signed-in user's own sign-in security.
    ("account:security", {}, None, "get"),
    ("account:password", {}, None, "get"),
    ("account:enrol", {}, None, "post"),
    ("account:recovery-codes", {}, None, "post"),
    ("account:remove", {}, None, "post"),
    ("account:passkey-code", {}, None, "post"),
    # Every signed-in user's own preferences and saved views.
    ("account:preferences", {}, None, "get"),
    ("account:clock", {}, None, "post"),
    ("account:columns", {"page": "credit_activity"}, None, "post"),
    ("account:saved-view-save", {}, None, "post"),
    ("account:saved-view-delete", {"pk": "saved_view"}, None, "post"),
    # The confirmation pages of the actions that cannot be undone.
    (
        "accounts:subscription-action",
        {"customer_number": CUSTOMER, "order_id": ORDER, "action": "cancel"},
        "accounts.manage_subscriptions",
        "get",
    ),
    (
        "accounts:subscription-action",
        {"customer_number": CUSTOMER, "order_id": ORDER, "action": "change-product"},
        "accounts.manage_subscriptions",
        "get",
    ),
    ("credits:revoke", {"customer_number": CUSTOMER}, "credits.revoke_credit", "get"),
    ("credits:charge", {"customer_number": CUSTOMER}, "credits.add_manual_charge", "get"),
    ("credits:refund", {"customer_number": CUSTOMER}, "credits.issue_manual_refund", "get"),
]

# Addresses outside the matrix, each with the reason.
NOT_IN_MATRIX = {
    "home": "redirects to the account search",
    "login": "the sign-in page is public",
    "logout": "signing out needs no permission",
    "account:verify": "the code after the password: tests/staff/test_two_factor.py walks it",
    "favicon": "the site's icon, public like any static file",
    "account:passkey-texts": "the texts of the passkey scripts, the same for everyone",
    # The passkey ceremonies answer JSON to the page's script: tests/staff/test_passkeys.py
    # walks them (sign-in first, an enrolment code for a first second factor, a verified
    # session to add one).
    "account:passkey-register-begin": "a passkey ceremony: tests/staff/test_passkeys.py",
    "account:passkey-register-complete": "a passkey ceremony: tests/staff/test_passkeys.py",
    "account:passkey-verify-begin": "a passkey ceremony: tests/staff/test_passkeys.py",
    "account:passkey-verify-complete": "a passkey ceremony: tests/staff/test_passkeys.py",
    # Opening a saved view redirects to its page (whose own row here gates it); who may open
    # which view: tests/staff/test_saved_views.py.
    "account:saved-view-open": "a redirect to its page: tests/staff/test_saved_views.py",
}
# Namespaces with their own gatekeeping, tested elsewhere. "api": integration tokens, not roles
# (tests/api/test_auth.py walks every API address).
OWN_GATEKEEPING = ("admin", "api")


def _names(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            namespace = pattern.namespace
            if namespace in OWN_GATEKEEPING:
                continue
            yield from _names(
                pattern.url_patterns, f"{prefix}{namespace}:" if namespace else prefix
            )
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield prefix + pattern.name


def test_every_url_is_in_the_matrix():
    listed = {name for name, *_ in MATRIX} | set(NOT_IN_MATRIX)
    assert set(_names(get_resolver().url_patterns)) - listed == set()


def _own_export(user):
    """A finished background download of `user` (of a Finance user's, for anonymous)."""
    from django.core.files.base import ContentFile

    from credits import services

    owner = user or UserFactory(roles=[FINANCE])
    job = services.credit_export_job_start(
        actor=owner, filters={}, time_zone="UTC", oldest_first=False
    )
    run = services.credit_export_job_claim(job_id=job.pk)
    services.credit_export_job_finish(job=run, content=ContentFile(b"\xef\xbb\xbfDate\n"), rows=0)
    return job.pk


def _make_world() -> dict:
    account = AccountFactory(customer_number=CUSTOMER)
    SubscriptionFactory(account=account, order_id=ORDER)
    credit_grant(
        actor=None,
        account=account,
        amount="10",
        credit_type="currency",
        currency="SEK",
        transaction_id=TRANSACTION,
    )
    # A grant over Customer Service's limit, waiting for approval.
    waiting = credit_request(
        actor=UserFactory(roles=[CUSTOMER_SERVICE]),
        operation="grant",
        account=account,
        amount="5000",
        credit_type="currency",
        currency="SEK",
        note="Goodwill after a long outage",
    )
    assert waiting.approval is not None
    return {
        "payment_method": PaymentMethodFactory(account=account).pk,
        "approval": waiting.approval.pk,
        # Nobody's to delete but its owner's: the others are told so (a redirect, not a 403).
        "saved_view": SavedViewFactory(role=CUSTOMER_SERVICE).pk,
        # Made for the user who asks, when the address is made.
        "own_export": _own_export,
    }


@pytest.fixture(scope="module")
def built_world(django_db_setup, django_db_blocker):
    """The rows every address of the walk names, made once for the module (tests.shared_rows):
    what a test's request changes goes with its savepoint."""
    with rows_for_the_module(django_db_blocker, _make_world) as made:
        yield made


@pytest.fixture
def world(built_world, db, export_storage):
    return built_world


def _url(world, name, kwargs, user=None):
    values = {k: world.get(v, v) for k, v in kwargs.items()}
    return reverse(name, kwargs={k: v(user) if callable(v) else v for k, v in values.items()})


@pytest.fixture(autouse=True)
def nobody_holds_a_permission_directly(db):
    """Access comes from roles only: after each test of the walk, no user holds a permission of
    their own (the admin's user form offers none)."""
    yield
    direct = get_user_model().user_permissions.through.objects
    assert not direct.exists(), f"users hold permissions directly: {list(direct.values())}"


def assert_security_headers(response):
    """What every answer carries: a Content-Security-Policy of this site's own files (no inline
    script or style, no other origin), Referrer-Policy, and a Permissions-Policy that denies
    what the site does not use."""
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self';" in policy + ";"
    assert "style-src 'self';" in policy + ";"
    assert "object-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "http" not in policy
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def _expect_allowed(response, method):
    if method == "get":
        assert response.status_code == 200
    else:
        assert response.status_code in (302, 303)


@pytest.mark.parametrize(("name", "kwargs", "perm", "method"), MATRIX)
def test_anonymous_is_sent_to_sign_in(client, world, name, kwargs, perm, method):
    url = _url(world, name, kwargs)
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert_security_headers(response)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "kwargs", "perm", "method"), MATRIX)
def test_role_gets_what_the_matrix_says(client, make_user, world, role, name, kwargs, perm, method):
    user = make_user(role)
    client.force_login(user)
    response = getattr(client, method)(_url(world, name, kwargs, user))
    if perm is not None and perm not in ROLE_PERMISSIONS[role]:
        assert response.status_code == 403
    else:
        _expect_allowed(response, method)
    assert_security_headers(response)


@pytest.mark.parametrize(("name", "kwargs", "perm", "method"), MATRIX)
def test_user_without_role_is_refused(client, make_user, world, name, kwargs, perm, method):
    user = make_user(None)
    client.force_login(user)
    response = getattr(client, method)(_url(world, name, kwargs, user))
    if perm is None:
        _expect_allowed(response, method)
    else:
        assert response.status_code == 403
    assert_security_headers(response)


def test_admin_is_for_staff_only(client, make_user):
    client.force_login(make_user("Customer Service"))
    assert client.get("/admin/").status_code == 302
    client.force_login(make_user("System Administrator", is_staff=True))
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/auth/user/").status_code == 200
