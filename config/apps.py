from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """Project-wide pieces: roles, the base table, the layout's context."""

    name = "config"
    label = "config"
    verbose_name = "Back-office"

    def ready(self):
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from config.cards import register_sqlite_function
        from config.roles import sync_roles_after_migrate

        # SQLite runs the card-number check constraints with the same Python function.
        connection_created.connect(register_sqlite_function, dispatch_uid="config.cards")

        # Keep the groups' permissions in step with the matrix after every migrate, once every
        # app's permissions exist (they are created by post_migrate too).
        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="config.sync_roles")
