"""The site's frame around every page: what the base template shows (the signed-in user's
roles, the time zone), the error pages in the layout, and the favicon."""

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.views import defaults

from config.roles import ROLE_PERMISSIONS
from core.roles import user_roles


def site(request: HttpRequest) -> dict[str, Any]:
    """The context processor of the layout: the signed-in user's roles and the time zone the
    page shows times in (theirs, or UTC while they asked for it)."""
    user = getattr(request, "user", None)
    roles = []
    if user is not None and user.is_authenticated:
        roles = sorted(role.value for role in user_roles(user))
    return {"user_roles": roles, "site_time_zone": timezone.get_current_timezone_name()}


CSRF_FAILED = (
    "This form could not be sent: it was open too long, or it did not come from this site. "
    "Nothing was changed. Go back, reload the page and try again."
)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a page in the site's layout that says what happened (Django's own
    carries inline style, which the Content-Security-Policy refuses)."""
    return render(request, "403_csrf.html", {"message": CSRF_FAILED}, status=403)


def granting_roles(request: HttpRequest) -> list[str]:
    """The roles that hold the permission the requested page asks for (from its view)."""
    match = request.resolver_match
    view_class = getattr(getattr(match, "func", None), "view_class", None)
    needed = getattr(view_class, "permission_required", None)
    if not needed:
        return []
    perms = {needed} if isinstance(needed, str) else set(needed)
    return [role for role, held in ROLE_PERMISSIONS.items() if perms <= held]


# Under /api/ every answer is JSON, errors included: an integration never parses an HTML page.
API_PREFIX = "/api/"
API_ERRORS = {
    400: "Bad request.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    500: "Server error: nothing was changed by this request; try it again later.",
}


def _api_error(request: HttpRequest, status: int) -> HttpResponse | None:
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": API_ERRORS[status]}, status=status)
    return None


def permission_denied(request: HttpRequest, exception: PermissionDenied) -> HttpResponse:
    """The 403 page: in the layout, naming the roles that may open the page."""
    return _api_error(request, 403) or render(
        request, "403.html", {"granting_roles": granting_roles(request)}, status=403
    )


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 404 page, or JSON under /api/."""
    return _api_error(request, 404) or defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 400 page, or JSON under /api/."""
    return _api_error(request, 400) or defaults.bad_request(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, or JSON under /api/."""
    return _api_error(request, 500) or defaults.server_error(request)


@login_not_required
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page links to: send them to the icon (its
    address is looked up per request, as the static files' manifest may hash it)."""
    return redirect(static("favicon.svg"), permanent=True)
