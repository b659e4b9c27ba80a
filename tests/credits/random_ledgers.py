"""Random ledger histories for the property tests of the roll-forward and the journal: the
periods they are read over, and the replay of a drawn sequence of operations."""

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import strategies as st

START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
# A period: its first day and how many days it runs.
periods = st.tuples(
    st.dates(min_value=dt.date(2024, 12, 1), max_value=dt.date(2026, 4, 30)),
    st.integers(min_value=0, max_value=120),
)


def replay(
    sequence: Sequence[tuple], run: Callable[..., Any], account: Any, subscription: Any
) -> None:
    """run(op, account, subscription, step, when) for each operation, each the hours its last
    field says after the one before; an operation refused (more than the balance, nothing to
    refund) writes nothing and the history goes on."""
    when = START
    for step, op in enumerate(sequence):
        when += dt.timedelta(hours=op[-1])
        try:
            with transaction.atomic():
                run(op, account, subscription, step, when)
        except ValidationError:
            pass
