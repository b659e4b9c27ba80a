"""Middleware of the back-office: what no view should have to do itself."""

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

NUL_IN_ADDRESS = "The address holds a NUL character, which no record can contain."


class RefuseNulMiddleware:
    """A query string holding a NUL character is a 400 before any view runs: no stored value
    holds one, and PostgreSQL refuses NUL in a query's parameters (a 500 otherwise)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": NUL_IN_ADDRESS}, status=400)
            raise BadRequest(NUL_IN_ADDRESS)
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """Permissions-Policy: deny every browser feature the back-office does not use (camera,
    microphone, location, payment, USB, ...), so that no page or script can ask for them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.header = ", ".join(
            f"{feature}=({' '.join(allowed)})"
            for feature, allowed in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.header)
        return response


class NotAllowedPageMiddleware:
    """A page address opened with a method it does not take (an action's address typed or
    bookmarked, which only its form posts to) answers with a page in the layout that says so,
    instead of Django's empty 405. The API's own 405s are JSON already."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or response.content or request.path.startswith("/api/"):
            return response
        page = render(
            request, "405.html", {"allowed": response.headers.get("Allow", "")}, status=405
        )
        page.headers["Allow"] = response.headers.get("Allow", "")
        return page
