from django.contrib import admin

from activity.models import ActivityEvent, ActivityExport
from config.admin import ReadOnlyAdmin


@admin.register(ActivityEvent)
class ActivityEventAdmin(ReadOnlyAdmin):
    """The timeline is append-only: the admin shows events and changes none."""

    list_display = ("occurred_at", "account", "title", "actor_name", "origin")
    list_filter = ("origin", "actor_kind", "type")
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
