from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections, transaction

from core import citus, partitions


class Command(BaseCommand):
    help = (
        "Make the monthly partitions of the time-partitioned tables (settings TIME_PARTITIONS) "
        "for this month and PARTITION_MONTHS_AHEAD months ahead, and move the rows their "
        "default partitions caught into partitions of their own months. Run it daily (and after "
        "a bulk load of old rows); safe to run again. With --partition (or --unpartition), "
        "first turn one table of TIME_PARTITIONS that a migration leaves plain (the ledger's "
        "entries) into a partitioned one with its rows, or back, in one transaction."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default="default", help="the database alias")
        change = parser.add_mutually_exclusive_group()
        change.add_argument("--partition", metavar="MODEL", help="e.g. credits.CreditEntry")
        change.add_argument("--unpartition", metavar="MODEL", help="e.g. credits.CreditEntry")

    def handle(self, *args: Any, database: str, **options: Any) -> None:
        connection = connections[database]
        if not partitions.supported(connection):
            self.stdout.write("Nothing to do: this database keeps plain tables (PostgreSQL only).")
            return
        label = options["partition"] or options["unpartition"]
        if label:
            self._change(connection, label, partition=bool(options["partition"]))
        made = partitions.maintain(database)
        for name in made:
            self.stdout.write(f"made {name}")
        self.stdout.write(f"{len(made)} partition(s) made; every month in use has its own")

    def _change(self, connection, label: str, *, partition: bool) -> None:
        specs = {spec.label: spec for spec in partitions.configured()}
        if label not in specs:
            raise CommandError(f"{label} is not in TIME_PARTITIONS ({', '.join(specs)}).")
        spec = specs[label]
        if citus.is_coordinator(connection):
            raise CommandError(
                "Not on a Citus coordinator: a distributed table is not rebuilt in place. "
                "Partition it on the single node before distributing it."
            )
        if partitions.is_partitioned(connection, spec.table) == partition:
            state = "partitioned" if partition else "a plain table"
            self.stdout.write(f"{spec.table} is {state} already.")
            return
        change = partitions.partition_table if partition else partitions.unpartition_table
        with transaction.atomic(using=connection.alias), connection.schema_editor() as editor:
            change(editor, label, spec.column)
        state = "partitioned by month of" if partition else "a plain table again, without"
        self.stdout.write(f"{spec.table} is {state} {spec.column}.")
