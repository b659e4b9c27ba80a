"""Credit operations as integrations ask for them: by name, for an account and subscription
named by customer number and order ID, with the integration's own idempotency keys.

The API parses a request's shape and calls these; a command could as well. Each runs the same
service as the pages. Idempotency keys are scoped to their caller (`key_scope`, e.g. one
integration), so that two callers who happen to pick the same key never replay or block each
other's operations.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError

from accounts.models import Account, Subscription
from core import errors
from core.actors import Actor
from credits.models import ApprovalOperation, ApprovalState, CreditApproval, CreditEntry
from credits.services.approvals import credit_request
from credits.services.gift_cards import (
    gift_card_redeem,
    gift_card_reverse,
    gift_card_status_inquiry,
)
from credits.services.grants import credit_grant, credit_refund, credit_revoke

REQUIRED = "This field is required."
# Room for the caller's scope within the 100 characters of a stored key.
MAX_SCOPED_KEY_LENGTH = 80


class Operation(StrEnum):
    GRANT = "grant"
    REVOKE = "revoke"
    REFUND = "refund"
    GIFT_CARD_REDEMPTION = "gift_card_redemption"
    GIFT_CARD_REVERSAL = "gift_card_reversal"
    GIFT_CARD_STATUS_INQUIRY = "gift_card_status_inquiry"


@dataclass(frozen=True)
class OperationSpec:
    """The service an operation runs, and the fields it requires and the optional ones it
    takes besides the fields every operation takes (COMMON)."""

    service: Callable[..., CreditEntry]
    required: frozenset[str]
    optional: frozenset[str]

    @property
    def fields(self) -> frozenset[str]:
        return self.required | self.optional | COMMON


COMMON = frozenset({"operation", "idempotency_key", "account", "note", "created_at"})
OPERATIONS: dict[str, OperationSpec] = {
    Operation.GRANT: OperationSpec(
        credit_grant,
        frozenset({"amount", "credit_type"}),
        frozenset({"currency", "subscription", "transaction_id"}),
    ),
    Operation.REVOKE: OperationSpec(
        credit_revoke,
        frozenset({"amount", "credit_type"}),
        frozenset({"currency", "subscription"}),
    ),
    Operation.REFUND: OperationSpec(
        credit_refund,
        frozenset({"amount", "credit_type", "transaction_id"}),
        frozenset({"currency", "subscription"}),
    ),
    Operation.GIFT_CARD_REDEMPTION: OperationSpec(
        gift_card_redeem,
        frozenset({"amount", "currency", "gift_card"}),
        frozenset({"transaction_id"}),
    ),
    Operation.GIFT_CARD_REVERSAL: OperationSpec(
        gift_card_reverse,
        frozenset({"amount", "currency", "gift_card"}),
        frozenset({"transaction_id"}),
    ),
    Operation.GIFT_CARD_STATUS_INQUIRY: OperationSpec(
        gift_card_status_inquiry,
        frozenset({"currency", "gift_card", "gift_card_status"}),
        frozenset({"transaction_id"}),
    ),
}


def operation_field_errors(operation: str, given: Mapping[str, Any]) -> dict[str, list[str]]:
    """The fields `operation` requires but `given` lacks, and those it does not take."""
    spec = OPERATIONS[operation]
    found = {name: [REQUIRED] for name in sorted(spec.required - set(given))}
    found |= {name: [errors.NOT_USED] for name in sorted(set(given) - spec.fields)}
    return found


def credit_targets(
    *, account: str, subscription: str | None = None
) -> tuple[Account, Subscription | None]:
    """The account and subscription named by the keys integrations know them by: customer
    number and order ID (refused by field when there is none)."""
    try:
        found = Account.objects.get(customer_number=account)
    except Account.DoesNotExist:
        raise ValidationError({"account": errors.NO_ACCOUNT.format(account)}) from None
    if not subscription:
        return found, None
    try:
        return found, Subscription.objects.select_related("product").get(order_id=subscription)
    except Subscription.DoesNotExist:
        raise ValidationError(
            {"subscription": errors.NO_SUBSCRIPTION.format(subscription)}
        ) from None


# The operations that wait for approval over the integration's limits (settings.CREDIT_LIMITS).
LIMITED = {
    Operation.GRANT: ApprovalOperation.GRANT,
    Operation.REVOKE: ApprovalOperation.REVOKE,
    Operation.REFUND: ApprovalOperation.REFUND,
}
DECIDED = {
    ApprovalState.APPROVED: "The request under this idempotency key was approved and ran.",
    ApprovalState.REJECTED: "The request under this idempotency key was rejected: {note}",
    ApprovalState.EXPIRED: "The request under this idempotency key expired undecided.",
}


def credit_operation_perform(
    *, actor: Actor, fields: Mapping[str, Any]
) -> CreditEntry | CreditApproval:
    """Run the operation named by `fields["operation"]` as `actor` (an integration), with its
    idempotency key in the actor's scope.

    `fields` are the operation's inputs by name (see OPERATIONS), with `account` a customer
    number and `subscription` an order ID. A field the operation does not take, or a missing
    one, is refused by name. The entry is marked `replayed` when the key returned an earlier
    call's entry. A grant, revocation or refund over the integration's limits returns the
    request that waits for approval instead (the same one for a repeat of its key); a repeat
    of a request that was rejected or expired is a Conflict.
    """
    operation = fields["operation"]
    if operation not in OPERATIONS:
        raise ValidationError({"operation": f"Unknown operation “{operation}”."})
    found = operation_field_errors(operation, fields)
    if found:
        raise ValidationError(found)
    spec = OPERATIONS[operation]
    account, subscription = credit_targets(
        account=fields["account"], subscription=fields.get("subscription")
    )
    key = actor.scoped_key(fields["idempotency_key"])
    kwargs = {
        name: fields[name]
        for name in (spec.required | spec.optional | {"note", "created_at"}) - {"subscription"}
        if name in fields
    }
    if "subscription" in spec.required | spec.optional:
        kwargs["subscription"] = subscription
    if operation == Operation.GIFT_CARD_STATUS_INQUIRY:
        kwargs["status"] = kwargs.pop("gift_card_status")
    if operation in LIMITED:
        submitted = credit_request(
            actor=actor,
            operation=LIMITED[Operation(operation)],
            account=account,
            idempotency_key=key,
            **kwargs,
        )
        if submitted.approval is None:
            return submitted.result
        approval = submitted.approval
        state = ApprovalState.EXPIRED if approval.overdue else ApprovalState(approval.state)
        if state != ApprovalState.PENDING:
            message = DECIDED[state].format(note=approval.decision_note)
            raise errors.Conflict({"idempotency_key": [message]})
        approval.replayed = submitted.replayed  # type: ignore[attr-defined]
        return approval
    return spec.service(actor=actor, account=account, idempotency_key=key, **kwargs)
