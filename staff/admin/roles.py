"""The admin of roles (groups), read-only: they are the matrix in config/roles.py."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from core.roles import Role
from staff import services

WHERE_ROLES_CHANGE = (
    "Roles are code: this is the matrix in config/roles.py (ROLE_PERMISSIONS, and "
    "SECOND_FACTOR_ROLES for the second factor). Change it there, in a reviewed commit; every "
    "`manage.py migrate` (or `manage.py sync_roles`) then sets the groups to it. An edit here "
    "would be undone by the next migrate, so this page is read-only."
)


def _second_factor_groups() -> QuerySet:
    """The groups whose members sign in with a second factor: those holding its permission."""
    app_label, codename = services.SECOND_FACTOR_PERMISSION.split(".")
    return Group.objects.filter(
        permissions__content_type__app_label=app_label, permissions__codename=codename
    )


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
