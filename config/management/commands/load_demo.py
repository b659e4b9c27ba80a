from importlib import import_module

from django.core.management.base import BaseCommand

# Each app that has demo data provides `demo.load(password=..., stdout=...)`; they run in
# this order (later ones build on the accounts of the first) and each is idempotent.
DEMO_MODULES = ("accounts.demo", "legacy_history.demo", "credits.demo")


class Command(BaseCommand):
    help = "Load deterministic demo data and the four demo users (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--password", default="demo-password", help="demo users' password")

    def handle(self, *args, password, **options):
        for module in DEMO_MODULES:
            import_module(module).load(password=password, stdout=self.stdout)
        from accounts.demo import DEMO_USERS

        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password: {password}):"))
        for username, _first, _last, role, _staff in DEMO_USERS:
            self.stdout.write(f"  {username:<14} {role}")
