"""Erasure of a customer (GDPR art. 17): `Customer Anonymised`, end to end."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Account
from accounts.services.subscriptions.lifecycle import subscription_cancel
from accounts.transitions import LIVE_STATUSES, Action, refusal
from activity.services import activity_record
from core.actors import ActorLike
from core.personal_data import ANONYMISED_NAME, anonymised_email, erasure_modules

# What is left of a payment method's details (no digits, no name).
PAYMENT_DETAILS_REMOVED = "removed"
REASON_REQUIRED = "Give the reason for the erasure (e.g. the request's reference)."
MAX_REASON_LENGTH = 500
REASON_TOO_LONG = f"At most {MAX_REASON_LENGTH} characters."
# Why erasure ends a live subscription (kept on its Subscription Cancelled event): nothing can be
# billed or delivered to a customer whose details and payment methods are gone.
ENDED_BY_ERASURE = "The customer's personal data was erased: nothing can be billed or delivered."


@dataclass(frozen=True)
class Erasure:
    """What an anonymisation redacted, by kind; `done` is False when the account had been
    anonymised already (nothing changed then)."""

    account: Account
    done: bool
    redacted: dict[str, int] = field(default_factory=dict)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": REASON_REQUIRED})
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationError({"reason": REASON_TOO_LONG})
    return reason


@transaction.atomic
def account_anonymise(*, account: Account, actor: ActorLike, reason: str) -> Erasure:
    """Erase the customer's personal data and record `Customer Anonymised`, in one transaction.

    Its live subscriptions end (`Subscription Cancelled`, with ENDED_BY_ERASURE): nothing can
    be billed to payment methods without details. The account's name, e-mail, phone and
    address become neutral placeholders (it is found by its customer number only); its payment
    methods lose their details; every app redacts the
    personal data it keeps of the customer, as it declared it (core.personal_data): event
    attributes, comments, legacy entries, ledger notes and gift card codes, download records
    whose filters name the customer. Amounts, balances, dates, types, IDs and the order of
    everything stay as they were, and the ledger's hash chain holds. Running it again for an
    anonymised account changes nothing and records nothing.
    """
    reason = _reason(reason)
    account = Account.objects.select_for_update().get(pk=account.pk)
    if account.is_anonymised:
        return Erasure(account=account, done=False)
    redacted: dict[str, int] = {}
    for module in erasure_modules():
        for kind, count in module.erase(account).items():
            redacted[kind] = redacted.get(kind, 0) + count
    # After the redaction, so that the events keep the reason (it names nobody).
    ended = 0
    for subscription in account.subscriptions.filter(status__in=LIVE_STATUSES).order_by("pk"):
        if refusal(Action.CANCEL, subscription) is None:
            subscription_cancel(actor=actor, subscription=subscription, reason=ENDED_BY_ERASURE)
            ended += 1
    if ended:
        redacted["live subscriptions ended"] = ended
    methods = account.payment_methods.all()
    redacted["payment methods"] = methods.update(
        masked_details=PAYMENT_DETAILS_REMOVED, brand="", expires_on=None
    )
    account.name = ANONYMISED_NAME
    account.email = anonymised_email(account.customer_number)
    account.phone = account.street = account.postcode = account.city = ""
    account.status = Account.Status.ANONYMISED
    account.save()
    redacted["account details"] = 1
    activity_record(
        account=account,
        type="customer_anonymised",
        actor=actor,
        data={"reason": reason},
    )
    return Erasure(account=account, done=True, redacted=redacted)
