from rest_framework.permissions import BasePermission

from integrations.models import Integration


class IsIntegration(BasePermission):
    """Only a request authenticated by an integration's token; a signed-in back-office user
    (session) has no access to the API's operations."""

    message = "Send an integration's token: `Authorization: Token <key>`."

    def has_permission(self, request, view):
        return isinstance(request.auth, Integration)
