"""Reads of staff activity and of sign-in state."""

import datetime as dt

from axes.models import AccessAttempt
from django.db.models import Max, Q, QuerySet, Sum

from staff.models import StaffEvent


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
