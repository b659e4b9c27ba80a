"""The admin of the staff activity record and of its downloads, read-only."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from staff.models import StaffActivityExport, StaffEvent


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
