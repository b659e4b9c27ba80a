"""The background worker: django-tasks' `db_worker`, which first takes up the jobs that a lost
worker left (killed, or its machine restarted) and queues the periodic watch and the periodic
expiry of lots (credits.tasks).

`make run` and `make serve` start it beside the site (scripts/with_worker.py). It never reloads
itself on code changes: a reloader's parent process would leave its child running when stopped.
"""

from argparse import ArgumentParser
from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from credits import tasks


class Command(DatabaseWorkerCommand):
    help = (
        "Run the background jobs (Credit Activity downloads too large to stream, and the expiry "
        "of credit lots every LOT_EXPIRY_INTERVAL_SECONDS); first queue again the jobs a lost "
        "worker left."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(reload=False)

    def handle(self, *args: Any, **options: Any) -> None:
        recovered = tasks.watch_start()
        if recovered and options["verbosity"]:
            self.stdout.write(f"Queued again {recovered} job(s) that a lost worker left.")
        super().handle(*args, **options)
