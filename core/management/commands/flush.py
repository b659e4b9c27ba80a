"""Django's `flush`, cheaper on one PostgreSQL: the test suite runs it after every
transactional test (a browser test's live server, the concurrency tests), and Django's own
truncates every table (with the timeline's monthly partitions and every index, hundreds of
relations) and then fills the content types, permissions and role groups again with
post_migrate, whatever the test touched.

Here (core.postgresql) it truncates only the tables that hold rows and those whose foreign keys
point at them; and when the tables post_migrate fills hold exactly what it left after the last
flush on this connection (a digest of every row), they stay as they are and post_migrate is not
sent again. What remains afterwards is what Django's flush leaves. On SQLite and on a Citus
coordinator, and when it asks before it empties, it is Django's flush."""

from typing import Any

from django.core.management.commands import flush
from django.core.management.sql import emit_post_migrate_signal
from django.db import connections

from core.postgresql.base import DatabaseWrapper


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        connection.ensure_connection()  # which finds whether it is a Citus coordinator
        if not isinstance(connection, DatabaseWrapper) or connection.citus:
            super().handle(**options)
            return
        if options["interactive"]:
            connection.flushed_state = None  # whether it empties is the answer's
            super().handle(**options)
            return
        unchanged = connection.flushed_state is not None and (
            connection.ops.post_migrate_state() == connection.flushed_state
        )
        connection.flush_keeps = connection.flush_kept = unchanged
        inhibited = options.get("inhibit_post_migrate", False)
        try:
            super().handle(**{**options, "inhibit_post_migrate": inhibited or unchanged})
        finally:
            connection.flush_keeps = False
        if unchanged and not connection.flush_kept and not inhibited:
            # Something emptied pointed at those tables: they were emptied too.
            emit_post_migrate_signal(options["verbosity"], options["interactive"], connection.alias)
        connection.flushed_state = connection.ops.post_migrate_state()
