from django.core.management.base import BaseCommand, CommandError

from config.roles import ROLE_PERMISSIONS, sync_roles


class Command(BaseCommand):
    help = "Create the four role groups and set their permissions to the role matrix."

    def handle(self, *args, **options):
        missing = sync_roles()
        quiet = options["verbosity"] == 0
        for role, perms in ROLE_PERMISSIONS.items():
            if not quiet:
                self.stdout.write(f"{role}: {len(perms)} permissions")
        if missing:
            detail = "; ".join(f"{role}: {', '.join(p)}" for role, p in missing.items())
            raise CommandError(f"Permissions missing from the database (run migrate): {detail}")
        if not quiet:
            self.stdout.write(self.style.SUCCESS("Roles are in step with the matrix."))
