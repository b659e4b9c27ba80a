"""Asking for a credit operation: it runs at once within the asker's limits, and waits for a
second person's approval over them (four eyes; the decisions are `approvals`).

`credit_request` is how people (the account page) and integrations (the API) ask for any
operation of the registry that waits over a limit (credits.operations: grant, revocation,
credit refund, manual charge, manual refund). It validates the request once, asks
`limits.over_limit`, and either runs the operation's service with that validated request or
keeps a `CreditApproval` with what the service will need, shown at /credits/approvals/ to the
holders of `credits.approve_credit`.
"""

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Account, PaymentMethod, Subscription
from activity.services import activity_record
from core.actors import Actor, ActorLike
from core.errors import KEY_REUSED, Conflict
from credits.models import CreditApproval, CreditOperation
from credits.operations import OPERATION, Operation
from credits.services.billing import REFUND_TO_REQUIRED
from credits.services.ledger import not_enough_credit, wallet_for
from credits.services.limits import over_limit
from credits.services.validation import LedgerRequest, ledger_request

UNKNOWN_OPERATION = "Unknown operation “{}”."
WAITING_NOT_BACKDATED = (
    "This operation is {why}, so it waits for approval and is dated when approved: send it "
    "without a time."
)
# The inputs that name a record of the account: a waiting request keeps the record's key.
RECORD_INPUTS: dict[str, type[PaymentMethod]] = {"refunded_to": PaymentMethod}


@dataclass(frozen=True)
class Submitted:
    """What asking for an operation came to: done at once (`result`, what the service
    returned), or a request waiting for approval (`approval`). `replayed`: the idempotency key
    returned an earlier call's outcome, and nothing was written now."""

    result: Any = None
    approval: CreditApproval | None = None
    replayed: bool = False

    @property
    def waiting(self) -> bool:
        return self.approval is not None


def waiting_operation(code: str) -> Operation:
    """The registry's operation of a code, if it is one that waits for approval."""
    operation = OPERATION.get(code)
    if operation is None or not operation.waits:
        raise ValidationError({"operation": UNKNOWN_OPERATION.format(code)})
    return operation


def performer(operation: Operation) -> Callable[..., Any]:
    """The service that performs an operation (the registry names it)."""
    from credits import services  # the package, whole by the time anything runs

    service: Callable[..., Any] = getattr(services, operation.service)
    return service


def stored_params(operation: Operation, values: dict[str, Any]) -> dict[str, Any]:
    """The operation's own inputs (besides the account, subscription, unit, amount and
    reason) as a waiting request keeps them: JSON, a record by its key, nothing empty."""
    params: dict[str, Any] = {}
    for name in operation.inputs:
        value = values.get(name)
        if name == "credit_type" or value is None or value == "":
            continue
        params[name] = value.pk if name in RECORD_INPUTS else value
    return params


def service_call(approval: CreditApproval) -> tuple[Callable[..., Any], dict[str, Any]]:
    """The service and its arguments that run a request (its key, now)."""
    operation = OPERATION[approval.operation]
    kwargs: dict[str, Any] = {
        "account": approval.account,
        "amount": approval.amount,
        "currency": approval.currency,
        "subscription": approval.subscription,
        "note": approval.reason,
        "idempotency_key": approval.idempotency_key,
    }
    if operation.takes_credit_type:
        kwargs["credit_type"] = approval.credit_type
    for name, value in approval.params.items():
        if name in RECORD_INPUTS:
            model = RECORD_INPUTS[name]
            value = model._default_manager.filter(pk=value, account=approval.account).first()
        kwargs[name] = value
    for name in RECORD_INPUTS:
        if name in operation.inputs:
            kwargs.setdefault(name, None)
    return performer(operation), kwargs


def event_data(approval: CreditApproval) -> dict[str, Any]:
    """The attributes every event of a request carries: which request, what, how much."""
    data: dict[str, Any] = {
        "request_id": str(approval.pk),
        "operation": approval.get_operation_display(),
    }
    unit = approval.unit
    if unit.is_tokens:
        data["tokens"] = int(approval.amount)
    else:
        data["amount"] = {"amount": unit.plain(approval.amount), "currency": unit.currency}
    return data


def _same_request(approval: CreditApproval, asked: CreditApproval) -> bool:
    fields = ("account_id", "subscription_id", "operation", "credit_type", "currency", "reason")
    return (
        all(getattr(approval, name) == getattr(asked, name) for name in fields)
        and approval.amount == asked.amount
        and approval.params == asked.params
        and approval.actor_id == asked.actor_id
        and approval.actor_name == asked.actor_name
    )


def _held(key: str, asked: CreditApproval) -> Submitted:
    """A request already made under this key: the same request returns it; another is a
    conflict."""
    approval = CreditApproval.objects.get(idempotency_key=key)
    if not _same_request(approval, asked):
        raise Conflict({"idempotency_key": KEY_REUSED})
    return Submitted(approval=approval, replayed=True)


def _validated(
    operation: Operation, *, refunded_to: PaymentMethod | None, **fields: Any
) -> LedgerRequest:
    """The request validated once, as its service would (one ValidationError naming each bad
    field), and a record it names checked to be the account's."""
    try:
        request = ledger_request(
            reason_required=True, transaction_required=operation.transaction_required, **fields
        )
    except ValidationError as exc:
        found = exc.message_dict
    else:
        found = {}
    account = fields["account"]
    if "refunded_to" in operation.inputs and (
        refunded_to is None or refunded_to.account_id != account.pk
    ):
        found["refunded_to"] = [REFUND_TO_REQUIRED]
    if found:
        raise ValidationError(found)
    return request


@transaction.atomic
def credit_request(
    *,
    actor: ActorLike,
    operation: str,
    account: Account,
    amount: object,
    credit_type: str = "currency",
    currency: str = "",
    subscription: Subscription | None = None,
    note: str = "",
    transaction_id: str = "",
    refunded_to: PaymentMethod | None = None,
    use_credits: bool = True,
    lot_kind: str | None = None,
    expires_on: object = None,
    idempotency_key: str | None = None,
    created_at: dt.datetime | None = None,
) -> Submitted:
    """Ask for a credit operation: run it now when it is within the asker's limits, else
    keep it as a request for another person's approval (and record Credit Request Submitted).

    The input is validated once, as the service would (one ValidationError naming each bad
    field; over the absolute maximum is refused here too). With an idempotency key, a repeat
    returns the first outcome: the operation's result, or the same waiting request.
    """
    spec = waiting_operation(operation)
    request = _validated(
        spec,
        refunded_to=refunded_to,
        actor=actor,
        account=account,
        subscription=subscription,
        credit_type="currency" if spec.money_only else credit_type,
        currency=currency,
        amount=amount,
        note=note,
        transaction_id=transaction_id,
        created_at=created_at,
        **(
            {"makes_lot": True, "lot_kind": lot_kind, "expires_on": expires_on}
            if spec.makes_lot
            else {}
        ),
    )
    own = {
        "transaction_id": request.transaction_id,
        "refunded_to": refunded_to,
        "use_credits": use_credits,
        # A grant's lot: its kind (as asked for, or the default for the asker) and expiry, so
        # that an approver sees them and the grant runs with them.
        "lot_kind": request.lot_kind or None,
        "expires_on": request.expires_on.isoformat() if request.expires_on else None,
    }
    asked = CreditApproval(
        account=account,
        subscription=subscription,
        operation=spec.code,
        credit_type=request.credit_type,
        currency=request.currency,
        amount=request.amount,
        params=stored_params(spec, own),
        reason=request.note,
        **request.actor.as_fields(),
    )
    keyed_before = bool(idempotency_key) and (
        CreditOperation.objects.filter(account=account, key=idempotency_key).exists()
    )
    if (
        idempotency_key
        and not keyed_before
        and CreditApproval.objects.filter(idempotency_key=idempotency_key).exists()
    ):
        return _held(idempotency_key, asked)
    why = "" if keyed_before else _over_limit(request, spec)
    if not why:
        # Within the limits, or a repeat of an operation that ran: the service itself (which
        # replays a key it has seen, or refuses it for another request), with the request as
        # validated above.
        service, kwargs = service_call(asked)
        kwargs["idempotency_key"] = idempotency_key
        result = service(actor=request.actor, validated=request, **kwargs)
        return Submitted(result=result, replayed=getattr(result, "replayed", False))

    if created_at is not None:
        # It would run when approved, dated then: a time given now cannot be kept.
        raise ValidationError({"created_at": WAITING_NOT_BACKDATED.format(why=why)})
    if spec.covered:
        _check_covered(request)
    asked.idempotency_key = idempotency_key or f"approval:{uuid.uuid4()}"
    asked.requested_at = timezone.now()
    asked.expires_at = asked.requested_at + dt.timedelta(days=settings.APPROVAL_EXPIRY_DAYS)
    try:
        with transaction.atomic():
            asked.save(force_insert=True)
    except IntegrityError:
        # The same key a moment ago, from a concurrent call: the first one's request.
        return _held(asked.idempotency_key, asked)
    activity_record(
        account=account,
        type="credit_request_submitted",
        actor=request.actor,
        subscription=subscription,
        data=event_data(asked) | {"reason": asked.reason, "limit": why},
    )
    asked.limit_reason = why  # type: ignore[attr-defined]
    return Submitted(approval=asked)


def _check_covered(request: LedgerRequest) -> None:
    """Refuse now an operation that the wallet cannot cover now (a revocation; the service
    checks again, under the wallet's lock, when the request is approved)."""
    wallet = wallet_for(request, subscription=request.subscription, create=False)
    balance = wallet.balance if wallet is not None else Decimal(0)
    if request.amount > balance:
        raise not_enough_credit(request.amount, balance, request.currency)


def _over_limit(request: LedgerRequest, spec: Operation) -> str:
    actor: Actor = request.actor
    return over_limit(
        actor=actor,
        operation=spec.code,
        credit_type=request.credit_type,
        currency=request.currency,
        amount=request.amount,
    )
