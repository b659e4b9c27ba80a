from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import ValidationError
from django.db import DataError, transaction
from django.http import HttpRequest


class SafeChangeListMixin:
    """A list filter or date drill-down the database cannot take (a value beyond its ranges, a
    year with twenty digits) answers as any other bad filter does — back to the unfiltered list
    with the admin's "invalid filter" notice — instead of a 500."""

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        try:
            # A savepoint: a query refused by the database leaves the transaction usable.
            with transaction.atomic():
                return super().get_changelist_instance(request)  # type: ignore[misc]
        except (DataError, OverflowError, ValueError, ValidationError) as exc:
            raise IncorrectLookupParameters(exc) from exc


class SafeModelAdmin(SafeChangeListMixin, admin.ModelAdmin):
    """The base of every admin page of the back-office."""


class ReadOnlyAdmin(SafeModelAdmin):
    """Admin pages that show records but never write them: changes go through the services
    (which record who did what on the timeline), not through generic admin forms."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
