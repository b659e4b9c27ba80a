"""Django's ModelBackend with the signed-in user's permissions and roles read in one query.

Django reads a user's own permissions and their groups' permissions in two queries, and the
layout reads the user's roles (their groups) in a third, on every page. Here one query reads
all three, the first time a request asks (`has_perm`, `perms` in a template, or
`core.roles.user_roles`), and keeps them on the user object for the rest of that request, as
Django does; nothing is kept between requests, so a role taken away applies at once.
"""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db.models import CharField, Value

from core.roles import remember_roles


def _load(user: Any) -> None:
    # No ORDER BY in the parts of the union (SQLite refuses one; Permission orders by default).
    groups = (
        Group.objects.filter(user=user)
        .order_by()
        .values_list("name", "permissions__content_type__app_label", "permissions__codename")
    )
    own = (
        Permission.objects.filter(user=user)
        .order_by()
        .values_list(Value(None, output_field=CharField()), "content_type__app_label", "codename")
    )
    group_perms: set[str] = set()
    user_perms: set[str] = set()
    names: set[str] = set()
    for group, app_label, codename in groups.union(own, all=True):
        if group is not None:
            names.add(group)
        if codename is None:
            continue
        (user_perms if group is None else group_perms).add(f"{app_label}.{codename}")
    user._user_perm_cache = user_perms
    user._group_perm_cache = group_perms
    user._perm_cache = user_perms | group_perms
    remember_roles(user, names)


class RoleBackend(ModelBackend):
    """ModelBackend, loading what `_load` reads at once (superusers as Django does)."""

    def _loaded(self, user_obj: Any, obj: Any) -> bool:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return False
        if user_obj.is_superuser:
            return False
        if not hasattr(user_obj, "_perm_cache"):
            _load(user_obj)
        return True

    def get_user_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if self._loaded(user_obj, obj):
            return user_obj._user_perm_cache
        return super().get_user_permissions(user_obj, obj)

    def get_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if self._loaded(user_obj, obj):
            return user_obj._group_perm_cache
        return super().get_group_permissions(user_obj, obj)

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if self._loaded(user_obj, obj):
            return user_obj._perm_cache
        return super().get_all_permissions(user_obj, obj)
