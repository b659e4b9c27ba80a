from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from integrations.services import integration_create


class Command(BaseCommand):
    help = "Create an integration and print its new API token (shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The integration's name: the actor of what it writes.")

    def handle(self, *args, name, **options):
        try:
            integration, key = integration_create(name=name)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stderr.write(
            f"Created integration “{integration.name}”. Its token follows; it is stored only as "
            "a hash and cannot be shown again."
        )
        self.stdout.write(key)
