"""The staff activity tests' scenarios: one per kind, each doing what a person does."""

from django.test import Client
from django.urls import reverse

from config import roles
from staff.models import Kind
from tests.conftest import PASSWORD
from tests.signin import VerifiedClient, authenticator_app, totp_code
from tests.staff.conftest import ADMIN_ADDRESS, enter_code, post_login

USER_ADDRESS = "198.51.100.20"


def user_client():
    return Client(REMOTE_ADDR=USER_ADDRESS)


def change_form(user, **changes):
    """The admin's user form as posted, with `changes`."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on" if user.is_active else "",
        "is_staff": "on" if user.is_staff else "",
        "groups": [g.pk for g in user.groups.all()],
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


# --- One scenario per kind: each does what a person does, and returns the user it concerned.


def signed_in(admin, maja):
    post_login(user_client(), "maja")
    return maja


def sign_in_failed(admin, maja):
    post_login(user_client(), "maja", "wrong")
    return maja


def locked_out(admin, maja):
    client = user_client()
    for _ in range(5):
        post_login(client, "maja", "wrong")
    return maja


def unlocked(admin, maja):
    locked_out(admin, maja)
    admin.post(
        reverse("admin:auth_user_changelist"),
        {"action": "unlock", "_selected_action": [maja.pk]},
    )
    return maja


def second_factor_verified(admin, maja):
    client = user_client()
    post_login(client, "maja")
    enter_code(client, totp_code(authenticator_app(maja)))
    return maja


def second_factor_failed(admin, maja):
    authenticator_app(maja)
    client = user_client()
    post_login(client, "maja")
    enter_code(client, "000000")
    return maja


def _pending(client):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from staff.views import PENDING_KEY

    client.get("/account/security/")
    return totp_code(TOTPDevice(key=client.session[PENDING_KEY]))


def second_factor_enrolled(admin, maja):
    from staff import services

    code = services.enrolment_code_issue(actor=None, user=maja)
    client = user_client()
    post_login(client, "maja")
    client.post(reverse("account:enrol"), {"token": _pending(client), "enrolment_code": code})
    return maja


def enrolment_code_issued(admin, maja):
    admin.post(
        reverse("admin:auth_user_changelist"),
        {"action": "issue_enrolment_code", "_selected_action": [maja.pk]},
    )
    return maja


def recovery_codes_regenerated(admin, maja):
    client = VerifiedClient(REMOTE_ADDR=USER_ADDRESS)
    client.force_login(maja)
    client.post(reverse("account:recovery-codes"))
    return maja


def second_factor_removed(admin, maja):
    client = VerifiedClient(REMOTE_ADDR=USER_ADDRESS)
    client.force_login(maja)
    code = totp_code(authenticator_app(maja))
    client.post(reverse("account:remove"), {"password": PASSWORD, "token": code})
    return maja


def second_factor_reset(admin, maja):
    authenticator_app(maja)
    admin.post(
        reverse("admin:auth_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [maja.pk]},
    )
    return maja


def password_changed(admin, maja):
    client = VerifiedClient(REMOTE_ADDR=USER_ADDRESS)
    client.force_login(maja)
    new = "a-much-longer-Passphrase-42"
    client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    return maja


def user_created(admin, maja):
    admin.post(
        reverse("admin:auth_user_add"),
        {
            "username": "newbie",
            "usable_password": "true",
            "password1": "Quite-a-long-passphrase-1",
            "password2": "Quite-a-long-passphrase-1",
        },
    )
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="newbie")


def roles_changed(admin, maja):
    from django.contrib.auth.models import Group

    sales = Group.objects.get(name=roles.SALES_AGENT)
    admin.post(
        reverse("admin:auth_user_change", args=[maja.pk]), change_form(maja, groups=[sales.pk])
    )
    return maja


def staff_changed(admin, maja):
    admin.post(reverse("admin:auth_user_change", args=[maja.pk]), change_form(maja, is_staff="on"))
    return maja


def superuser_changed(admin, maja):
    # Only a superuser may give superuser status (the form shows it read-only to others).
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    client = VerifiedClient(REMOTE_ADDR=ADMIN_ADDRESS)
    client.force_login(root)
    client.post(
        reverse("admin:auth_user_change", args=[maja.pk]), change_form(maja, is_superuser="on")
    )
    return maja


def active_changed(admin, maja):
    admin.post(
        reverse("admin:auth_user_changelist"),
        {"action": "deactivate", "_selected_action": [maja.pk]},
    )
    return maja


def _admin_named(username):
    from django.contrib.auth import get_user_model

    from tests.factories import UserFactory

    found = get_user_model().objects.filter(username=username).first()
    return found or UserFactory(
        roles=[roles.SYSTEM_ADMINISTRATOR], username=username, is_staff=True
    )


def _decide(admin, action, grant):
    admin.post(
        reverse("admin:core_rolegrant_changelist"),
        {"action": action, "_selected_action": [grant.pk]},
    )


def role_grant_requested(admin, maja):
    from django.contrib.auth.models import Group

    wanted = Group.objects.get(name=roles.SYSTEM_ADMINISTRATOR)
    held = [g.pk for g in maja.groups.all()]
    admin.post(
        reverse("admin:auth_user_change", args=[maja.pk]),
        change_form(maja, groups=[*held, wanted.pk]),
    )
    return maja


def role_grant_approved(admin, maja):
    from staff import services

    asked = services.role_grant_request(
        actor=_admin_named("ove"), user=maja, role=roles.SYSTEM_ADMINISTRATOR
    )
    _decide(admin, "approve", asked)
    return maja


def role_grant_refused(admin, maja):
    from staff import services

    asked = services.role_grant_request(
        actor=_admin_named("ove"), user=maja, role=roles.SYSTEM_ADMINISTRATOR
    )
    _decide(admin, "refuse", asked)
    return maja


def role_change_refused(admin, maja):
    # The administrator asked for it herself: she may not also approve it.
    from staff import services

    asked = services.role_grant_request(
        actor=_admin_named("alva"), user=maja, role=roles.SYSTEM_ADMINISTRATOR
    )
    _decide(admin, "approve", asked)
    return maja


def decision_refused(admin, maja):
    # Maja asks for a grant over her limit, then tries to approve it herself on the page.
    from credits import services
    from credits.models import ApprovalOperation, CreditType
    from tests.factories import AccountFactory
    from tests.signin import VerifiedClient

    asked = services.credit_request(
        actor=maja,
        operation=ApprovalOperation.GRANT,
        account=AccountFactory(),
        amount="50000",
        note="Goodwill",
        credit_type=CreditType.CURRENCY,
        currency="SEK",
    )
    client = VerifiedClient(REMOTE_ADDR=USER_ADDRESS)
    client.force_login(maja)
    client.post(reverse("credits:approve", args=[asked.approval.pk]))
    return maja


def time_zone_changed(admin, maja):
    client = VerifiedClient(REMOTE_ADDR=USER_ADDRESS)
    client.force_login(maja)
    client.post(reverse("account:preferences"), {"time_zone": "Asia/Tokyo"})
    return maja


def saved_view_saved(admin, maja):
    client = VerifiedClient(REMOTE_ADDR=USER_ADDRESS)
    client.force_login(maja)
    client.post(
        reverse("account:saved-view-save"),
        {"page": "recent_activity", "name": "Comments", "query": "type=comment_added"},
    )
    return maja


def saved_view_deleted(admin, maja):
    from staff.models import SavedView

    saved_view_saved(admin, maja)
    client = VerifiedClient(REMOTE_ADDR=USER_ADDRESS)
    client.force_login(maja)
    view = SavedView.objects.get(actor=maja, name="Comments")
    client.post(reverse("account:saved-view-delete", args=[view.pk]))
    return maja


def customer_data_exported(admin, maja):
    # The administrator downloads everything held on a customer.
    from django.contrib.auth import get_user_model

    from tests.factories import AccountFactory

    account = AccountFactory()
    admin.get(reverse("accounts:data-export", args=[account.customer_number]))
    return get_user_model().objects.get(username="alva")


SCENARIOS = {
    Kind.SIGNED_IN: signed_in,
    Kind.SIGN_IN_FAILED: sign_in_failed,
    Kind.LOCKED_OUT: locked_out,
    Kind.UNLOCKED: unlocked,
    Kind.SECOND_FACTOR_VERIFIED: second_factor_verified,
    Kind.SECOND_FACTOR_FAILED: second_factor_failed,
    Kind.SECOND_FACTOR_ENROLLED: second_factor_enrolled,
    Kind.RECOVERY_CODES_REGENERATED: recovery_codes_regenerated,
    Kind.SECOND_FACTOR_REMOVED: second_factor_removed,
    Kind.SECOND_FACTOR_RESET: second_factor_reset,
    Kind.PASSWORD_CHANGED: password_changed,
    Kind.USER_CREATED: user_created,
    Kind.ROLES_CHANGED: roles_changed,
    Kind.STAFF_CHANGED: staff_changed,
    Kind.SUPERUSER_CHANGED: superuser_changed,
    Kind.ACTIVE_CHANGED: active_changed,
    Kind.ROLE_GRANT_REQUESTED: role_grant_requested,
    Kind.ROLE_GRANT_APPROVED: role_grant_approved,
    Kind.ROLE_GRANT_REFUSED: role_grant_refused,
    Kind.ROLE_CHANGE_REFUSED: role_change_refused,
    Kind.ENROLMENT_CODE_ISSUED: enrolment_code_issued,
    Kind.DECISION_REFUSED: decision_refused,
    Kind.TIME_ZONE_CHANGED: time_zone_changed,
    Kind.SAVED_VIEW_SAVED: saved_view_saved,
    Kind.SAVED_VIEW_DELETED: saved_view_deleted,
    Kind.CUSTOMER_DATA_EXPORTED: customer_data_exported,
}
# Who acts in each scenario: the user themself, the administrator, or nobody signed in.
BY_ADMIN = {
    Kind.UNLOCKED,
    Kind.SECOND_FACTOR_RESET,
    Kind.USER_CREATED,
    Kind.ROLES_CHANGED,
    Kind.STAFF_CHANGED,
    Kind.ACTIVE_CHANGED,
    Kind.ROLE_GRANT_REQUESTED,
    Kind.ROLE_GRANT_APPROVED,
    Kind.ROLE_GRANT_REFUSED,
    Kind.ROLE_CHANGE_REFUSED,
    Kind.ENROLMENT_CODE_ISSUED,
    Kind.CUSTOMER_DATA_EXPORTED,
}
BY_NOBODY = {Kind.SIGN_IN_FAILED, Kind.LOCKED_OUT}
