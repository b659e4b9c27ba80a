from importlib import import_module
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Load deterministic demo data and the four demo users (safe to run again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default="demo-password", help="demo users' password")

    def handle(self, *args: Any, password: str, **options: Any) -> None:
        # Each app with demo data names its module in its AppConfig (`demo`); the module's
        # `load(password=..., stdout=...)` is idempotent and may return lines for the summary
        # (the demo logins). They run in the order of INSTALLED_APPS: later apps build on the
        # accounts of the first.
        summary: list[str] = []
        for config in apps.get_app_configs():
            module = getattr(config, "demo", None)
            if module:
                summary += import_module(module).load(password=password, stdout=self.stdout) or []
        if summary:
            self.stdout.write("")
            self.stdout.write(self.style.SUCCESS(f"Demo logins (password: {password}):"))
            for line in summary:
                self.stdout.write(f"  {line}")
