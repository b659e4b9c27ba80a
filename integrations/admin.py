from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from core.admin import SafeModelAdmin
from integrations.models import Integration
from integrations.services import integration_set_active, integration_token_issue

TOKENS_TEMPLATE = "admin/integrations/integration/tokens.html"


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
        # Kept on this request only, for `response_add` to show.
        request._issued_tokens = [(obj, integration_token_issue(integration=obj))]

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: Any = None):
        return self._tokens_page(request, request._issued_tokens)  # type: ignore[attr-defined]

    def _tokens_page(self, request: HttpRequest, issued: list) -> HttpResponse:
        """The new tokens, on a page of their own: never in a message (messages travel in a
        cookie, signed but not encrypted), never cached."""
        response = TemplateResponse(
            request,
            TOKENS_TEMPLATE,
            {**self.admin_site.each_context(request), "issued": issued, "opts": self.opts},
        )
        response["Cache-Control"] = "no-store"
        return response

    # Actions without `permissions` are offered to anyone who may view the list.
    @admin.action(
        description="Disable selected integrations (their tokens are refused)",
        permissions=["change"],
    )
    def disable(self, request, queryset):
        for integration in queryset:
            integration_set_active(integration=integration, active=False)
            self.log_change(request, integration, "Disabled: its token is refused.")
        self.message_user(request, f"Disabled {len(queryset)} integration(s).")

    @admin.action(description="Enable selected integrations", permissions=["change"])
    def enable(self, request, queryset):
        for integration in queryset:
            integration_set_active(integration=integration, active=True)
            self.log_change(request, integration, "Enabled.")
        self.message_user(request, f"Enabled {len(queryset)} integration(s).")

    @admin.action(
        description="Issue a new token (the old one stops working)", permissions=["change"]
    )
    def issue_new_token(self, request, queryset):
        issued = []
        for integration in queryset:
            issued.append((integration, integration_token_issue(integration=integration)))
            self.log_change(
                request, integration, "Issued a new token; the previous one stopped working."
            )
        return self._tokens_page(request, issued)
