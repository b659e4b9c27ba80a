from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """Billing systems and portals that call the API, each with its own token."""

    name = "integrations"
    verbose_name = "Integrations"

    def ready(self):
        # Registers the OpenAPI description of the token authentication with drf-spectacular.
        from integrations import schema  # noqa: F401
