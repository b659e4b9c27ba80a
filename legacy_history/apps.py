from django.apps import AppConfig


class LegacyHistoryConfig(AppConfig):
    name = "legacy_history"
    verbose_name = "Legacy history"
    # Its part of erasing a customer (core.personal_data).
    erasure = "legacy_history.erasure"
    # Its files in a customer's data export (core.personal_data).
    customer_export = "legacy_history.export"
    # Loaded by `manage.py load_demo` after the demo accounts (INSTALLED_APPS order).
    demo = "legacy_history.demo"

    def ready(self) -> None:
        from core import navigation

        navigation.register(
            navigation.Link(
                "View in Legacy mode",
                "legacy_history:legacy",
                "legacy_history.view_legacyentry",
                place=navigation.TIMELINE,
                hint="older history that is not yet part of this timeline",
            )
        )
