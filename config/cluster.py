"""The schema on a Citus coordinator, after every `migrate` (core.citus)."""

from typing import Any

from django.apps import AppConfig
from django.apps import apps as django_apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from core import citus


def distribute_after_migrate(
    sender: AppConfig, using: str = DEFAULT_DB_ALIAS, **kwargs: Any
) -> None:
    """Once per `migrate` (on the last app's signal; not after a flush, which sends no plan):
    on a Citus coordinator, distribute what is not distributed yet."""
    with_models = [c for c in django_apps.get_app_configs() if c.models_module is not None]
    if kwargs.get("plan") is None or sender.label != with_models[-1].label:
        return
    if not citus.active(using):
        return
    changed = citus.distribute(
        connections[using],
        distributed=settings.CITUS_DISTRIBUTED,
        reference=settings.CITUS_REFERENCE,
    )
    if changed and kwargs.get("verbosity", 1):
        for table, kind in changed:
            print(f"  Citus: {table} is now a {kind} table")
