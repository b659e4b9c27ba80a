"""Writes of an account's own details and of its payment methods."""

import datetime as dt
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from accounts.models import Account, PaymentMethod, Subscription
from accounts.services.changes import diff, shown
from accounts.services.subscriptions.transition import _add_months
from accounts.transitions import LIVE_STATUSES
from activity.services import activity_record
from core.actors import ActorLike
from core.personal_data import ACCOUNT_ANONYMISED

ADDRESS_FIELDS = ("street", "postcode", "city", "country")


def _label(field_name: str) -> str:
    """How `Address Details Modified` names a field: its verbose name, capitalised."""
    field = cast(models.Field, Account._meta.get_field(field_name))
    return str(field.verbose_name).capitalize()


def _lock_account(account: Account, *, personal: bool = False) -> Account:
    """The account's row, locked. A write that would store personal data (`personal`) is
    refused for an anonymised account."""
    locked = Account.objects.select_for_update().get(pk=account.pk)
    if personal and locked.is_anonymised:
        raise ValidationError(ACCOUNT_ANONYMISED)
    return locked


def _live_product_name(account: Account) -> str | None:
    live = account.subscriptions.filter(status__in=LIVE_STATUSES).select_related("product").first()
    return live.product.name if live else None


@transaction.atomic
def account_create(
    *,
    actor: ActorLike,
    customer_number: str,
    name: str,
    email: str,
    **fields: Any,
) -> Account:
    """Create an account (any other field of Account may be given) and record `New Customer
    Created` at its creation time."""
    account = Account(customer_number=customer_number, name=name, email=email, **fields)
    account.full_clean(validate_constraints=False)
    account.save()
    activity_record(
        account=account,
        type="new_customer_created",
        actor=actor,
        occurred_at=account.created_at,
    )
    return account


@transaction.atomic
def account_update_address(*, actor: ActorLike, account: Account, **address: str) -> Account:
    """Change any of street, postcode, city, country; record the names of the fields changed.

    Nothing is written (and nothing recorded) when no field actually changes.
    """
    unknown = set(address) - set(ADDRESS_FIELDS)
    if unknown:
        raise ValidationError(f"Not an address field: {', '.join(sorted(unknown))}.")
    account = _lock_account(account, personal=True)
    changed = [f for f in ADDRESS_FIELDS if f in address and getattr(account, f) != address[f]]
    if not changed:
        raise ValidationError("Nothing to change: the address is the same.")
    labels = {f: _label(f) for f in changed}
    before = {f: shown(getattr(account, f)) for f in changed}
    for field_name in changed:
        setattr(account, field_name, address[field_name])
    account.full_clean(validate_constraints=False)
    account.save(update_fields=[*changed, "updated_at"])
    after = {f: shown(getattr(account, f)) for f in changed}
    changes = diff(before, after, labels, personal=Account.PERSONAL_DATA)
    data: dict[str, Any] = {"fields": list(labels.values())}
    if changes:
        data["changes"] = changes
    activity_record(account=account, type="address_details_modified", actor=actor, data=data)
    return account


def next_on_day(billing_day: int, today: dt.date) -> dt.date:
    """The first date after `today` that falls on `billing_day` (1-28)."""
    return _add_months(today, 0 if billing_day > today.day else 1, on_day=billing_day)


@transaction.atomic
def account_change_billing_day(
    *, actor: ActorLike, account: Account, billing_day: int
) -> dt.date | None:
    """Move the billing day (1-28), and with it the next billing of the account's active
    subscriptions: to the first date after today on the new day (the current period ends
    there; a paused subscription keeps its resume date and bills on the new day after it).
    Record `Billing Date Changed` from/to, with the next billing date. Returns the next billing
    date the active subscriptions moved to (None when the account has none)."""
    if type(billing_day) is not int or not 1 <= billing_day <= 28:  # bool is an int too
        raise ValidationError("The billing day must be a whole number from 1 to 28.")
    account = _lock_account(account)
    previous = account.billing_day
    if previous == billing_day:
        raise ValidationError(f"The billing day is already {billing_day}.")
    account.billing_day = billing_day
    account.save(update_fields=["billing_day", "updated_at"])
    next_billing = next_on_day(billing_day, timezone.localdate())
    moved = account.subscriptions.filter(
        status=Subscription.Status.ACTIVE, next_billing_on__isnull=False
    ).update(next_billing_on=next_billing)
    data: dict[str, Any] = {"from": previous, "to": billing_day}
    data["changes"] = [
        {"label": "Billing day", "from": str(previous), "to": str(billing_day), "personal": False}
    ]
    if moved:
        data["next_billing"] = next_billing
    activity_record(account=account, type="billing_date_changed", actor=actor, data=data)
    return next_billing if moved else None


@transaction.atomic
def payment_method_add(
    *,
    actor: ActorLike,
    account: Account,
    kind: str,
    masked_details: str,
    brand: str = "",
    expires_on: dt.date | None = None,
    make_default: bool = False,
    occurred_at: dt.datetime | None = None,
) -> PaymentMethod:
    """Add a masked payment method (the default when asked, or when the account has none);
    record `New Payment Method`."""
    account = _lock_account(account, personal=True)
    has_default = account.payment_methods.filter(is_default=True).exists()
    method = PaymentMethod(
        account=account,
        kind=kind,
        brand=brand,
        masked_details=masked_details,
        expires_on=expires_on,
        is_default=make_default or not has_default,
    )
    method.full_clean(validate_constraints=False)
    if method.is_default and has_default:
        account.payment_methods.filter(is_default=True).update(is_default=False)
    method.save()
    data = {"masked_details": str(method)}
    product = _live_product_name(account)
    if product:
        data["product"] = product
    activity_record(
        account=account,
        type="new_payment_method",
        actor=actor,
        occurred_at=occurred_at,
        data=data,
    )
    return method


@transaction.atomic
def payment_method_set_default(*, actor: ActorLike, method: PaymentMethod) -> PaymentMethod:
    """Make `method` the account's default; record `Account Payment Method Changed` from/to."""
    account = _lock_account(method.account, personal=True)
    method = PaymentMethod.objects.get(pk=method.pk, account=account)
    if method.is_default:
        raise ValidationError("This payment method is already the default.")
    previous = account.payment_methods.filter(is_default=True).first()
    if previous:
        previous.is_default = False
        previous.save(update_fields=["is_default"])
    method.is_default = True
    method.save(update_fields=["is_default"])
    data: dict[str, Any] = {"from": str(previous) if previous else "None", "to": str(method)}
    # Masked details are personal data (PaymentMethod.PERSONAL_DATA): erasure redacts them.
    data["changes"] = [
        {
            "label": "Default payment method",
            "from": str(previous) if previous else "",
            "to": str(method),
            "personal": True,
        }
    ]
    product = _live_product_name(account)
    if product:
        data["product"] = product
    activity_record(account=account, type="account_payment_method_changed", actor=actor, data=data)
    return method
