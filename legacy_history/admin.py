from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from import_export.admin import ImportMixin

from core.admin import ReadOnlyAdmin
from legacy_history.csvfile import HEADER, LegacyFileError
from legacy_history.models import LegacyEntry, LegacyExport, LegacyImport
from legacy_history.resources import LegacyCSV, LegacyEntryResource
from legacy_history.services import legacy_history_import

IMPORT_PERMISSION = "legacy_history.import_legacyentry"


class MigratedFilter(admin.SimpleListFilter):
    title = "migrated into the timeline"
    parameter_name = "migrated"

    def lookups(self, request, model_admin):
        return (("yes", "Yes"), ("no", "No: shown in Legacy mode"))

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(migrated_event__isnull=self.value() == "no")
        return queryset


@admin.register(LegacyEntry)
class LegacyEntryAdmin(ImportMixin, ReadOnlyAdmin):
    """Entries are shown, never edited; new ones come from an import (upload, preview of every
    row with its errors, confirm), which only holders of the import permission see."""

    list_display = ("created_at", "account", "event_name", "type", "producer", "migrated")
    list_filter = ("type", MigratedFilter)
    search_fields = ("=source_id", "=account__customer_number", "account__email", "event_name")
    list_select_related = ("account",)
    date_hierarchy = "created_at"
    show_full_result_count = False

    resource_classes = [LegacyEntryResource]
    import_formats = [LegacyCSV]
    import_template_name = "admin/legacy_history/legacyentry/import.html"

    @admin.display(boolean=True, description="Migrated")
    def migrated(self, obj):
        return obj.migrated_event_id is not None

    def has_import_permission(self, request):
        return request.user.has_perm(IMPORT_PERMISSION)

    def get_import_context_data(self, **kwargs):
        return {"legacy_header": HEADER}

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, LegacyFileError):
            form.add_error("import_file", str(e))
        elif isinstance(e, UnicodeDecodeError):
            form.add_error("import_file", "The file is not UTF-8 text: save it as UTF-8.")
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def process_dataset(self, dataset, form, request, **kwargs):
        """The confirmed import goes through the service, which records who imported."""
        file_name = kwargs.get("file_name") or form.cleaned_data.get("original_file_name") or ""
        return legacy_history_import(actor=request.user, datasets=[dataset], file_name=file_name)

    def process_result(self, report, request):
        if report.committed:
            messages.success(
                request,
                f"Imported {report.created} legacy entries; "
                f"{report.skipped} imported before were skipped.",
            )
        else:
            shown = "; ".join(
                f"line {line}: {message}" if line else message
                for line, message in report.errors[:20]
            )
            messages.error(request, f"Nothing was imported: {shown}")
        return HttpResponseRedirect(reverse("admin:legacy_history_legacyentry_changelist"))


@admin.register(LegacyImport)
class LegacyImportAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "file_name", "actor_name", "created", "skipped", "failed")
    list_filter = ("skip_errors",)
    search_fields = ("file_name", "actor_name")
    date_hierarchy = "started_at"


@admin.register(LegacyExport)
class LegacyExportAdmin(ReadOnlyAdmin):
    """Who downloaded which account's Legacy mode, and when (written by the download)."""

    list_display = ("created_at", "actor_name", "filters", "row_count", "finished_at")
    search_fields = ("actor_name",)
    date_hierarchy = "created_at"
