from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The roof: keeps the role groups in step with the matrix (config.roles), and the schema
    spread over a Citus cluster when it runs on one (config.cluster)."""

    name = "config"
    label = "config"
    verbose_name = "Back-office"

    def ready(self):
        from django.db.models.signals import post_migrate

        from config.cluster import schema_after_migrate
        from config.roles import sync_roles_after_migrate

        # Keep the groups' permissions in step with the matrix after every migrate, once every
        # app's permissions exist (they are created by post_migrate too).
        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="config.sync_roles")
        # On a Citus coordinator, the schema spread over the cluster (core.citus); on
        # PostgreSQL, the partitioned tables' months ahead (core.partitions).
        post_migrate.connect(schema_after_migrate, dispatch_uid="config.schema")
