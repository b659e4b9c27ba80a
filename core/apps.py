from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The ground every app stands on: who acted, money, dates, errors, personal data, CSV
    files, paging, and the bases of pages, tables, filters and the API. It imports no app."""

    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from core import lookups  # noqa: F401  (registers `fcontains` on text fields)
        from core.cards import register_sqlite_function

        # SQLite runs the card-number check constraints with the same Python function.
        connection_created.connect(register_sqlite_function, dispatch_uid="core.cards")
