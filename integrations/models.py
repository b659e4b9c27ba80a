import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

from core import triggers
from core.actors import Actor

# Characters of the token kept in clear, so that an administrator can tell tokens apart.
TOKEN_PREFIX_LENGTH = 8


def token_hash(key: str) -> str:
    """The stored form of a token: its SHA-256. Tokens are long random strings, so a fast hash
    is enough; the token itself is never stored."""
    return hashlib.sha256(key.encode()).hexdigest()


class Integration(models.Model):
    """A system that calls the API (the billing engine, the self-service portal).

    Its name is the actor label of every event and credit entry it writes. It holds one token;
    issuing a new one (`integration_token_issue`) makes the old one stop working.
    """

    name = models.CharField(
        max_length=150,
        unique=True,
        help_text="Shown as the actor of everything this integration writes.",
    )
    is_active = models.BooleanField(
        "active", default=True, help_text="A disabled integration's token is refused."
    )
    token_prefix = models.CharField(max_length=TOKEN_PREFIX_LENGTH, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_issued_at = models.DateTimeField(default=timezone.now, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    # Personal data, field by field (core.personal_data).
    PERSONAL_DATA: dict[str, str] = {}
    NO_PERSONAL_DATA = ("name", "token_prefix", "token_hash")

    class Meta:
        ordering = ["name"]
        # An integration is disabled, never deleted: the events and entries it wrote name it.
        triggers = [triggers.no_delete(), triggers.no_truncate()]

    def __str__(self):
        return self.name

    @property
    def token_hint(self) -> str:
        return f"{self.token_prefix}…"

    @property
    def key_scope(self) -> str:
        """The scope of this integration's idempotency keys: its keys never meet another's."""
        return f"api-{self.pk}"

    @property
    def actor(self) -> Actor:
        """Who the integration's writes are by: its name, its keys in its own scope."""
        return Actor.integration(self.name, key_scope=self.key_scope)
