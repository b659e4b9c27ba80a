"""Passkeys' relying party: the host that served the page."""

from django.http import HttpRequest
from django_otp_webauthn.helpers import WebAuthnHelper


def passkey_rp_id(request: HttpRequest) -> str:
    """The relying party of a passkey ceremony: the page's host (Django has checked it against
    ALLOWED_HOSTS) without its port."""
    host = request.get_host()
    return host if host.endswith("]") else host.rsplit(":", 1)[0]


class PasskeyHelper(WebAuthnHelper):
    """django-otp-webauthn's helper, accepting a passkey's signature only from the origin of
    the page that asked for it (scheme, host and port, as Django sees the request)."""

    def get_allowed_origins(self) -> list[str]:
        return [f"{self.request.scheme}://{self.request.get_host()}"]
