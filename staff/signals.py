"""What staff activity hears from Django and django-axes rather than from our own services:

- sign-ins and failed sign-ins (Django's auth signals, sent by `/login/` and `/admin/login/`
  alike), and lockouts (django-axes' `user_locked_out`);
- every change of a user's roles, staff, superuser or active flag and password, wherever it is
  made: the admin's user form (Django's), `createsuperuser` and `changepassword` (Django's), or
  our services. The User model is Django's, written by Django's own forms and commands, so the
  record watches the model; who acted and from where comes from the request being served
  (staff.context), or is the system.

Changes made with `QuerySet.update()` send no signal: nothing in the back-office updates users
that way.
"""

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import PermissionDenied
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.http import HttpRequest

from core.actors import MAX_ACTOR_NAME
from core.personal_data import customer_data_exported
from core.roles import MONEY_ROLE_NAMES, duty_refused
from staff import lockout
from staff.context import acting, client_address
from staff.middleware import mark_signed_in, remember_preferences
from staff.models import Kind
from staff.services import OWN_ROLES, VISITOR, preferences_of, staff_event_record
from staff.services.roles import granting

FLAGS = {
    "is_staff": Kind.STAFF_CHANGED,
    "is_superuser": Kind.SUPERUSER_CHANGED,
    "is_active": Kind.ACTIVE_CHANGED,
}
# What a new user is compared with: Django's defaults.
NEW_USER = {"is_staff": False, "is_superuser": False, "is_active": True}


def _via(request: HttpRequest) -> str:
    return request.path or "-"


def _user_named(username: str | None) -> Any:
    if not username:
        return None
    return get_user_model()._default_manager.filter(username=username).first()


def on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is None:
        return
    mark_signed_in(request)
    remember_preferences(request, preferences_of(user))
    staff_event_record(
        kind=Kind.SIGNED_IN,
        actor=user,
        subject=user,
        details={"via": _via(request)},
        address=client_address(request),
    )


def _refused_unread(request: HttpRequest) -> bool:
    """Whether axes' backend refused this try before the password was read (sign-in locked).
    The backend marks the request locked before raising, and axes' own handler then returns
    without counting it; a failure that *causes* the lock is counted (whichever of the two
    receivers runs first)."""
    return bool(getattr(request, "axes_locked_out", False)) and (
        getattr(request, "axes_failures_since_start", None) is None
    )


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    if request is None:
        return
    username = str(credentials.get("username") or "")[:MAX_ACTOR_NAME]
    staff_event_record(
        kind=Kind.SIGN_IN_FAILED,
        actor=VISITOR,
        subject=_user_named(username),
        subject_name=username,
        details={
            "username": username,
            "via": _via(request),
            "locked": _refused_unread(request),
        },
        address=client_address(request),
    )


def on_locked_out(
    sender: Any, request: HttpRequest, username: str | None, ip_address: str | None, **kwargs: Any
) -> None:
    # Axes sends this for the failure that locks (having just counted it: the count is set on
    # the request) and again for every try refused while locked (no count): record the first.
    if request is None or getattr(request, "axes_failures_since_start", None) is None:
        return
    credentials = getattr(request, "axes_credentials", None)
    until = lockout.locked_until(request, credentials)
    name = str(username or "")[:MAX_ACTOR_NAME]
    staff_event_record(
        kind=Kind.LOCKED_OUT,
        actor=VISITOR,
        subject=_user_named(name),
        subject_name=name,
        details={"username": name, "until": f"{until:%Y-%m-%d %H:%M}"},
        address=client_address(request),
    )


def _record(kind: str, subject: Any, details: dict[str, Any]) -> None:
    actor, address = acting()
    staff_event_record(
        kind=kind,
        actor=actor,
        subject=subject,
        details=details,
        address=address,
    )


def remember_before_save(
    sender: Any, instance: Any, raw: bool = False, update_fields: Any = None, **kwargs: Any
) -> None:
    """Keep the flags as stored, to compare after the save."""
    if raw:
        return
    watched = set(FLAGS) | {"password"}
    if update_fields is not None and not watched & set(update_fields):
        instance._staff_before = None
        return
    before = None
    if instance.pk is not None:
        before = sender._default_manager.filter(pk=instance.pk).values(*FLAGS).first()
    instance._staff_before = before


def record_after_save(
    sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if raw:
        return
    before = instance.__dict__.pop("_staff_before", None)
    if created:
        _record(
            Kind.USER_CREATED,
            instance,
            {
                "staff": instance.is_staff,
                "superuser": instance.is_superuser,
                "active": instance.is_active,
            },
        )
        return
    if before is not None:
        for flag, kind in FLAGS.items():
            old, new = before[flag], getattr(instance, flag)
            if old != new:
                _record(kind, instance, {"from": old, "to": new})
    # set_password() keeps the new password until save; a rehash at sign-in does not
    # (check_password clears it before saving), so this is a change made by someone.
    if getattr(instance, "_password", None) is not None:
        _record(Kind.PASSWORD_CHANGED, instance, {})


MONEY_ROLE_NEEDS_APPROVAL = (
    "{} is a money role: ask for it as a grant, which a second administrator approves."
)


def _refuse_unapproved(
    instance: Any, action: str, reverse: bool, model: Any, pk_set: set[int] | None
) -> None:
    """During a person's request: nobody changes their own roles, and a money role is added
    only by an approved grant (staff.services.roles). Commands and the system are not held."""
    actor, _address = acting()
    if actor.user_id is None or granting.get():
        return
    users = set(pk_set or ()) if reverse else {instance.pk}
    if reverse and action == "pre_clear":
        users = set(instance.user_set.values_list("pk", flat=True))
    if actor.user_id in users:
        subject = actor.user
        _record(Kind.ROLE_CHANGE_REFUSED, subject, {"reason": OWN_ROLES})
        raise PermissionDenied(OWN_ROLES)
    if action != "pre_add":
        return
    groups = [instance] if reverse else list(Group.objects.filter(pk__in=pk_set or ()))
    money = sorted(g.name for g in groups if g.name in MONEY_ROLE_NAMES)
    if money:
        reason = MONEY_ROLE_NEEDS_APPROVAL.format(money[0])
        for user in model._default_manager.filter(pk__in=users) if reverse else [instance]:
            _record(Kind.ROLE_CHANGE_REFUSED, user, {"reason": reason})
        raise PermissionDenied(reason)


def record_roles(
    sender: Any,
    instance: Any,
    action: str,
    reverse: bool,
    model: Any,
    pk_set: set[int] | None,
    **kwargs: Any,
) -> None:
    """user.groups.add/remove/set/clear, and the same from a group's side."""
    if action.startswith("pre_"):
        _refuse_unapproved(instance, action, reverse, model, pk_set)
    if action == "pre_clear":
        # What a clear removes is gone after it: remember it now.
        if reverse:
            instance._staff_cleared = list(instance.user_set.all())
        else:
            instance._staff_cleared = list(instance.groups.values_list("name", flat=True))
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    key = "added" if action == "post_add" else "removed"
    if action == "post_clear":
        cleared = instance.__dict__.pop("_staff_cleared", [])
        if reverse:
            for user in cleared:
                _record(Kind.ROLES_CHANGED, user, _roles_change(user, key, [instance.name]))
        elif cleared:
            _record(Kind.ROLES_CHANGED, instance, _roles_change(instance, key, sorted(cleared)))
        return
    if not pk_set:
        return
    if reverse:
        for user in model._default_manager.filter(pk__in=pk_set):
            _record(Kind.ROLES_CHANGED, user, _roles_change(user, key, [instance.name]))
    else:
        names = sorted(Group.objects.filter(pk__in=pk_set).values_list("name", flat=True))
        _record(Kind.ROLES_CHANGED, instance, _roles_change(instance, key, names))


def _roles_change(user: Any, key: str, names: list[str]) -> dict[str, Any]:
    """The details of a change of `user`'s roles (after it): which were added or removed, and
    all of them before and after."""
    after = sorted(user.groups.values_list("name", flat=True))
    before = set(after) - set(names) if key == "added" else set(after) | set(names)
    return {key: names, "from": sorted(before), "to": after}


def record_duty_refused(sender: Any, actor: Any, reason: str, request: str, **kwargs: Any) -> None:
    """A decision on money refused because it would not be a second person's."""
    staff_event_record(
        kind=Kind.DECISION_REFUSED,
        actor=actor,
        subject=actor.user,
        details={"request": request, "reason": reason},
        address=acting()[1],
    )


def record_customer_data_exported(
    sender: Any, actor: Any, customer_number: str, files: int, rows: int, **kwargs: Any
) -> None:
    """Someone downloaded everything held on a customer (GDPR art. 15). It concerns the one
    who did it (the customer is no user)."""
    staff_event_record(
        kind=Kind.CUSTOMER_DATA_EXPORTED,
        actor=actor,
        subject=actor.user,
        details={"customer": customer_number, "files": files, "rows": rows},
        address=acting()[1],
    )


def connect() -> None:
    user_model = get_user_model()
    user_logged_in.connect(on_logged_in, dispatch_uid="staff.signed_in")
    user_login_failed.connect(on_login_failed, dispatch_uid="staff.sign_in_failed")
    user_locked_out.connect(on_locked_out, dispatch_uid="staff.locked_out")
    duty_refused.connect(record_duty_refused, dispatch_uid="staff.duty_refused")
    customer_data_exported.connect(
        record_customer_data_exported, dispatch_uid="staff.customer_data_exported"
    )
    pre_save.connect(remember_before_save, sender=user_model, dispatch_uid="staff.user_before")
    post_save.connect(record_after_save, sender=user_model, dispatch_uid="staff.user_after")
    m2m_changed.connect(
        record_roles, sender=user_model.groups.through, dispatch_uid="staff.user_roles"
    )
