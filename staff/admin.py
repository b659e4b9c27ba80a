"""The admin of users, roles and sign-in security.

- Users: roles, flags, last sign-in, second factor and lockout at a glance, with filters and
  actions (deactivate, unlock, reset the second factor); roles are assigned as checkboxes and
  there are no per-user permissions (access comes from roles only).
- Roles (groups) are read-only: they are the matrix in config/roles.py.
- Failed and locked sign-ins (django-axes); clearing them unlocks, and is recorded.
- The staff activity record and its downloads, read-only.
"""

import contextlib
import datetime as dt
from typing import Any

from axes import admin as axes_admin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import ValidationError
from django.db.models import Exists, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.admin import ReadOnlyAdmin
from core.roles import Role
from staff import services
from staff.context import client_address
from staff.models import StaffActivityExport, StaffEvent

ROLES_HELP = (
    "Access comes from roles only. What each role may do is defined in code, in "
    "config/roles.py (see Roles)."
)
WHERE_ROLES_CHANGE = (
    "Roles are code: this is the matrix in config/roles.py (ROLE_PERMISSIONS, and "
    "SECOND_FACTOR_ROLES for the second factor). Change it there, in a reviewed commit; every "
    "`manage.py migrate` (or `manage.py sync_roles`) then sets the groups to it. An edit here "
    "would be undone by the next migrate, so this page is read-only."
)

# Second factors are managed on each user's own security page and by the user list's reset
# action; django-otp's device pages would show their secrets.
for model in (TOTPDevice, StaticDevice):
    with contextlib.suppress(NotRegistered):
        admin.site.unregister(model)


def _cool_off_start() -> dt.datetime:
    cool_off: dt.timedelta = settings.AXES_COOLOFF_TIME
    return timezone.now() - cool_off


def _failures(**match: Any) -> Subquery:
    """Failed sign-ins within the cool-off, summed over the attempts that `match`."""
    rows = (
        AccessAttempt.objects.filter(attempt_time__gte=_cool_off_start(), **match)
        .order_by()
        .values(*match)
        .annotate(total=Sum("failures_since_start"))
        .values("total")
    )
    return Subquery(rows, output_field=IntegerField())


# --- Users --------------------------------------------------------------------------------


class RoleFilter(admin.SimpleListFilter):
    title = "role"
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        groups = Group.objects.order_by("name").values_list("pk", "name")
        return [(str(pk), name) for pk, name in groups] + [("none", "No role")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value() or ""
        if value == "none":
            return queryset.filter(groups__isnull=True)
        if value.isdigit():
            return queryset.filter(groups__pk=value)
        return queryset


class SecondFactorFilter(admin.SimpleListFilter):
    title = "second factor"
    parameter_name = "second_factor"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Enrolled"), ("no", "Not enrolled")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(has_second_factor=self.value() == "yes")
        return queryset


class LockedFilter(admin.SimpleListFilter):
    title = "sign-in locked"
    parameter_name = "locked"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Locked"), ("no", "Not locked")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        limit = settings.SIGN_IN_FAILURE_LIMIT
        if self.value() == "yes":
            return queryset.filter(recent_failures__gte=limit)
        if self.value() == "no":
            return queryset.filter(recent_failures__lt=limit)
        return queryset


def _second_factor_groups() -> QuerySet:
    """The groups whose members sign in with a second factor: those holding its permission."""
    app_label, codename = services.SECOND_FACTOR_PERMISSION.split(".")
    return Group.objects.filter(
        permissions__content_type__app_label=app_label, permissions__codename=codename
    )


class RoleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        second = " (second factor required)" if obj.second_factor else ""
        return f"{obj.name}{second}"


admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(DjangoUserAdmin):
    list_display = (
        "username",
        "full_name",
        "role_names",
        "is_active",
        "is_staff",
        "last_login",
        "second_factor",
        "locked",
    )
    list_filter = (
        RoleFilter,
        "is_active",
        "is_staff",
        "is_superuser",
        SecondFactorFilter,
        LockedFilter,
    )
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (
            "Sign-in",
            {
                "fields": (
                    "last_login",
                    "date_joined",
                    "second_factor_status",
                    "lock_status",
                    "activity_link",
                )
            },
        ),
    )
    readonly_fields = (
        "last_login",
        "date_joined",
        "second_factor_status",
        "lock_status",
        "activity_link",
    )
    filter_horizontal = ()
    actions = ["deactivate", "unlock", "reset_second_factor"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .prefetch_related("groups")
            .annotate(
                has_second_factor=Exists(
                    TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
                ),
                recent_failures=Coalesce(_failures(username=OuterRef("username")), Value(0)),
            )
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = tuple(super().get_readonly_fields(request, obj))
        # Superuser status bypasses the roles: only a superuser may give or take it.
        if not request.user.is_superuser:
            fields += ("is_superuser",)
        return fields

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "groups":
            return RoleChoiceField(
                queryset=Group.objects.order_by("name").annotate(
                    second_factor=Exists(_second_factor_groups().filter(pk=OuterRef("pk")))
                ),
                widget=forms.CheckboxSelectMultiple,
                required=False,
                label="Roles",
                help_text=ROLES_HELP,
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description="Name")
    def full_name(self, obj: User) -> str:
        return obj.get_full_name()

    @admin.display(description="Roles")
    def role_names(self, obj: User) -> str:
        return ", ".join(sorted(group.name for group in obj.groups.all()))

    @admin.display(description="Second factor", boolean=True, ordering="has_second_factor")
    def second_factor(self, obj: Any) -> bool:
        return bool(obj.has_second_factor)

    @admin.display(description="Sign-in locked", boolean=True)
    def locked(self, obj: Any) -> bool:
        return obj.recent_failures >= settings.SIGN_IN_FAILURE_LIMIT

    @admin.display(description="Second factor")
    def second_factor_status(self, obj: Any) -> str:
        enrolled = "Enrolled" if services.second_factor_enrolled(obj) else "Not enrolled"
        required = services.second_factor_required(obj)
        return f"{enrolled}{' (required by their roles)' if required else ''}"

    @admin.display(description="Sign-in")
    def lock_status(self, obj: Any) -> str:
        failures = getattr(obj, "recent_failures", 0)
        if failures >= settings.SIGN_IN_FAILURE_LIMIT:
            return f"Locked: {failures} failed sign-ins in the cool-off window"
        return f"Not locked ({failures} failed sign-ins in the cool-off window)"

    @admin.display(description="Staff activity")
    def activity_link(self, obj: User) -> str:
        if obj.pk is None:
            return ""
        url = reverse("staff:activity") + "?" + urlencode({"user": obj.get_username()})
        return format_html('<a href="{}">Staff activity of {}</a>', url, obj.get_username())

    @admin.action(description="Deactivate selected users", permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = 0
        for user in queryset:
            try:
                done += services.user_deactivate(actor=request.user, user=user)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
        self.message_user(request, f"Deactivated {done} users.")

    @admin.action(description="Unlock sign-in of selected users", permissions=["change"])
    def unlock(self, request: HttpRequest, queryset: QuerySet) -> None:
        cleared = sum(
            services.sign_in_unlock(
                actor=request.user, username=user.get_username(), address=client_address(request)
            )
            for user in queryset
        )
        self.message_user(request, f"Unlocked {queryset.count()} users ({cleared} records).")

    @admin.action(description="Reset second factor of selected users", permissions=["change"])
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet) -> None:
        for user in queryset:
            services.second_factor_reset(
                actor=request.user, user=user, address=client_address(request)
            )
        self.message_user(
            request,
            f"Reset the second factor of {queryset.count()} users: each sets one up again at "
            f"their next sign-in.",
        )


# --- Roles --------------------------------------------------------------------------------

admin.site.unregister(Group)


def _permission_names(codes: set[str]) -> dict[str, str]:
    names = {
        f"{app}.{code}": name
        for app, code, name in Permission.objects.values_list(
            "content_type__app_label", "codename", "name"
        )
    }
    return {code: names.get(code, "(not in the database yet)") for code in sorted(codes)}


def _held(group: Group) -> set[str]:
    """The permissions a role's group holds: the matrix's, since every migrate (or
    `sync_roles`) sets them to it."""
    return {
        f"{app}.{code}"
        for app, code in group.permissions.values_list("content_type__app_label", "codename")
    }


@admin.register(Group)
class RoleAdmin(admin.ModelAdmin):
    """Roles as the matrix made them; nothing here is editable."""

    list_display = ("name", "member_count", "permission_count", "requires_second_factor")
    fields = ("name", "where_changed", "requires_second_factor", "matrix")
    readonly_fields = fields
    change_list_template = "admin/auth/group/roles_change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        from django.db.models import Count

        return (
            super()
            .get_queryset(request)
            .annotate(
                members=Count("user", distinct=True),
                permissions_held=Count("permissions", distinct=True),
                second_factor=Exists(_second_factor_groups().filter(pk=OuterRef("pk"))),
            )
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Users")
    def member_count(self, obj: Any) -> int:
        return int(obj.members)

    @admin.display(description="Permissions")
    def permission_count(self, obj: Any) -> int:
        return int(obj.permissions_held)

    @admin.display(description="Second factor required", boolean=True)
    def requires_second_factor(self, obj: Any) -> bool:
        return bool(obj.second_factor)

    @admin.display(description="Where it is changed")
    def where_changed(self, obj: Group) -> str:
        return WHERE_ROLES_CHANGE

    @admin.display(description="Permissions (the matrix)")
    def matrix(self, obj: Group) -> str:
        codes = _held(obj) if obj.name in set(Role) else set()
        if not codes:
            return "Not a role of the matrix: it holds no permission after the next migrate."
        rows = format_html_join(
            "", "<li><code>{}</code> — {}</li>", _permission_names(codes).items()
        )
        return format_html("<ul>{}</ul>", rows)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        groups = {group.name: group for group in Group.objects.filter(name__in=list(Role))}
        present = [role for role in Role if role.value in groups]
        held = {role: _held(groups[role.value]) for role in present}
        every = set().union(*held.values())
        second_factor = set(_second_factor_groups().values_list("name", flat=True))
        matrix = [
            (code, name, [code in held[role] for role in present])
            for code, name in _permission_names(every).items()
        ]
        context = {
            "role_names": present,
            "matrix_rows": matrix,
            "second_factor_roles": [role.value in second_factor for role in present],
            "where_changed": WHERE_ROLES_CHANGE,
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)


# --- Failed and locked sign-ins (django-axes) ----------------------------------------------


class ViewOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccessAttempt)
class AccessAttemptAdmin(ViewOnly, axes_admin.AccessAttemptAdmin):
    """Failed sign-ins counted now (within the cool-off). Deleting an attempt clears it, which
    unlocks that username from that address; it is recorded as an unlock."""

    list_display = [
        "attempt_time",
        "username",
        "ip_address",
        "path_info",
        "failures_since_start",
        "locked",
    ]
    actions = ["unlock_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .annotate(
                username_failures=Coalesce(_failures(username=OuterRef("username")), Value(0)),
                address_failures=Coalesce(_failures(ip_address=OuterRef("ip_address")), Value(0)),
            )
        )

    def get_actions(self, request: HttpRequest) -> Any:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="Locked", boolean=True)
    def locked(self, obj: Any) -> bool:
        return obj.attempt_time >= _cool_off_start() and (
            obj.username_failures >= settings.SIGN_IN_FAILURE_LIMIT
            or obj.address_failures >= settings.SIGN_IN_ADDRESS_FAILURE_LIMIT
        )

    def _unlock(self, request: HttpRequest, attempt: AccessAttempt) -> int:
        return services.sign_in_unlock(
            actor=request.user,
            username=attempt.username,
            ip=attempt.ip_address,
            address=client_address(request),
        )

    @admin.action(description="Unlock: clear the selected failed sign-ins", permissions=["delete"])
    def unlock_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        cleared = sum(self._unlock(request, attempt) for attempt in list(queryset))
        self.message_user(request, f"Cleared {cleared} failed sign-in records.")

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self._unlock(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for attempt in list(queryset):
            self._unlock(request, attempt)


@admin.register(AccessFailureLog)
class AccessFailureLogAdmin(ViewOnly, axes_admin.AccessFailureLogAdmin):
    """Every failed sign-in, kept after its cool-off (up to 1,000 per username)."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccessLog)
class AccessLogAdmin(ViewOnly, axes_admin.AccessLogAdmin):
    """Successful sign-ins and their sign-outs."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- Staff activity -----------------------------------------------------------------------


@admin.register(StaffEvent)
class StaffEventAdmin(ReadOnlyAdmin):
    """The append-only record (also at /staff/activity/, with its CSV download)."""

    list_display = ("occurred_at", "kind", "actor_name", "subject_name", "description", "address")
    list_filter = ("kind",)
    search_fields = ("=subject_name", "actor_name", "=address")
    date_hierarchy = "occurred_at"
    show_full_result_count = False


@admin.register(StaffActivityExport)
class StaffActivityExportAdmin(ReadOnlyAdmin):
    """Who downloaded which staff activity, and when."""

    list_display = ("created_at", "actor_name", "filters", "row_count", "finished_at")
    search_fields = ("actor_name",)
    date_hierarchy = "created_at"
