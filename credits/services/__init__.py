"""Every write to the credit ledger, and the manual charges and refunds of the back-office.

Each service is keyword-only and runs in one transaction. It validates its whole input first
(`validation.ledger_request`, once on each path) and refuses with a ValidationError naming each
bad field (nothing written), locks the wallet rows it moves (`select_for_update`, in primary-key
order), writes each entry with the next `seq` of its wallet and the balance after it, moves the
wallet's balance, and records the timeline event where one exists. `actor` is who acts (a
person, an integration or the system: core.actors); a person must give a reason (`note`) for a
grant, revocation, credit refund, manual charge or manual refund.

With an `idempotency_key`, a repeated call with the same request returns what the first one
made and writes nothing (marked `replayed`); the same key with another request is a Conflict.

The modules: `validation` (the validated request), `ledger` (wallets, locks, entries,
idempotency), `grants` (grant, revoke, refund), `gift_cards`, `billing` (consumption before
billing, manual charges and refunds), `limits` (what one person may do alone, and the absolute
maximum), `requests` (asking for an operation, which waits for a second person over the asker's
limit), `approvals` (the second person's decisions), `operations` (operations by name, as
integrations ask for them), `exports` (the record of CSV downloads) and `export_jobs` (the
downloads written in the background), `expiry` (taking off the credit of lots past their
expiry date). Which operations there
are, and what each is, is declared once in credits.operations.
"""

from credits.services.approvals import approval_approve, approval_reject, approvals_expire
from credits.services.billing import (
    CreditApplication,
    ManualCharge,
    apply_credits,
    manual_charge,
    manual_refund,
)
from credits.services.expiry import ExpiryRun, credit_lots_expire
from credits.services.export_jobs import (
    Overtaken,
    credit_export_files_erase,
    credit_export_job_claim,
    credit_export_job_fail,
    credit_export_job_file,
    credit_export_job_finish,
    credit_export_job_progress,
    credit_export_job_requeue,
    credit_export_job_start,
    credit_export_jobs_expire,
    credit_export_jobs_lost,
)
from credits.services.exports import (
    credit_balances_export_start,
    credit_export_finish,
    credit_export_start,
)
from credits.services.gift_cards import (
    gift_card_redeem,
    gift_card_reverse,
    gift_card_status_inquiry,
)
from credits.services.grants import credit_grant, credit_refund, credit_revoke
from credits.services.operations import credit_operation_perform, credit_targets
from credits.services.requests import Submitted, credit_request
from credits.services.validation import (
    AMOUNT_NEGATIVE,
    AMOUNT_NOT_A_NUMBER,
    AMOUNT_TOO_LARGE,
    AMOUNT_ZERO,
    BEFORE_LAST_ENTRY,
    FUTURE_DATE,
    GIFT_CARD_REQUIRED,
    GIFT_CARD_UNMASKED,
    MAX_NOTE_LENGTH,
    NOTE_TOO_LONG,
    OTHER_ACCOUNT,
    REASON_REQUIRED,
    TRANSACTION_INVALID,
    TRANSACTION_REQUIRED,
    WHOLE_TOKENS,
)

__all__ = [
    "AMOUNT_NEGATIVE",
    "AMOUNT_NOT_A_NUMBER",
    "AMOUNT_TOO_LARGE",
    "AMOUNT_ZERO",
    "BEFORE_LAST_ENTRY",
    "FUTURE_DATE",
    "GIFT_CARD_REQUIRED",
    "GIFT_CARD_UNMASKED",
    "MAX_NOTE_LENGTH",
    "NOTE_TOO_LONG",
    "OTHER_ACCOUNT",
    "REASON_REQUIRED",
    "TRANSACTION_INVALID",
    "TRANSACTION_REQUIRED",
    "WHOLE_TOKENS",
    "CreditApplication",
    "ExpiryRun",
    "credit_lots_expire",
    "Submitted",
    "approval_approve",
    "approval_reject",
    "approvals_expire",
    "credit_request",
    "ManualCharge",
    "apply_credits",
    "credit_balances_export_start",
    "Overtaken",
    "credit_export_finish",
    "credit_export_files_erase",
    "credit_export_job_claim",
    "credit_export_job_fail",
    "credit_export_job_file",
    "credit_export_job_finish",
    "credit_export_job_progress",
    "credit_export_job_requeue",
    "credit_export_job_start",
    "credit_export_jobs_expire",
    "credit_export_jobs_lost",
    "credit_export_start",
    "credit_grant",
    "credit_operation_perform",
    "credit_refund",
    "credit_revoke",
    "credit_targets",
    "gift_card_redeem",
    "gift_card_reverse",
    "gift_card_status_inquiry",
    "manual_charge",
    "manual_refund",
]
