"""Rows made once for all of a module's tests, inside a transaction that is rolled back after
the module's last test, so that no other test ever sees them (each test of the module runs in a
savepoint of it and sees them as they were made).

Only for a module whose every test may see those rows: a test that counts all accounts, or
makes a row with the same unique key, belongs in another module.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.db import connection, transaction
from django.test import override_settings

T = TypeVar("T")


@contextmanager
def rows_for_the_module(django_db_blocker, make: Callable[[], T]) -> Iterator[T]:
    """What `make()` returns, its rows kept until the `with` block ends (a module fixture's)."""
    # Read from the primary as the tests do (tests.conftest.reads_from_the_primary): a replica
    # never sees rows of a transaction that is never committed.
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(DATABASE_ROUTERS=[]):
            made = make()
        # Check the deferred foreign keys now, once, as a commit would; otherwise every test's
        # teardown checks the pending ones again inside its savepoint.
        connection.check_constraints()
        with django_db_blocker.block():
            yield made
        transaction.set_rollback(True)
