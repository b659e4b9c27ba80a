from django.contrib import admin

from activity.models import ActivityEvent, ActivityExport
from activity.registry import EVENT_TYPES
from core.admin import ReadOnlyAdmin


class EventTypeFilter(admin.SimpleListFilter):
    """The event type by its title (the registry's), not its code."""

    title = "type"
    parameter_name = "type"

    def lookups(self, request, model_admin):
        return sorted(((t.code, t.title) for t in EVENT_TYPES), key=lambda item: item[1].lower())

    def queryset(self, request, queryset):
        return queryset.filter(type=self.value()) if self.value() else queryset


@admin.register(ActivityEvent)
class ActivityEventAdmin(ReadOnlyAdmin):
    """The timeline is append-only: the admin shows events and changes none."""

    list_display = ("occurred_at", "account", "title", "actor_name", "origin")
    list_filter = ("origin", "actor_kind", EventTypeFilter)
    search_fields = ("=id", "account__customer_number", "account__email")
    list_select_related = ("account",)
    date_hierarchy = "occurred_at"
    show_full_result_count = False


@admin.register(ActivityExport)
class ActivityExportAdmin(ReadOnlyAdmin):
    """Who downloaded which account's Recent Activity, and when (written by the download)."""

    list_display = ("created_at", "actor_name", "filters", "row_count", "finished_at")
    search_fields = ("actor_name",)
    date_hierarchy = "created_at"
