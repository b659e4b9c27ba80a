from django.apps import AppConfig


class LegacyHistoryConfig(AppConfig):
    name = "legacy_history"
    verbose_name = "Legacy history"
