"""Token authentication of the API: `Authorization: Token <key>` (or `Bearer <key>`)."""

from rest_framework import authentication, exceptions

from core.errors import INTEGRATION_DISABLED
from integrations.models import Integration
from integrations.selectors import integration_for_token

KEYWORDS = ("token", "bearer")

MISSING_KEY = "No token after the keyword. Send `Authorization: Token <key>`."
MALFORMED_KEY = "A token has no spaces. Send `Authorization: Token <key>`."
INVALID_TOKEN = "Invalid token."
DISABLED = INTEGRATION_DISABLED


class IntegrationPrincipal:
    """Who makes an API request: an integration, not a back-office user.

    DRF needs a `request.user`; this one is authenticated but holds no Django permissions, so a
    token can reach the API's own operations and nothing of the back-office.
    """

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None

    def __init__(self, integration: Integration):
        self.integration = integration

    def __str__(self):
        return self.integration.name

    def get_username(self) -> str:
        return self.integration.name

    def has_perm(self, perm, obj=None) -> bool:
        return False


class IntegrationTokenAuthentication(authentication.BaseAuthentication):
    """Authenticates the integration whose token hash matches; refuses disabled ones.

    Sets `request.user` to an `IntegrationPrincipal` and `request.auth` to the `Integration`.
    """

    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode("latin-1").lower() not in KEYWORDS:
            return None
        if len(header) == 1:
            raise exceptions.AuthenticationFailed(MISSING_KEY)
        if len(header) > 2:
            raise exceptions.AuthenticationFailed(MALFORMED_KEY)
        try:
            key = header[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN) from None
        integration = integration_for_token(key)
        if integration is None:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        if not integration.is_active:
            raise exceptions.AuthenticationFailed(DISABLED)
        return IntegrationPrincipal(integration), integration

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) to a request without a valid token.
        return self.keyword
