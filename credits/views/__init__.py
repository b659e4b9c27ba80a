"""The credit pages.

- `activity`: Credit Activity (the filtered entries, their totals and their CSV) and one
  transaction's entries.
- `balances`: the credit liability roll-forward (Credit Balances), one unit's wallets and the
  CSV of each; balances at a moment.
- `journal`: the journal for the books of a closed period, and its CSV.
- `operations`: the credit operations posted from the account page (grant, revoke, manual charge
  and manual refund).
- `approvals`: requests for approval, and the approver's decisions.
- `exports`: Credit Activity downloads too large to stream, written in the background.

The views are named here for credits.urls.
"""

from credits.views.activity import CreditActivityExportView, CreditActivityView, TransactionView
from credits.views.approvals import (
    ApprovalActionView,
    ApprovalDetailView,
    ApprovalListView,
    ApproveView,
    OwnRequestsView,
    RejectView,
)
from credits.views.balances import (
    BalancesCsvView,
    CreditBalancesAtView,
    CreditBalancesExportView,
    CreditBalancesUnitExportView,
    CreditBalancesUnitView,
    CreditBalancesView,
)
from credits.views.exports import (
    ExportFileView,
    ExportJobView,
    ExportProgressView,
    ExportsView,
)
from credits.views.journal import CreditJournalExportView, CreditJournalView
from credits.views.operations import (
    ChargeView,
    CreditActionView,
    CreditConfirmView,
    GrantView,
    RefundView,
    RevokeView,
    waiting_message,
)

__all__ = [
    "ApprovalActionView",
    "ApprovalDetailView",
    "ApprovalListView",
    "ApproveView",
    "OwnRequestsView",
    "BalancesCsvView",
    "ChargeView",
    "CreditActionView",
    "CreditActivityExportView",
    "CreditActivityView",
    "CreditBalancesAtView",
    "CreditBalancesExportView",
    "CreditBalancesUnitExportView",
    "CreditBalancesUnitView",
    "CreditBalancesView",
    "CreditConfirmView",
    "ExportFileView",
    "ExportJobView",
    "ExportProgressView",
    "ExportsView",
    "CreditJournalExportView",
    "CreditJournalView",
    "GrantView",
    "RefundView",
    "RejectView",
    "RevokeView",
    "TransactionView",
    "waiting_message",
]
