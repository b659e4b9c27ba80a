"""Four eyes on credit: an operation over its requester's limit waits for another person.

`credit_request` is how people (the account page) and integrations (the API) ask for a grant,
revocation, credit refund, manual charge or manual refund. Within the asker's limits
(`limits.over_limit`) it runs at once; over them it becomes a `CreditApproval`, shown at
/credits/approvals/ to the holders of `credits.approve_credit`. `approval_approve` runs the
operation then, once, through the same service, as the requester and with the approver
recorded beside; `approval_reject` turns it down with a reason; `approvals_expire` ends what
nobody decided on within APPROVAL_EXPIRY_DAYS. Each change of state is an event on the
account's timeline. Deciding locks the request's row, so two approvers cannot both run it.
"""

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Account, PaymentMethod, Subscription
from activity.services import activity_record
from core import money
from core.actors import Actor, ActorLike, as_actor
from core.errors import KEY_REUSED, Conflict
from credits.models import (
    ApprovalOperation,
    ApprovalState,
    CreditApproval,
    CreditOperation,
    CreditType,
)
from credits.services.billing import REFUND_TO_REQUIRED, manual_charge, manual_refund
from credits.services.grants import credit_grant, credit_refund, credit_revoke
from credits.services.ledger import (
    MAX_NOTE_LENGTH,
    NOTE_TOO_LONG,
    LedgerRequest,
    ledger_request,
    not_enough_credit,
    wallet_for,
)
from credits.services.limits import OWN_REQUEST, over_limit

APPROVE_PERMISSION = "credits.approve_credit"
# What a requester must still hold when their request runs.
PERMISSION_OF = {
    ApprovalOperation.GRANT: "credits.grant_credit",
    ApprovalOperation.REVOKE: "credits.revoke_credit",
    ApprovalOperation.REFUND: "credits.grant_credit",
    ApprovalOperation.CHARGE: "credits.add_manual_charge",
    ApprovalOperation.MANUAL_REFUND: "credits.issue_manual_refund",
}

NOT_AN_APPROVER = "You may not decide on credit requests."
ALREADY_APPROVED = (
    "This request was already approved: its operation ran once and will not run again."
)
ALREADY_REJECTED = "This request was rejected: it cannot be decided on again."
ALREADY_EXPIRED = "This request expired: nothing was done. Ask again if it is still needed."
NOW_EXPIRED = (
    "This request expired on {when}: nothing was done, and it is now marked expired. "
    "Ask again if it is still needed."
)
REQUESTER_GONE = (
    "The person who asked can no longer do this (their user was removed, deactivated or lost "
    "the permission): reject the request."
)
REJECTION_REASON_REQUIRED = "Give a reason for the rejection: the requester will read it."
WAITING_NOT_BACKDATED = (
    "This operation is {why}, so it waits for approval and is dated when approved: send it "
    "without a time."
)
UNKNOWN_OPERATION = "Unknown operation “{}”."
NOT_PENDING = {
    ApprovalState.APPROVED: ALREADY_APPROVED,
    ApprovalState.REJECTED: ALREADY_REJECTED,
    ApprovalState.EXPIRED: ALREADY_EXPIRED,
}


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


def _params(
    *,
    operation: str,
    transaction_id: str,
    refunded_to: PaymentMethod | None,
    use_credits: bool,
) -> dict[str, Any]:
    """The operation's inputs besides the account, subscription, unit, amount and reason."""
    params: dict[str, Any] = {}
    if transaction_id:
        params["transaction_id"] = transaction_id
    if operation == ApprovalOperation.MANUAL_REFUND and refunded_to is not None:
        params["refunded_to"] = refunded_to.pk
    if operation == ApprovalOperation.CHARGE:
        params["use_credits"] = use_credits
    return params


def _service_call(
    approval: CreditApproval,
) -> tuple[Callable[..., Any], dict[str, Any]]:
    """The service and its arguments that run an approved request (its key, now)."""
    common: dict[str, Any] = {
        "account": approval.account,
        "amount": approval.amount,
        "currency": approval.currency,
        "subscription": approval.subscription,
        "note": approval.reason,
        "idempotency_key": approval.idempotency_key,
    }
    params = approval.params
    operation = approval.operation
    if operation == ApprovalOperation.GRANT:
        return credit_grant, common | {
            "credit_type": approval.credit_type,
            "transaction_id": params.get("transaction_id", ""),
        }
    if operation == ApprovalOperation.REVOKE:
        return credit_revoke, common | {"credit_type": approval.credit_type}
    if operation == ApprovalOperation.REFUND:
        return credit_refund, common | {
            "credit_type": approval.credit_type,
            "transaction_id": params.get("transaction_id", ""),
        }
    if operation == ApprovalOperation.CHARGE:
        return manual_charge, common | {
            "use_credits": params.get("use_credits", True),
            "transaction_id": params.get("transaction_id", ""),
        }
    refunded_to = PaymentMethod.objects.filter(
        pk=params.get("refunded_to"), account=approval.account
    ).first()
    return manual_refund, common | {"refunded_to": refunded_to}


def _event_data(approval: CreditApproval) -> dict[str, Any]:
    data: dict[str, Any] = {
        "request_id": str(approval.pk),
        "operation": approval.get_operation_display(),
    }
    if approval.currency:
        data["amount"] = {
            "amount": money.plain(approval.amount, approval.currency),
            "currency": approval.currency,
        }
    else:
        data["tokens"] = int(approval.amount)
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


@transaction.atomic
def credit_request(
    *,
    actor: ActorLike,
    operation: str,
    account: Account,
    amount: object,
    credit_type: str = CreditType.CURRENCY,
    currency: str = "",
    subscription: Subscription | None = None,
    note: str = "",
    transaction_id: str = "",
    refunded_to: PaymentMethod | None = None,
    use_credits: bool = True,
    idempotency_key: str | None = None,
    created_at: dt.datetime | None = None,
) -> Submitted:
    """Ask for a credit operation: run it now when it is within the asker's limits, else
    keep it as a request for another person's approval (and record Credit Request Submitted).

    The input is validated as the service would (one ValidationError naming each bad field;
    over the absolute maximum is refused here too). With an idempotency key, a repeat returns
    the first outcome: the operation's result, or the same waiting request.
    """
    if operation not in ApprovalOperation.values:
        raise ValidationError({"operation": UNKNOWN_OPERATION.format(operation)})
    money_only = operation in (ApprovalOperation.CHARGE, ApprovalOperation.MANUAL_REFUND)
    try:
        request = ledger_request(
            actor=actor,
            account=account,
            subscription=subscription,
            credit_type=CreditType.CURRENCY if money_only else credit_type,
            currency=currency,
            amount=amount,
            note=note,
            reason_required=True,
            transaction_id=transaction_id,
            transaction_required=operation == ApprovalOperation.REFUND,
            created_at=created_at,
        )
    except ValidationError as exc:
        found = exc.message_dict
    else:
        found = {}
    if operation == ApprovalOperation.MANUAL_REFUND and (
        refunded_to is None or refunded_to.account_id != account.pk
    ):
        found["refunded_to"] = [REFUND_TO_REQUIRED]
    if found:
        raise ValidationError(found)

    asked = CreditApproval(
        account=account,
        subscription=subscription,
        operation=operation,
        credit_type=request.credit_type,
        currency=request.currency,
        amount=request.amount,
        params=_params(
            operation=operation,
            transaction_id=request.transaction_id,
            refunded_to=refunded_to,
            use_credits=use_credits,
        ),
        reason=request.note,
        **request.actor.as_fields(),
    )
    keyed_before = bool(idempotency_key) and (
        CreditOperation.objects.filter(key=idempotency_key).exists()
    )
    if (
        idempotency_key
        and not keyed_before
        and CreditApproval.objects.filter(idempotency_key=idempotency_key).exists()
    ):
        return _held(idempotency_key, asked)
    why = "" if keyed_before else _over_limit(asked, request.actor)
    if not why:
        # Within the limits, or a repeat of an operation that ran: the service itself (which
        # replays a key it has seen, or refuses it for another request).
        service, kwargs = _service_call(asked)
        kwargs["idempotency_key"] = idempotency_key
        if created_at is not None:
            kwargs["created_at"] = created_at  # only the ledger's own operations take a time
        result = service(actor=request.actor, **kwargs)
        return Submitted(result=result, replayed=getattr(result, "replayed", False))

    if created_at is not None:
        # It would run when approved, dated then: a time given now cannot be kept.
        raise ValidationError({"created_at": WAITING_NOT_BACKDATED.format(why=why)})
    if operation == ApprovalOperation.REVOKE:
        _check_revocable(request)
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
        actor=actor,
        subscription=subscription,
        data=_event_data(asked) | {"reason": asked.reason, "limit": why},
    )
    asked.limit_reason = why  # type: ignore[attr-defined]
    return Submitted(approval=asked)


def _check_revocable(request: LedgerRequest) -> None:
    """Refuse now a revocation that the wallet cannot cover now (the service checks again, under
    the wallet's lock, when the request is approved)."""
    wallet = wallet_for(request, subscription=request.subscription, create=False)
    balance = wallet.balance if wallet is not None else Decimal(0)
    if request.amount > balance:
        raise not_enough_credit(request.amount, balance, request.currency)


def _over_limit(asked: CreditApproval, actor: Actor) -> str:
    return over_limit(
        actor=actor,
        operation=asked.operation,
        credit_type=asked.credit_type,
        currency=asked.currency,
        amount=Decimal(asked.amount),
    )


def _decidable(actor: ActorLike, approval: CreditApproval) -> None:
    """Refuse a decision that is not this person's to make, or not to be made any more."""
    user = as_actor(actor).user
    # Through a role only: a superuser holds every permission, but deciding on money stays with
    # the roles the matrix gives it to (config.roles.NOT_FOR_ADMINISTRATORS).
    if user is None or not user.is_active or not _approves_by_role(user):
        raise ValidationError(NOT_AN_APPROVER)
    if approval.actor_id is not None and approval.actor_id == user.pk:
        raise ValidationError(OWN_REQUEST)
    if approval.state != ApprovalState.PENDING:
        raise ValidationError(NOT_PENDING[ApprovalState(approval.state)])


def _approves_by_role(user: Any) -> bool:
    """Whether one of the user's roles holds the approve permission (a superuser's implicit
    permissions do not count: Django's get_group_permissions gives a superuser all of them)."""
    app_label, codename = APPROVE_PERMISSION.split(".")
    return user.groups.filter(
        permissions__content_type__app_label=app_label, permissions__codename=codename
    ).exists()


def _locked(approval: CreditApproval | int) -> CreditApproval:
    """The request, locked for a decision. Its account is locked first (FOR NO KEY UPDATE,
    which ledger writes do not wait for), as erasure locks the account before its requests:
    the same order everywhere, so that the two cannot deadlock."""
    pk = approval.pk if isinstance(approval, CreditApproval) else approval
    account_id = CreditApproval.objects.filter(pk=pk).values_list("account_id", flat=True).get()
    list(Account.objects.select_for_update(no_key=True).filter(pk=account_id).values("pk"))
    return (
        CreditApproval.objects.select_for_update(of=("self",))
        .select_related("account", "subscription__product")
        .get(pk=pk)
    )


def _decide(approval: CreditApproval, actor: ActorLike, state: str, **fields: Any) -> None:
    approval.state = state
    who = as_actor(actor)
    approval.decided_by = who.user
    approval.decided_by_name = who.name
    approval.decided_at = timezone.now()
    for name, value in fields.items():
        setattr(approval, name, value)
    approval.save()


def _expire(approval: CreditApproval) -> None:
    _decide(approval, None, ApprovalState.EXPIRED)
    activity_record(
        account=approval.account,
        type="credit_request_expired",
        subscription=approval.subscription,
        data=_event_data(approval),
    )


def _requester(approval: CreditApproval) -> Actor:
    """The requester, who the operation runs as; refused when they can no longer act."""
    if approval.actor_id is None:
        # An integration, by its name; the request's key is stored in its scope already.
        return Actor.integration(approval.actor_name)
    user = get_user_model().objects.filter(pk=approval.actor_id, is_active=True).first()
    if user is None or not user.has_perm(PERMISSION_OF[ApprovalOperation(approval.operation)]):
        raise ValidationError(REQUESTER_GONE)
    return Actor.person(user)


def _expired_now(approval: CreditApproval) -> ValidationError:
    when = timezone.localtime(approval.expires_at).strftime("%Y-%m-%d %H:%M")
    return ValidationError(NOW_EXPIRED.format(when=when))


def approval_approve(*, actor: ActorLike, approval: CreditApproval | int) -> CreditApproval:
    """Approve a waiting request: run its operation now, once, through its service, as the
    requester with `actor` recorded as approver; record Credit Request Approved.

    Refused (nothing changed) when `actor` may not approve or asked for it themselves, when
    it was decided on already, when the requester can no longer act, or when the operation
    itself is refused now (a revocation the wallet no longer covers). An overdue request is
    marked expired instead, and the approval refused.
    """
    with transaction.atomic():
        found = _locked(approval)
        _decidable(actor, found)
        if found.overdue:
            _expire(found)
            expired = True
        else:
            expired = False
            service, kwargs = _service_call(found)
            result = service(
                actor=_requester(found),
                approved_by=as_actor(actor).user,
                **kwargs,
            )
            if found.operation == ApprovalOperation.CHARGE:
                entries = result.application.entries if result.application else []
                made = {"entry": entries[0] if entries else None, "event": result.event}
            elif found.operation == ApprovalOperation.MANUAL_REFUND:
                made = {"event": result}
            else:
                made = {"entry": result}
            _decide(found, actor, ApprovalState.APPROVED, **made)
            activity_record(
                account=found.account,
                type="credit_request_approved",
                actor=actor,
                subscription=found.subscription,
                data=_event_data(found) | {"requested_by": found.actor_name},
            )
    if expired:
        raise _expired_now(found)
    return found


def approval_reject(
    *, actor: ActorLike, approval: CreditApproval | int, reason: str
) -> CreditApproval:
    """Turn a waiting request down with a reason; nothing else changes. Record Credit Request
    Rejected. Refused as `approval_approve` is; an overdue request is marked expired."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": REJECTION_REASON_REQUIRED})
    if len(reason) > MAX_NOTE_LENGTH:
        raise ValidationError({"reason": NOTE_TOO_LONG})
    with transaction.atomic():
        found = _locked(approval)
        _decidable(actor, found)
        if found.overdue:
            _expire(found)
            expired = True
        else:
            expired = False
            _decide(found, actor, ApprovalState.REJECTED, decision_note=reason)
            activity_record(
                account=found.account,
                type="credit_request_rejected",
                actor=actor,
                subscription=found.subscription,
                data=_event_data(found) | {"requested_by": found.actor_name, "reason": reason},
            )
    if expired:
        raise _expired_now(found)
    return found


def approvals_expire(*, now: dt.datetime | None = None) -> int:
    """Mark every overdue waiting request expired (with its event); return how many. Requests
    that someone is deciding on at this moment are left to that decision."""
    now = now or timezone.now()
    expired = 0
    overdue = CreditApproval.objects.filter(
        state=ApprovalState.PENDING, expires_at__lte=now
    ).order_by("pk")
    for pk in overdue.values_list("pk", flat=True):
        with transaction.atomic():
            approval = _locked(pk)  # the account first, then the request (see _locked)
            if approval.state == ApprovalState.PENDING and approval.expires_at <= now:
                _expire(approval)
                expired += 1
    return expired


def close_waiting(account: Account) -> int:
    """End the account's waiting requests as expired (with their events): erasing the customer
    erases the reasons they would run with. Returns how many."""
    waiting = (
        CreditApproval.objects.select_for_update(of=("self",))
        .select_related("account", "subscription")
        .filter(account=account, state=ApprovalState.PENDING)
        .order_by("pk")
    )
    closed = 0
    for approval in waiting:
        _expire(approval)
        closed += 1
    return closed
