"""The admin of failed and locked sign-ins (django-axes): clearing them unlocks, and is recorded."""

import datetime as dt
from typing import Any

from axes import admin as axes_admin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import admin
from django.db.models import IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone

from staff import services
from staff.context import client_address


def _cool_off_start() -> dt.datetime:
    cool_off: dt.timedelta = settings.AXES_COOLOFF_TIME
    return timezone.now() - cool_off


def _failures(**match: Any) -> Subquery:
    """Failed sign-ins within the cool-off, summed over the attempts that `match`."""
    rows = (
        AccessAttempt.objects.filter(attempt_time__gte=_cool_off_start(), **match)
        .order_by()
        .values(*match)
        .annotate(total=Sum("failures_since_start"))
        .values("total")
    )
    return Subquery(rows, output_field=IntegerField())


class ViewOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccessAttempt)
class AccessAttemptAdmin(ViewOnly, axes_admin.AccessAttemptAdmin):
    """Failed sign-ins counted now (within the cool-off). Deleting an attempt clears it, which
    unlocks that username from that address; it is recorded as an unlock."""

    list_display = [
        "attempt_time",
        "username",
        "ip_address",
        "path_info",
        "failures_since_start",
        "locked",
    ]
    actions = ["unlock_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .annotate(
                username_failures=Coalesce(_failures(username=OuterRef("username")), Value(0)),
                address_failures=Coalesce(_failures(ip_address=OuterRef("ip_address")), Value(0)),
            )
        )

    def get_actions(self, request: HttpRequest) -> Any:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="Locked", boolean=True)
    def locked(self, obj: Any) -> bool:
        return obj.attempt_time >= _cool_off_start() and (
            obj.username_failures >= settings.SIGN_IN_FAILURE_LIMIT
            or obj.address_failures >= settings.SIGN_IN_ADDRESS_FAILURE_LIMIT
        )

    def _unlock(self, request: HttpRequest, attempt: AccessAttempt) -> int:
        return services.sign_in_unlock(
            actor=request.user,
            username=attempt.username,
            ip=attempt.ip_address,
            address=client_address(request),
        )

    @admin.action(description="Unlock: clear the selected failed sign-ins", permissions=["delete"])
    def unlock_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        cleared = sum(self._unlock(request, attempt) for attempt in list(queryset))
        self.message_user(request, f"Cleared {cleared} failed sign-in records.")

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self._unlock(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for attempt in list(queryset):
            self._unlock(request, attempt)


@admin.register(AccessFailureLog)
class AccessFailureLogAdmin(ViewOnly, axes_admin.AccessFailureLogAdmin):
    """Every failed sign-in, kept after its cool-off (up to 1,000 per username)."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccessLog)
class AccessLogAdmin(ViewOnly, axes_admin.AccessLogAdmin):
    """Successful sign-ins and their sign-outs."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
