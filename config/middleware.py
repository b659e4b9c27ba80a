"""Middleware of the back-office."""

from collections.abc import Callable

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, JsonResponse

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
