"""The admin of users: roles, flags, last sign-in, second factor and lockout at a glance, with
filters and actions (deactivate, unlock, reset the second factor). Roles are assigned as
checkboxes; there are no per-user permissions (access comes from roles only)."""

import contextlib
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.roles import MONEY_ROLE_NAMES
from staff import services
from staff.admin.roles import _second_factor_groups
from staff.admin.sign_ins import _failures
from staff.context import client_address

ROLES_HELP = (
    "Access comes from roles only. What each role may do is defined in code, in "
    "config/roles.py (see Roles). Finance and System Administrator move or approve money: "
    "ticking one asks for it, and a second administrator approves it (Money role grants). "
    "Nobody changes their own roles."
)


# Second factors are managed on each user's own security page and by the user list's reset
# action; django-otp's device pages would show their secrets.
for model in (TOTPDevice, StaticDevice):
    with contextlib.suppress(NotRegistered):
        admin.site.unregister(model)


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
    actions = ["deactivate", "unlock", "reset_second_factor", "issue_enrolment_code"]

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

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if "groups" not in form.base_fields:
            return form
        editor = request.user

        class RolesForm(form):  # type: ignore[misc, valid-type]
            def clean_groups(self) -> Any:
                groups = self.cleaned_data.get("groups")
                own = self.instance.pk is not None and self.instance.pk == editor.pk
                if own and set(groups or ()) != set(self.instance.groups.all()):
                    raise services.roles.refuse(
                        editor, self.instance, services.OWN_ROLES, client_address(request)
                    )
                return groups

        return RolesForm

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: Any) -> None:
        """Roles save at once, except a money role being added: that is asked for as a grant,
        which a second administrator approves (Money role grants)."""
        groups = form.cleaned_data.get("groups")
        asked: list[Group] = []
        if groups is not None:
            held = set(form.instance.groups.all()) if change else set()
            asked = [g for g in groups if g.name in MONEY_ROLE_NAMES and g not in held]
            form.cleaned_data["groups"] = [g for g in groups if g not in asked]
        super().save_related(request, form, formsets, change)
        for group in asked:
            try:
                services.role_grant_request(
                    actor=request.user,
                    user=form.instance,
                    role=group.name,
                    address=client_address(request),
                )
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
                continue
            self.message_user(
                request,
                f"{group.name} for {form.instance.get_username()} waits for a second"
                " administrator's approval (Money role grants).",
                messages.WARNING,
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
        self._issue_codes(request, queryset)

    @admin.action(description="Issue an enrolment code to selected users", permissions=["change"])
    def issue_enrolment_code(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._issue_codes(request, queryset, every=True)

    def _issue_codes(self, request: HttpRequest, queryset: QuerySet, every: bool = False) -> None:
        """A one-time enrolment code for each user whose role needs a second factor (or every
        selected user), shown once here: hand it over out of band (in person, by phone)."""
        for user in queryset:
            if not (every or services.second_factor_required(user)):
                continue
            code = services.enrolment_code_issue(
                actor=request.user, user=user, address=client_address(request)
            )
            self.message_user(
                request,
                f"Enrolment code for {user.get_username()}: {code} — shown only now; give it to "
                f"them in person or by phone (valid {settings.ENROLMENT_CODE_HOURS} hours).",
                messages.WARNING,
            )
