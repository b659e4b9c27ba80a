"""The credit ledger.

A `CreditWallet` holds one unit of credit (tokens, or one currency) for an account or for one
of its subscriptions, with its current balance. A `CreditEntry` is one movement in a wallet:
numbered per wallet (`seq`, no gaps), signed by its activity, with the balance after it.
Entries are never changed or deleted (a trigger refuses it on PostgreSQL); a mistake is
corrected by a new entry. Every write goes through `credits.services`, which keeps
`balance_after` = previous `balance_after` + `amount` and the wallet's balance = its last
entry's `balance_after`; `verify_ledger` checks both.

The modules: `amounts` (the amount field and the unit constraints the models share), `wallets`
(the wallet), `entries` (the entries, and the idempotent operations they point back to),
`lots` (the parts of a balance: each grant's kind, expiry and what remains, and which lots
each draw-down took from), `totals` (the ledger summed per day, unit, activity and product),
`approvals` (requests waiting for a second person) and `downloads` (the records of the CSV
downloads). Every model and name is imported here: Django finds the app's models through this
package, and the rest of the code imports them from `credits.models`.
"""

from core.money import CreditType
from credits.models.amounts import HALF_QUANTUM, amount_field
from credits.models.approvals import ApprovalState, CreditApproval, CreditApprovalQuerySet
from credits.models.downloads import (
    CreditBalancesExport,
    CreditExport,
    CreditExportJob,
    ExportState,
)
from credits.models.entries import (
    APPEND_ONLY_TRIGGER,
    CreditEntry,
    CreditEntryQuerySet,
    CreditOperation,
    GiftCardStatus,
)
from credits.models.lots import (
    KIND_RANK,
    CreditAllocation,
    CreditLot,
    CreditLotQuerySet,
    LotKind,
    draw_down_key,
)
from credits.models.totals import NO_PRODUCT, SLOTS, CreditDayTotal, CreditUnitTotal
from credits.models.wallets import CreditWallet, CreditWalletMonth, CreditWalletQuerySet
from credits.operations import Activity, ApprovalOperation

__all__ = [
    "APPEND_ONLY_TRIGGER",
    "HALF_QUANTUM",
    "KIND_RANK",
    "NO_PRODUCT",
    "SLOTS",
    "Activity",
    "ApprovalOperation",
    "ApprovalState",
    "CreditAllocation",
    "CreditApproval",
    "CreditApprovalQuerySet",
    "CreditBalancesExport",
    "CreditDayTotal",
    "CreditUnitTotal",
    "CreditEntry",
    "CreditEntryQuerySet",
    "CreditExport",
    "CreditLot",
    "CreditLotQuerySet",
    "CreditExportJob",
    "ExportState",
    "CreditOperation",
    "CreditType",
    "CreditWallet",
    "CreditWalletMonth",
    "CreditWalletQuerySet",
    "GiftCardStatus",
    "LotKind",
    "amount_field",
    "draw_down_key",
]
