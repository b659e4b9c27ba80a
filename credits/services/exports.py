"""The record of CSV downloads of the ledger: who downloaded which entries, and when."""

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from config.actors import acting_user, actor_name
from credits.models import CreditExport

if TYPE_CHECKING:
    from config.actors import Actor


@transaction.atomic
def credit_export_start(*, actor: "Actor", filters: dict[str, Any]) -> CreditExport:
    """Record that `actor` started a download with these filters (as typed); its row count
    follows when the last row has gone out (`credit_export_finish`)."""
    return CreditExport.objects.create(
        actor=acting_user(actor), actor_name=actor_name(actor), filters=filters
    )


def credit_export_finish(*, export: CreditExport, rows: int) -> None:
    """Record how many entries a finished download held. A download cut off before its end
    keeps no count."""
    CreditExport.objects.filter(pk=export.pk).update(row_count=rows, finished_at=timezone.now())
