"""Credit operations as integrations ask for them: by name (the registry's API operations,
credits.operations), for an account and subscription named by customer number and order ID,
with the integration's own idempotency keys.

The API parses a request's shape and calls these; a command could as well. Each runs the same
service as the pages. Idempotency keys live in their caller's scope (`Actor.key_scope`, one
integration's), so that two callers who happen to pick the same key never replay or block each
other's operations.
"""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError

from accounts.models import Account, Subscription
from core import errors
from core.actors import Actor
from credits.models import ApprovalState, CreditApproval, CreditEntry
from credits.operations import API_OPERATIONS, OPERATION, Operation
from credits.services.requests import credit_request, performer

REQUIRED = "This field is required."
# Room for the caller's scope within the 100 characters of a stored key.
MAX_SCOPED_KEY_LENGTH = 80
# The fields every operation takes through the API.
COMMON = frozenset({"operation", "idempotency_key", "account", "note", "created_at"})
DECIDED = {
    ApprovalState.APPROVED: "The request under this idempotency key was approved and ran.",
    ApprovalState.REJECTED: "The request under this idempotency key was rejected: {note}",
    ApprovalState.EXPIRED: "The request under this idempotency key expired undecided.",
}


def api_operation(code: str) -> Operation:
    """The registry's operation of a code that integrations may ask for by name."""
    if code not in API_OPERATIONS:
        raise ValidationError({"operation": f"Unknown operation “{code}”."})
    return OPERATION[code]


def operation_field_errors(code: str, given: Mapping[str, Any]) -> dict[str, list[str]]:
    """The fields the operation requires but `given` lacks, and those it does not take."""
    fields = api_operation(code).api
    assert fields is not None  # an API operation
    found = {name: [REQUIRED] for name in sorted(fields.required - set(given))}
    taken = fields.required | fields.optional | COMMON
    found |= {name: [errors.NOT_USED] for name in sorted(set(given) - taken)}
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


def credit_operation_perform(
    *, actor: Actor, fields: Mapping[str, Any]
) -> CreditEntry | CreditApproval:
    """Run the operation named by `fields["operation"]` as `actor` (an integration), with its
    idempotency key in the actor's scope.

    `fields` are the operation's inputs by name (its `api` fields in the registry), with
    `account` a customer number and `subscription` an order ID. A field the operation does not
    take, or a missing one, is refused by name. The entry is marked `replayed` when the key
    returned an earlier call's entry. An operation that waits over the integration's limits
    returns the request that waits for approval instead (the same one for a repeat of its
    key); a repeat of a request that was rejected or expired is a Conflict.
    """
    operation = api_operation(fields["operation"])
    found = operation_field_errors(operation.code, fields)
    if found:
        raise ValidationError(found)
    api = operation.api
    assert api is not None
    account, subscription = credit_targets(
        account=fields["account"], subscription=fields.get("subscription")
    )
    key = actor.scoped_key(fields["idempotency_key"])
    renamed = dict(api.renamed)
    kwargs = {
        renamed.get(name, name): fields[name]
        for name in (api.required | api.optional | {"note", "created_at"}) - {"subscription"}
        if name in fields
    }
    if "subscription" in api.required | api.optional:
        kwargs["subscription"] = subscription
    if not operation.waits:
        return performer(operation)(actor=actor, account=account, idempotency_key=key, **kwargs)
    submitted = credit_request(
        actor=actor, operation=operation.code, account=account, idempotency_key=key, **kwargs
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
