from django.contrib import admin, messages
from django.utils.html import format_html

from config.admin import SafeModelAdmin
from integrations.models import Integration
from integrations.services import integration_set_active, integration_token_issue

TOKEN_SHOWN_ONCE = (
    "Token of “{}”: {} — copy it now; it is stored only as a hash and not shown again."
)


@admin.register(Integration)
class IntegrationAdmin(SafeModelAdmin):
    """System Administrators create integrations here, issue new tokens (which revokes the old
    one) and disable or enable them. Integrations are never deleted: their names label what they
    wrote, and a disabled one keeps its name taken."""

    list_display = (
        "name",
        "token_hint",
        "is_active",
        "token_issued_at",
        "created_at",
        "created_by",
    )
    list_filter = ("is_active",)
    search_fields = ("name", "=token_prefix")
    actions = ("disable", "enable", "issue_new_token")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name",)
        return (
            "name",
            "is_active",
            "token_hint",
            "token_issued_at",
            "created_at",
            "created_by",
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        # The name is the actor label already written on events; renaming would disown them.
        return ("name", "token_hint", "token_issued_at", "created_at", "created_by")

    @admin.display(description="token")
    def token_hint(self, obj):
        return obj.token_hint

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            integration_set_active(integration=obj, active=obj.is_active)
            return
        obj.created_by = request.user
        key = integration_token_issue(integration=obj)
        self._show_token(request, obj, key)

    def _show_token(self, request, integration, key):
        messages.warning(request, format_html(TOKEN_SHOWN_ONCE, integration.name, key))

    # Actions without `permissions` are offered to anyone who may view the list.
    @admin.action(
        description="Disable selected integrations (their tokens are refused)",
        permissions=["change"],
    )
    def disable(self, request, queryset):
        for integration in queryset:
            integration_set_active(integration=integration, active=False)
        self.message_user(request, f"Disabled {len(queryset)} integration(s).")

    @admin.action(description="Enable selected integrations", permissions=["change"])
    def enable(self, request, queryset):
        for integration in queryset:
            integration_set_active(integration=integration, active=True)
        self.message_user(request, f"Enabled {len(queryset)} integration(s).")

    @admin.action(
        description="Issue a new token (the old one stops working)", permissions=["change"]
    )
    def issue_new_token(self, request, queryset):
        for integration in queryset:
            self._show_token(request, integration, integration_token_issue(integration=integration))
