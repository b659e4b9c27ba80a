"""Writes of integrations: creating one, issuing its token, disabling and enabling it."""

import secrets
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from integrations.models import TOKEN_PREFIX_LENGTH, Integration, token_hash

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _new_key() -> str:
    # 32 random bytes, URL-safe: 43 characters that fit an Authorization header as they are.
    return secrets.token_urlsafe(32)


@transaction.atomic
def integration_token_issue(*, integration: Integration) -> str:
    """Give `integration` a new token and save it; the previous token stops working at once.

    Returns the token. Only its hash and first characters are stored, so this is the one moment
    it can be shown. Works on an unsaved integration too (the admin's add form).
    """
    key = _new_key()
    integration.token_prefix = key[:TOKEN_PREFIX_LENGTH]
    integration.token_hash = token_hash(key)
    integration.token_issued_at = timezone.now()
    integration.full_clean()
    integration.save()
    return key


@transaction.atomic
def integration_create(*, name: str, created_by: "User | None" = None) -> tuple[Integration, str]:
    """Create an active integration called `name` with a fresh token.

    Returns the integration and its token (shown once). Raises ValidationError for an empty or
    already used name.
    """
    integration = Integration(name=(name or "").strip(), created_by=created_by)
    key = integration_token_issue(integration=integration)
    return integration, key


@transaction.atomic
def integration_set_active(*, integration: Integration, active: bool) -> Integration:
    """Enable or disable an integration; a disabled integration's token is refused."""
    integration.is_active = active
    integration.save(update_fields=["is_active"])
    return integration
