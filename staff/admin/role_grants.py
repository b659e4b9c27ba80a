"""Money role grants: what one administrator asked for, for a second one to approve or refuse
(staff.services.roles). Read-only otherwise."""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from core.admin import SafeModelAdmin
from core.models import RoleGrant
from staff import services
from staff.context import client_address


@admin.register(RoleGrant)
class RoleGrantAdmin(SafeModelAdmin):
    list_display = (
        "user",
        "role",
        "state",
        "requested_by_name",
        "requested_at",
        "decided_by_name",
        "decided_at",
    )
    list_filter = ("state", "role")
    search_fields = ("user__username", "requested_by_name", "decided_by_name")
    readonly_fields = list_display
    fields = list_display
    actions = ["approve", "refuse"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The list's actions decide (through the services); a grant's own page only shows it.
        return obj is None and super().has_change_permission(request, obj)

    def _decide(self, request: HttpRequest, queryset: QuerySet, decide: Any, done: str) -> None:
        count = 0
        for grant in queryset:
            try:
                decide(actor=request.user, grant=grant, address=client_address(request))
            except ValidationError as exc:
                self.message_user(request, f"{grant}: {' '.join(exc.messages)}", messages.ERROR)
            else:
                count += 1
        if count:
            self.message_user(request, f"{done} {count} money role grants.")

    @admin.action(description="Approve the selected grants", permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._decide(request, queryset, services.role_grant_approve, "Approved")

    @admin.action(description="Refuse the selected grants", permissions=["change"])
    def refuse(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._decide(request, queryset, services.role_grant_refuse, "Refused")
