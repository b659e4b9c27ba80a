"""django-axes, as the sign-in pages use it: how many failures lock, and what a locked sign-in
answers.

Axes counts failed sign-ins per username (from any address) and per address (for any username)
within the cool-off, and locks when either count reaches the limit. It has one limit for both;
we want AXES_FAILURE_LIMIT (5) for a username and AXES_IP_FAILURE_LIMIT (20) for an address.
`failure_limit` gives axes the username's limit once the username's own count has reached it,
and the address's limit otherwise: then "the larger count reaches the limit", which is what axes
checks, means "the username reached 5 or the address reached 20" (settings keep the address's
limit at least the username's).
"""

from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.helpers import get_client_username, get_cool_off
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from core.views import safe_next
from staff import selectors

LOCKED = (
    "Sign-in is temporarily locked after too many failed attempts. "
    "Try again after {time} ({minutes} minutes after the last attempt)."
)


def failure_limit(request: HttpRequest, credentials: dict[str, Any] | None) -> int:
    """AXES_FAILURE_LIMIT: see the module's docstring."""
    username = get_client_username(request, credentials)
    limit: int = settings.SIGN_IN_FAILURE_LIMIT
    if (
        username
        and selectors.sign_in_failures(username=username, since=get_cool_off_threshold(request))
        >= limit
    ):
        return limit
    address_limit: int = settings.SIGN_IN_ADDRESS_FAILURE_LIMIT
    return address_limit


def locked_until(request: HttpRequest, credentials: dict[str, Any] | None) -> Any:
    """When a locked sign-in may be tried again: one cool-off after the latest failure of the
    username or from the address (local time)."""
    cool_off = get_cool_off(request) or settings.AXES_COOLOFF_TIME
    now = getattr(request, "axes_attempt_time", None) or timezone.now()
    latest = selectors.sign_in_last_failure(
        username=get_client_username(request, credentials),
        ip=getattr(request, "axes_ip_address", None),
        since=now - cool_off,
    )
    return timezone.localtime((latest or now) + cool_off)


def lockout_message(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The same words whether or not the username exists."""
    cool_off = get_cool_off(request) or settings.AXES_COOLOFF_TIME
    until = locked_until(request, credentials)
    return LOCKED.format(time=f"{until:%H:%M}", minutes=int(cool_off.total_seconds() // 60))


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the sign-in page again (for /login/ and /admin/login/), saying
    that sign-in is locked and until when; 429 Too Many Requests."""
    context = {
        "form": AuthenticationForm(request),
        "locked": lockout_message(request, credentials),
        "next": safe_next(request, ""),
        "login_url": reverse("login"),
    }
    return render(request, "registration/login.html", context, status=429)
