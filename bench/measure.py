"""The measurements: each returns rows of (name, unit, samples or value, note).

They live by topic: `timing` (the result row, the timer, the signed-in client), `pages` (the
pages and their queries: Recent Activity, Credit Activity and its totals, the searches, the
roll-forward) and `throughput` (the CSV download, streamed and written in the background,
ingestion, concurrent consumption, consumption of a wallet of many lots). This module names them
all for bench.run.
"""

from bench.pages import (
    LEDGER_SUM_SQL,
    ROLLFORWARD_MONTH,
    SEARCH_ANSWERS,
    SEARCH_NAME_PART,
    credit_activity,
    recent_activity,
    rollforward,
    search,
    search_pages,
    totals,
)
from bench.throughput import (
    PeakMemory,
    apply_credits_with_lots,
    background_export,
    concurrent_apply_credits,
    csv_export,
    ingestion,
    ledger_drift,
)
from bench.timing import Result, signed_in_client, timed

__all__ = [
    "LEDGER_SUM_SQL",
    "ROLLFORWARD_MONTH",
    "SEARCH_ANSWERS",
    "SEARCH_NAME_PART",
    "PeakMemory",
    "Result",
    "apply_credits_with_lots",
    "background_export",
    "concurrent_apply_credits",
    "credit_activity",
    "csv_export",
    "ingestion",
    "ledger_drift",
    "recent_activity",
    "rollforward",
    "search",
    "search_pages",
    "signed_in_client",
    "timed",
    "totals",
]
