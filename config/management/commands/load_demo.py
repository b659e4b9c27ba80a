from importlib import import_module
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from config.roles import SECOND_FACTOR_ROLES


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
            self.stdout.write(self._second_factor_note())

    @staticmethod
    def _second_factor_note() -> str:
        roles = " and ".join(sorted(SECOND_FACTOR_ROLES))
        if settings.MFA_REQUIRED:
            return (
                f"Two-factor sign-in is required for {roles}: at their first sign-in those users "
                "set up an authenticator app (a TOTP app) at /account/security/."
            )
        return (
            f"Two-factor sign-in is OFF for this demo (MFA_REQUIRED=false): {roles} sign in with "
            "the password alone. To try it, sign in and set up an app at /account/security/ "
            "(any user; from then on that user is asked for a code), or run "
            "`MFA_REQUIRED=true make run` to require it as in production."
        )
