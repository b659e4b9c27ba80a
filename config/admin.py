from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Admin pages that show records but never write them: changes go through the services
    (which record who did what on the timeline), not through generic admin forms."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
