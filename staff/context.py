"""Who is acting, and from where, for records made where no request is passed along (Django's
model signals when the admin changes a user). `RequestContextMiddleware` holds the current
request for the length of each request; outside one (commands, the shell) the system acts."""

from collections.abc import Callable
from contextvars import ContextVar

from axes.helpers import get_client_ip_address
from django.http import HttpRequest, HttpResponse

from core.actors import SYSTEM, Actor
from staff.services import VISITOR

_request: ContextVar[HttpRequest | None] = ContextVar("staff_request", default=None)


def client_address(request: HttpRequest | None) -> str | None:
    """The client's address as django-axes sees it (the same rule that counts its failures:
    REMOTE_ADDR unless the settings trust a proxy's header)."""
    if request is None:
        return None
    address = getattr(request, "axes_ip_address", None) or get_client_ip_address(request)
    return str(address) if address else None


def acting() -> tuple[Actor, str | None]:
    """(actor, address) of the current request's user: the visitor when nobody is signed in,
    the system outside requests."""
    request = _request.get()
    if request is None:
        return SYSTEM, None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return Actor.person(user), client_address(request)
    return VISITOR, client_address(request)


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)
