from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

# What the application needs and no more: it reads and writes rows. It owns nothing, so it
# cannot TRUNCATE, drop or disable the triggers, alter tables or switch
# session_replication_role; the owner (who runs `migrate`) can.
GRANTS = (
    "GRANT USAGE ON SCHEMA public TO {role}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
    "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
    "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {role}",
)


class Command(BaseCommand):
    help = (
        "Give an existing PostgreSQL role what the application needs to run (read and write "
        "rows) and nothing more. Run it as the database's owner after every migrate; then run "
        "the application as that role."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="the application's login role (it must exist)")

    def handle(self, *args: Any, role: str, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Roles are PostgreSQL's: DATABASE_URL must point at PostgreSQL.")
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cursor.fetchone() is None:
                raise CommandError(f"No role “{role}”: create it first (CREATE ROLE ... LOGIN).")
            quoted = connection.ops.quote_name(role)
            for grant in GRANTS:
                cursor.execute(grant.format(role=quoted))
        self.stdout.write(self.style.SUCCESS(f"{role} may read and write rows; it owns nothing."))
