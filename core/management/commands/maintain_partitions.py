from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connections

from core import partitions


class Command(BaseCommand):
    help = (
        "Make the monthly partitions of the time-partitioned tables (settings TIME_PARTITIONS) "
        "for this month and PARTITION_MONTHS_AHEAD months ahead, and move the rows their "
        "default partitions caught into partitions of their own months. Run it daily (and after "
        "a bulk load of old rows); safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default="default", help="the database alias")

    def handle(self, *args: Any, database: str, **options: Any) -> None:
        if not partitions.supported(connections[database]):
            self.stdout.write("Nothing to do: this database keeps plain tables (PostgreSQL only).")
            return
        made = partitions.maintain(database)
        for name in made:
            self.stdout.write(f"made {name}")
        self.stdout.write(f"{len(made)} partition(s) made; every month in use has its own")
