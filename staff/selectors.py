"""Reads of staff activity and of sign-in state."""

import datetime as dt
from typing import Any

from axes.models import AccessAttempt
from django.db.models import Max, Q, QuerySet, Sum

from core.roles import user_roles
from staff.models import SavedView, StaffEvent


def staff_activity() -> "QuerySet[StaffEvent]":
    """Every staff activity row, newest first (filtered by staff.filters)."""
    return StaffEvent.objects.newest_first()


def sign_in_failures(*, username: str, since: dt.datetime) -> int:
    """How many failed sign-ins django-axes holds for `username` (from any address) since
    `since`."""
    total = AccessAttempt.objects.filter(username=username, attempt_time__gte=since).aggregate(
        total=Sum("failures_since_start")
    )["total"]
    return int(total or 0)


def sign_in_last_failure(
    *, username: str | None, ip: str | None, since: dt.datetime
) -> dt.datetime | None:
    """The time of the latest failed sign-in, since `since`, for `username` or from `ip`: a
    lockout ends one cool-off after it."""
    where = Q(pk__in=[])
    if username:
        where |= Q(username=username)
    if ip:
        where |= Q(ip_address=ip)
    latest: dt.datetime | None = AccessAttempt.objects.filter(
        where, attempt_time__gte=since
    ).aggregate(latest=Max("attempt_time"))["latest"]
    return latest


def saved_views_for(user: Any, page: str) -> "QuerySet[SavedView]":
    """The views of `page` that `user` may open: their own, and those shared with a role they
    hold; by name. One query (the roles come with the user's permissions)."""
    roles = [role.value for role in user_roles(user)]
    return (
        SavedView.objects.filter(page=page)
        .filter(Q(actor=user) | Q(shared_with__name__in=roles))
        .select_related("shared_with")
        .order_by("name", "id")
    )


def saved_view_visible(user: Any, pk: int) -> SavedView | None:
    """The saved view `pk` if `user` may open it (theirs, or shared with a role they hold)."""
    roles = [role.value for role in user_roles(user)]
    return (
        SavedView.objects.filter(pk=pk)
        .filter(Q(actor=user) | Q(shared_with__name__in=roles))
        .first()
    )
