"""The schema after every `migrate`: spread over a Citus cluster when it runs on a coordinator
(core.citus), and the time-partitioned tables' months made (core.partitions)."""

from typing import Any

from django.apps import AppConfig
from django.apps import apps as django_apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from core import citus, partitions


def schema_after_migrate(sender: AppConfig, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """Once per `migrate` (on the last app's signal; not after a flush, which sends no plan):
    on a Citus coordinator, distribute what is not distributed yet; then the months ahead of
    the partitioned tables, and the months their default partitions caught."""
    with_models = [c for c in django_apps.get_app_configs() if c.models_module is not None]
    if kwargs.get("plan") is None or sender.label != with_models[-1].label:
        return
    _distribute(using, kwargs.get("verbosity", 1))
    made = partitions.maintain(using)
    if made and kwargs.get("verbosity", 1):
        print(f"  Partitions made: {', '.join(made)}")


def _distribute(using: str, verbosity: int) -> None:
    if not citus.active(using):
        return
    changed = citus.distribute(
        connections[using],
        distributed=settings.CITUS_DISTRIBUTED,
        reference=settings.CITUS_REFERENCE,
    )
    if changed and verbosity:
        for table, kind in changed:
            print(f"  Citus: {table} is now a {kind} table")
