"""The sign-in rules that hold on every page: the session's idle timeout and absolute lifetime,
and the second factor after the password."""

import time
import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from core.savedviews import HIDDEN_COLUMNS_ATTR
from staff.services import (
    Settings,
    preferences_of,
    second_factor_enrolled,
    second_factor_required,
)

# Session keys: when the user signed in, and when they were last seen (Unix seconds).
SIGNED_IN_AT = "staff_signed_in_at"
LAST_SEEN = "staff_last_seen"
# Seen-at is written at most this often, so that not every request writes the session.
SEEN_RESOLUTION = 30

IDLE_ENDED = "You were signed out after {} minutes without activity. Sign in again."
LIFETIME_ENDED = "Your session reached its limit of {} hours. Sign in again."


def mark_signed_in(request: HttpRequest) -> None:
    """Start the session's clocks (at every sign-in)."""
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN] = now


class SessionLifetimeMiddleware:
    """Sign out a session idle longer than SESSION_IDLE_TIMEOUT, or older than
    SESSION_COOKIE_AGE since its sign-in (Django's own expiry slides with every write of the
    session, so it alone would never end an active one). A page's own polling is not activity:
    it would keep a session open as long as a screen is left on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self._check(request)
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> None:
        now = time.time()
        session = request.session
        signed_in_at = session.get(SIGNED_IN_AT)
        last_seen = session.get(LAST_SEEN)
        idle = settings.SESSION_IDLE_TIMEOUT
        lifetime = settings.SESSION_COOKIE_AGE
        ended = None
        if last_seen is not None and now - last_seen > idle:
            ended = IDLE_ENDED.format(round(idle / 60))
        elif signed_in_at is not None and now - signed_in_at > lifetime:
            ended = LIFETIME_ENDED.format(round(lifetime / 3600))
        if ended:
            logout(request)
            messages.info(request, ended)
            return
        if signed_in_at is None:
            session[SIGNED_IN_AT] = now
        if last_seen is None:
            session[LAST_SEEN] = now

    def process_view(self, request: HttpRequest, view_func: Any, *args: Any) -> None:
        # A request that a page makes by itself (its polling: a view whose class says
        # `polled = True`) is not the user's activity: it must not keep an idle session alive.
        if getattr(getattr(view_func, "view_class", view_func), "polled", False):
            return
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            last_seen = request.session.get(LAST_SEEN)
            now = time.time()
            if last_seen is None or now - last_seen >= SEEN_RESOLUTION:
                request.session[LAST_SEEN] = now


# Session keys: the user's preferences as read at sign-in (staff.services.Settings), and
# whether they asked to see times in UTC.
PREFERENCES_KEY = "staff_preferences"
SHOW_UTC_KEY = "staff_show_utc"
# `?utc=1` shows one page (or one CSV file) in UTC without changing the session's choice.
UTC_PARAMETER = "utc"


def remember_preferences(request: HttpRequest, preferences: Settings) -> None:
    """Keep the user's preferences in the session (at sign-in, and when they change them), so
    that no request reads them from the database."""
    request.session[PREFERENCES_KEY] = preferences.as_session()


def session_preferences(request: HttpRequest) -> Settings:
    """The signed-in user's preferences from the session; read once from the database for a
    session that began before they were kept there. The defaults for a visitor."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return Settings()
    kept = Settings.from_session(request.session.get(PREFERENCES_KEY))
    if kept is None:
        kept = preferences_of(user)
        remember_preferences(request, kept)
    return kept


def shows_utc(request: HttpRequest) -> bool:
    return request.GET.get(UTC_PARAMETER) == "1" or bool(request.session.get(SHOW_UTC_KEY))


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        # A zone the machine no longer knows (tzdata changed): the site's.
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


class ViewerClockMiddleware:
    """Each request runs in its reader's time zone (Django's `timezone.activate`): the one they
    chose, or the site's, or UTC while they asked for it. Pages, date filters (core.dates) and
    CSV files follow the active zone. It costs no query: the choice is kept in the session."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        preferences = session_preferences(request)
        setattr(request, HIDDEN_COLUMNS_ATTR, preferences.hidden_columns)
        zone = _zone("UTC" if shows_utc(request) else preferences.zone_name)
        timezone.activate(zone)
        try:
            response = self.get_response(request)
        finally:
            timezone.deactivate()
        if isinstance(response, StreamingHttpResponse):
            # A CSV file is written after this returns, while the server sends it.
            response.streaming_content = _in_zone(response.streaming_content, zone)
        return response


def _in_zone(chunks: Iterable[Any], zone: zoneinfo.ZoneInfo) -> Iterator[Any]:
    timezone.activate(zone)
    try:
        yield from chunks
    finally:
        timezone.deactivate()


def second_factor_exempt(view: Any) -> Any:
    """Mark a view that opens before the second factor (sign-in, sign-out, the code page)."""
    view.second_factor_exempt = True
    return view


def enrolment_view(view: Any) -> Any:
    """Mark a view that a user without a second factor may open even where their role
    requires one (the set-up page)."""
    view.second_factor_enrolment = True
    return view


VERIFY = "verify"
ENROL = "enrol"


def second_factor_pending(request: HttpRequest) -> str | None:
    """What the signed-in user still owes after the password: VERIFY (a code: they have an
    authenticator app and this session has not entered one), ENROL (their role requires an app
    and they have none), or None. Worked out once per request."""
    if hasattr(request, "_second_factor_pending"):
        cached: str | None = request._second_factor_pending
        return cached
    user: Any = getattr(request, "user", None)
    # django-otp's OTPMiddleware gives the user is_verified(); without it nothing is verified.
    verified = getattr(user, "is_verified", lambda: False)
    pending = None
    if user is not None and user.is_authenticated and not verified():
        if second_factor_enrolled(user):
            pending = VERIFY
        elif second_factor_required(user):
            pending = ENROL
    request._second_factor_pending = pending  # type: ignore[attr-defined]
    return pending


class SecondFactorMiddleware:
    """After the password, a user with a second factor opens nothing until they have entered a
    code (the session is then verified, django-otp's OTPMiddleware says so), and a user whose
    role requires one but has none opens nothing but the set-up page. A request that is turned
    away changes nothing: it is redirected before its view runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if getattr(view_func, "second_factor_exempt", False):
            return None
        pending = second_factor_pending(request)
        if pending == VERIFY:
            return self._to("account:verify", request)
        if pending == ENROL and not getattr(view_func, "second_factor_enrolment", False):
            return self._to("account:security", request)
        return None

    @staticmethod
    def _to(name: str, request: HttpRequest) -> HttpResponse:
        url = reverse(name)
        if request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        return redirect(url)
