from importlib import import_module
from typing import Any

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from core import partitions


class Command(BaseCommand):
    help = "Load deterministic demo data and the four demo users (safe to run again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default="demo-password", help="demo users' password")

    def handle(self, *args: Any, password: str, **options: Any) -> None:
        # The role groups as the matrix says (migrate sets them too): the demo users need them.
        call_command("sync_roles", verbosity=0)
        # Each app with demo data names its module in its AppConfig (`demo`); the module's
        # `load(password=..., stdout=...)` is idempotent and may return lines for the summary
        # (the demo logins), and its `notes()` lines to print under them. They run in the
        # order of INSTALLED_APPS: later apps build on the accounts of the first.
        names = [getattr(config, "demo", None) for config in apps.get_app_configs()]
        modules = [import_module(name) for name in names if name]
        summary: list[str] = []
        for module in modules:
            summary += module.load(password=password, stdout=self.stdout) or []
        # The demo's older months of the timeline in partitions of their own (PostgreSQL).
        partitions.maintain()
        if summary:
            self.stdout.write("")
            self.stdout.write(self.style.SUCCESS(f"Demo logins (password: {password}):"))
            for line in summary:
                self.stdout.write(f"  {line}")
            for module in modules:
                for note in getattr(module, "notes", list)():
                    self.stdout.write(note)
