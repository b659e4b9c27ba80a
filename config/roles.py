"""The role matrix: which permissions each role (a Django group) holds, and which roles must
sign in with a second factor.

This is the one place that says who may do what. Views check permissions, never group names;
`sync_roles` (and every `migrate`) makes the groups' permissions equal to this matrix. The admin
shows the groups read-only: a change is made here, in code, and reviewed like any other.
"""

from typing import Any

from django.apps import AppConfig
from django.apps import apps as django_apps
from django.db import DEFAULT_DB_ALIAS, transaction

from core.roles import Role
from staff.services import SECOND_FACTOR_PERMISSION

SYSTEM_ADMINISTRATOR = Role.SYSTEM_ADMINISTRATOR
CUSTOMER_SERVICE = Role.CUSTOMER_SERVICE
SALES_AGENT = Role.SALES_AGENT
FINANCE = Role.FINANCE

# Permissions every role that works with customers needs.
_READ_ACCOUNTS = {
    "accounts.view_account",
    "activity.view_activityevent",
    # Balances and credit history on the account page.
    "credits.view_creditwallet",
    "legacy_history.view_legacyentry",
}

ROLE_PERMISSIONS: dict[Role, set[str]] = {
    CUSTOMER_SERVICE: _READ_ACCOUNTS
    | {
        "accounts.change_account",
        "accounts.manage_subscriptions",
        "activity.add_comment",
        # Goodwill credit for a customer on the phone (with a reason, on the ledger).
        "credits.grant_credit",
    },
    SALES_AGENT: _READ_ACCOUNTS
    | {
        "accounts.manage_subscriptions",
        "activity.add_comment",
    },
    FINANCE: _READ_ACCOUNTS
    | {
        "credits.view_credit_activity",
        "credits.export_credit_activity",
        # The credit liability roll-forward (/credits/balances/) and its CSV files.
        "credits.view_credit_balances",
        "credits.grant_credit",
        "credits.revoke_credit",
        "credits.add_manual_charge",
        "credits.issue_manual_refund",
        # The second pair of eyes on credit operations over a requester's limit.
        "credits.approve_credit",
    },
}

# Permissions that stay with their role: administrators do not get them through the union
# below. Approving credit is Finance's alone, so that an administrator (who may also ask for
# operations) is never the second pair of eyes on money.
NOT_FOR_ADMINISTRATORS = {"credits.approve_credit"}

# Administrators hold every role's permissions, plus users, groups and the admin-only ones.
ROLE_PERMISSIONS[SYSTEM_ADMINISTRATOR] = (
    set().union(*ROLE_PERMISSIONS.values()) - NOT_FOR_ADMINISTRATORS
) | {
    "auth.view_user",
    "auth.add_user",
    "auth.change_user",
    "auth.delete_user",
    # Money roles (Finance, System Administrator) are asked for by one administrator and
    # approved by another (core.models.RoleGrant).
    "core.view_rolegrant",
    "core.change_rolegrant",
    # Roles are read-only in the admin (they are this matrix); users get them as checkboxes.
    "auth.view_group",
    "accounts.add_account",
    "accounts.anonymise_account",
    # Who opened an account's pages (its access log), and the customer's data export.
    "accounts.view_accountaccess",
    "accounts.export_account_data",
    "accounts.view_product",
    "accounts.add_product",
    "accounts.change_product",
    "accounts.view_subscription",
    "accounts.view_paymentmethod",
    # The ledger, its keyed operations and the record of CSV downloads, in the admin.
    "credits.view_creditentry",
    "credits.view_creditoperation",
    "credits.view_creditexport",
    "credits.view_creditapproval",
    "credits.view_creditbalancesexport",
    # The record of Recent Activity downloads.
    "activity.view_activityexport",
    # Legacy history: upload old Account History files (admin and command line).
    "legacy_history.import_legacyentry",
    "legacy_history.view_legacyimport",
    # The record of Legacy mode downloads.
    "legacy_history.view_legacyexport",
    # Integrations of the API: create, issue tokens, disable (never delete).
    "integrations.view_integration",
    "integrations.add_integration",
    "integrations.change_integration",
    # Sign-in security: failed and locked sign-ins (django-axes), unlocking (deleting the
    # attempts, which the admin records), and the record of staff activity and its downloads.
    "axes.view_accessattempt",
    "axes.delete_accessattempt",
    "axes.view_accessfailurelog",
    "axes.view_accesslog",
    "staff.view_staffevent",
    "staff.export_staffevent",
    "staff.view_staffactivityexport",
}

# Roles whose users must sign in with a second factor (a TOTP app, or a recovery code): they
# move money or administer users. Held as a permission, so that code asks `has_perm` and never a
# group's name (a superuser holds it too). A user who holds it without a device is sent to
# enrolment after the password and can open nothing else until enrolled, unless the MFA_REQUIRED
# setting is off (the `make run` demo only).
SECOND_FACTOR_ROLES: frozenset[Role] = frozenset({SYSTEM_ADMINISTRATOR, FINANCE})
for _role in SECOND_FACTOR_ROLES:
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | {SECOND_FACTOR_PERMISSION}

ROLES = tuple(ROLE_PERMISSIONS)


@transaction.atomic
def sync_roles(*, strict: bool = False) -> dict[str, list[str]]:
    """Create the four groups and give each exactly the permissions of the matrix.

    Returns, per role, the permissions of the matrix that do not exist in the database (an app
    not migrated yet). With `strict`, a missing permission is an error instead.
    """
    from django.contrib.auth.models import Group, Permission

    by_name = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in Permission.objects.values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    missing: dict[str, list[str]] = {}
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        absent = sorted(p for p in perms if p not in by_name)
        if absent:
            missing[role] = absent
            if strict:
                raise LookupError(f"{role}: unknown permissions {', '.join(absent)}")
        group.permissions.set([by_name[p] for p in perms if p in by_name])
    return missing


def sync_roles_after_migrate(
    sender: AppConfig, using: str = DEFAULT_DB_ALIAS, **kwargs: Any
) -> None:
    """After `migrate` (and after a flush), set the groups' permissions to the matrix.

    The signal is sent once for every app that has models, after that app's permissions are
    made; acting on the last of them runs once, when every permission exists. (`config` itself
    has no models, so Django never sends the signal for it.)
    """
    with_models = [c for c in django_apps.get_app_configs() if c.models_module is not None]
    if using != DEFAULT_DB_ALIAS or sender.label != with_models[-1].label:
        return
    sync_roles()
