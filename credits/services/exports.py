"""The record of CSV downloads of the ledger: who downloaded which entries (or which
roll-forward), and when."""

from typing import Any

from core.actors import ActorLike
from core.downloads import download_finish, download_start
from credits.models import CreditBalancesExport, CreditExport


def credit_export_start(*, actor: ActorLike, filters: dict[str, Any]) -> CreditExport:
    """Record that `actor` started a Credit Activity download with these filters (as typed)."""
    return download_start(CreditExport, actor=actor, filters=filters)


def credit_export_finish(*, export: CreditExport, rows: int) -> None:
    """Record how many entries a finished download held."""
    download_finish(export, rows=rows)


def credit_balances_export_start(
    *, actor: ActorLike, filters: dict[str, Any]
) -> CreditBalancesExport:
    """Record that `actor` started a download of the credit roll-forward (or of one unit's
    wallets) with this query (the period and unit, as typed)."""
    return download_start(CreditBalancesExport, actor=actor, filters=filters)
