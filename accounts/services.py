"""Every write to accounts, subscriptions and payment methods.

Each service is keyword-only, takes the acting user (`actor`; None for System), runs in one
transaction, validates, writes, records its typed event on the timeline and returns what it
changed. Views, the admin, the API and commands all call these; nothing else writes the models.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Account, PaymentMethod, Product, Subscription
from activity.services import SYSTEM_ACTOR, activity_record

ADDRESS_FIELDS = ("street", "postcode", "city", "country")
LIVE_STATUSES = (Subscription.Status.TRIAL, Subscription.Status.ACTIVE, Subscription.Status.PAUSED)
MAX_PAUSE_MONTHS = 12


def _today() -> dt.date:
    return timezone.localdate()


def _lock_account(account: Account) -> Account:
    return Account.objects.select_for_update().get(pk=account.pk)


def _lock_subscription(subscription: Subscription) -> Subscription:
    return (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("account", "product", "downgrade_to")
        .get(pk=subscription.pk)
    )


def _full_clean(instance, exclude=None):
    instance.full_clean(exclude=exclude, validate_constraints=False)


def _sub_data(subscription: Subscription, **extra) -> dict:
    return {"product": subscription.product.name, "order_id": subscription.order_id, **extra}


def _record(*, account, type, actor, actor_label=SYSTEM_ACTOR, subscription=None, **data):
    return activity_record(
        account=account,
        type=type,
        actor=actor,
        actor_label=actor_label,
        subscription=subscription,
        data=data,
    )


# --- Accounts -------------------------------------------------------------------------------


@transaction.atomic
def account_create(
    *, actor, customer_number: str, name: str, email: str, actor_label=SYSTEM_ACTOR, **fields
) -> Account:
    """Create an account and record `New Customer Created`."""
    account = Account(customer_number=customer_number, name=name, email=email, **fields)
    _full_clean(account)
    account.save()
    activity_record(
        account=account,
        type="new_customer_created",
        actor=actor,
        actor_label=actor_label,
        occurred_at=account.created_at,
    )
    return account


@transaction.atomic
def account_update_address(*, actor, account: Account, **address) -> Account:
    """Change any of street, postcode, city, country; record the names of the fields changed.

    Nothing is written (and nothing recorded) when no field actually changes.
    """
    unknown = set(address) - set(ADDRESS_FIELDS)
    if unknown:
        raise ValidationError(f"Not an address field: {', '.join(sorted(unknown))}.")
    account = _lock_account(account)
    changed = [f for f in ADDRESS_FIELDS if f in address and getattr(account, f) != address[f]]
    if not changed:
        raise ValidationError("Nothing to change: the address is the same.")
    for field_name in changed:
        setattr(account, field_name, address[field_name])
    _full_clean(account)
    account.save(update_fields=[*changed, "updated_at"])
    labels = [Account._meta.get_field(f).verbose_name.capitalize() for f in changed]
    _record(account=account, type="address_details_modified", actor=actor, fields=labels)
    return account


@transaction.atomic
def account_change_billing_day(*, actor, account: Account, billing_day: int) -> Account:
    """Move the billing day (1-28) and record `Billing Date Changed` from/to."""
    if type(billing_day) is not int or not 1 <= billing_day <= 28:  # bool is an int too
        raise ValidationError("The billing day must be a whole number from 1 to 28.")
    account = _lock_account(account)
    previous = account.billing_day
    if previous == billing_day:
        raise ValidationError(f"The billing day is already {billing_day}.")
    account.billing_day = billing_day
    account.save(update_fields=["billing_day", "updated_at"])
    _record(
        account=account,
        type="billing_date_changed",
        actor=actor,
        **{"from": previous, "to": billing_day},
    )
    return account


# --- Payment methods ------------------------------------------------------------------------


@transaction.atomic
def payment_method_add(
    *,
    actor,
    account: Account,
    kind: str,
    masked_details: str,
    brand: str = "",
    expires_on: dt.date | None = None,
    make_default: bool = False,
    actor_label=SYSTEM_ACTOR,
    occurred_at=None,
) -> PaymentMethod:
    """Add a masked payment method; record `New Payment Method`."""
    account = _lock_account(account)
    has_default = account.payment_methods.filter(is_default=True).exists()
    method = PaymentMethod(
        account=account,
        kind=kind,
        brand=brand,
        masked_details=masked_details,
        expires_on=expires_on,
        is_default=make_default or not has_default,
    )
    _full_clean(method)
    if method.is_default and has_default:
        account.payment_methods.filter(is_default=True).update(is_default=False)
    method.save()
    live = account.subscriptions.filter(status__in=LIVE_STATUSES).select_related("product").first()
    data = {"masked_details": str(method)}
    if live:
        data["product"] = live.product.name
    activity_record(
        account=account,
        type="new_payment_method",
        actor=actor,
        actor_label=actor_label,
        occurred_at=occurred_at,
        data=data,
    )
    return method


@transaction.atomic
def payment_method_set_default(*, actor, method: PaymentMethod) -> PaymentMethod:
    """Make `method` the account's default; record `Account Payment Method Changed` from/to."""
    account = _lock_account(method.account)
    method = PaymentMethod.objects.get(pk=method.pk, account=account)
    if method.is_default:
        raise ValidationError("This payment method is already the default.")
    previous = account.payment_methods.filter(is_default=True).first()
    if previous:
        previous.is_default = False
        previous.save(update_fields=["is_default"])
    method.is_default = True
    method.save(update_fields=["is_default"])
    data = {"from": str(previous) if previous else "None", "to": str(method)}
    live = account.subscriptions.filter(status__in=LIVE_STATUSES).select_related("product").first()
    if live:
        data["product"] = live.product.name
    _record(account=account, type="account_payment_method_changed", actor=actor, **data)
    return method


# --- Subscriptions --------------------------------------------------------------------------


@transaction.atomic
def subscription_create(
    *,
    actor,
    account: Account,
    product: Product,
    order_id: str,
    started_on=None,
    status=Subscription.Status.ACTIVE,
    ended_on=None,
    discount_name: str = "",
    discount_occurrences=None,
    actor_label=SYSTEM_ACTOR,
    occurred_at=None,
) -> Subscription:
    """A purchase: create the subscription and record `New Purchase`.

    `status` and `ended_on` let a subscription that already ended elsewhere be brought in.
    """
    started_on = started_on or _today()
    live = status in LIVE_STATUSES
    subscription = Subscription(
        account=account,
        product=product,
        order_id=order_id,
        status=status,
        started_on=started_on,
        ended_on=None if live else (ended_on or _today()),
        next_billing_on=_next_billing(
            max(started_on, _today()), account.billing_day, product.period_months
        )
        if live
        else None,
    )
    _full_clean(subscription)
    subscription.save()
    activity_record(
        account=account,
        type="new_purchase",
        actor=actor,
        actor_label=actor_label,
        subscription=subscription,
        occurred_at=occurred_at,
        data=_sub_data(
            subscription, discount_name=discount_name, discount_occurrences=discount_occurrences
        ),
    )
    return subscription


def _add_months(day: dt.date, months: int, on_day: int | None = None) -> dt.date:
    month_index = day.month - 1 + months
    # Days 29-31 do not exist in every month; billing days stop at 28 for that reason.
    return dt.date(day.year + month_index // 12, month_index % 12 + 1, min(on_day or day.day, 28))


def _next_billing(start: dt.date, billing_day: int, months: int) -> dt.date:
    return _add_months(start, months, on_day=billing_day)


def _require_live(subscription: Subscription):
    if subscription.status not in LIVE_STATUSES:
        raise ValidationError(
            f"Subscription {subscription.order_id} is {subscription.get_status_display().lower()}."
        )


def _require_future(day, what: str):
    # A datetime is a date too, but cannot be compared with one.
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        raise ValidationError(f"Give the {what} as a date.")
    if day <= _today():
        raise ValidationError(f"The {what} must be after today.")


def _require_before_cancellation(subscription: Subscription, day: dt.date, what: str):
    ends = subscription.cancellation_scheduled_for
    if ends and day >= ends:
        raise ValidationError(
            f"The subscription is cancelled from {ends:%Y-%m-%d}; the {what} must start before."
        )


@transaction.atomic
def subscription_cancel(*, actor, subscription: Subscription) -> Subscription:
    """End the subscription now; any scheduled change is dropped with it."""
    subscription = _lock_subscription(subscription)
    _require_live(subscription)
    subscription.status = Subscription.Status.CANCELLED
    subscription.ended_on = _today()
    subscription.next_billing_on = None
    subscription.cancellation_scheduled_for = None
    subscription.downgrade_to = subscription.downgrade_scheduled_for = None
    subscription.pause_scheduled_for = subscription.pause_months = None
    subscription.paused_until = None
    subscription.save()
    _record(
        account=subscription.account,
        type="subscription_cancelled",
        actor=actor,
        subscription=subscription,
        **_sub_data(subscription),
    )
    return subscription


@transaction.atomic
def subscription_schedule_cancellation(
    *, actor, subscription: Subscription, cancel_on: dt.date
) -> Subscription:
    subscription = _lock_subscription(subscription)
    _require_live(subscription)
    if subscription.cancellation_scheduled_for:
        raise ValidationError(
            f"A cancellation is already scheduled for {subscription.cancellation_scheduled_for}."
        )
    _require_future(cancel_on, "cancellation date")
    subscription.cancellation_scheduled_for = cancel_on
    subscription.save(update_fields=["cancellation_scheduled_for", "updated_at"])
    _record(
        account=subscription.account,
        type="subscription_cancellation_scheduled",
        actor=actor,
        subscription=subscription,
        **_sub_data(subscription, cancellation_date=cancel_on),
    )
    return subscription


@transaction.atomic
def subscription_withdraw_cancellation(*, actor, subscription: Subscription) -> Subscription:
    subscription = _lock_subscription(subscription)
    if not subscription.cancellation_scheduled_for:
        raise ValidationError("No cancellation is scheduled for this subscription.")
    subscription.cancellation_scheduled_for = None
    subscription.save(update_fields=["cancellation_scheduled_for", "updated_at"])
    _record(
        account=subscription.account,
        type="subscription_cancellation_withdrawn",
        actor=actor,
        subscription=subscription,
        **_sub_data(subscription),
    )
    return subscription


@transaction.atomic
def subscription_schedule_downgrade(
    *, actor, subscription: Subscription, product: Product, downgrade_on: dt.date
) -> Subscription:
    subscription = _lock_subscription(subscription)
    _require_live(subscription)
    if subscription.downgrade_to_id:
        raise ValidationError(f"A downgrade to {subscription.downgrade_to} is already scheduled.")
    if product.pk == subscription.product_id:
        raise ValidationError("Choose a product other than the current one.")
    if not product.is_active:
        raise ValidationError(f"{product} is no longer sold.")
    if (
        product.currency != subscription.product.currency
        or product.price >= subscription.product.price
    ):
        raise ValidationError(f"{product} is not a downgrade from {subscription.product}.")
    _require_future(downgrade_on, "downgrade date")
    _require_before_cancellation(subscription, downgrade_on, "downgrade")
    subscription.downgrade_to = product
    subscription.downgrade_scheduled_for = downgrade_on
    subscription.save(update_fields=["downgrade_to", "downgrade_scheduled_for", "updated_at"])
    _record(
        account=subscription.account,
        type="subscription_downgrade_scheduled",
        actor=actor,
        subscription=subscription,
        product_from=subscription.product.name,
        product_to=product.name,
        downgrade_date=downgrade_on,
        order_id=subscription.order_id,
    )
    return subscription


@transaction.atomic
def subscription_withdraw_downgrade(*, actor, subscription: Subscription) -> Subscription:
    subscription = _lock_subscription(subscription)
    if not subscription.downgrade_to_id:
        raise ValidationError("No downgrade is scheduled for this subscription.")
    subscription.downgrade_to = None
    subscription.downgrade_scheduled_for = None
    subscription.save(update_fields=["downgrade_to", "downgrade_scheduled_for", "updated_at"])
    _record(
        account=subscription.account,
        type="subscription_downgrade_withdrawn",
        actor=actor,
        subscription=subscription,
        **_sub_data(subscription),
    )
    return subscription


@transaction.atomic
def subscription_change_product(
    *, actor, subscription: Subscription, product: Product
) -> Subscription:
    """Move to another product now; a scheduled downgrade no longer applies."""
    subscription = _lock_subscription(subscription)
    _require_live(subscription)
    if product.pk == subscription.product_id:
        raise ValidationError("Choose a product other than the current one.")
    if not product.is_active:
        raise ValidationError(f"{product} is no longer sold.")
    previous = subscription.product
    subscription.product = product
    subscription.downgrade_to = subscription.downgrade_scheduled_for = None
    subscription.save()
    _record(
        account=subscription.account,
        type="subscription_changed",
        actor=actor,
        subscription=subscription,
        product_from=previous.name,
        product_to=product.name,
        order_id=subscription.order_id,
    )
    return subscription


@transaction.atomic
def subscription_schedule_pause(
    *, actor, subscription: Subscription, pause_on: dt.date, months: int
) -> Subscription:
    subscription = _lock_subscription(subscription)
    if subscription.status != Subscription.Status.ACTIVE:
        raise ValidationError("Only an active subscription can be paused.")
    if subscription.pause_scheduled_for:
        raise ValidationError(
            f"A pause is already scheduled for {subscription.pause_scheduled_for}."
        )
    if type(months) is not int or not 1 <= months <= MAX_PAUSE_MONTHS:
        raise ValidationError(f"A pause lasts 1 to {MAX_PAUSE_MONTHS} months.")
    _require_future(pause_on, "pause date")
    _require_before_cancellation(subscription, pause_on, "pause")
    subscription.pause_scheduled_for = pause_on
    subscription.pause_months = months
    subscription.save(update_fields=["pause_scheduled_for", "pause_months", "updated_at"])
    _record(
        account=subscription.account,
        type="pause_scheduled",
        actor=actor,
        subscription=subscription,
        **_sub_data(subscription, pause_date=pause_on, months=months),
    )
    return subscription


@transaction.atomic
def subscription_cancel_scheduled_pause(*, actor, subscription: Subscription) -> Subscription:
    subscription = _lock_subscription(subscription)
    if not subscription.pause_scheduled_for:
        raise ValidationError("No pause is scheduled for this subscription.")
    subscription.pause_scheduled_for = subscription.pause_months = None
    subscription.save(update_fields=["pause_scheduled_for", "pause_months", "updated_at"])
    _record(
        account=subscription.account,
        type="scheduled_pause_cancelled",
        actor=actor,
        subscription=subscription,
        **_sub_data(subscription),
    )
    return subscription


@transaction.atomic
def subscription_activate_pause(
    *, actor, subscription: Subscription, months: int, actor_label=SYSTEM_ACTOR
) -> Subscription:
    """Start a pause now (the billing system does this on the scheduled day)."""
    subscription = _lock_subscription(subscription)
    if subscription.status != Subscription.Status.ACTIVE:
        raise ValidationError("Only an active subscription can be paused.")
    if type(months) is not int or not 1 <= months <= MAX_PAUSE_MONTHS:
        raise ValidationError(f"A pause lasts 1 to {MAX_PAUSE_MONTHS} months.")
    subscription.status = Subscription.Status.PAUSED
    subscription.paused_until = _add_months(_today(), months)
    subscription.pause_scheduled_for = subscription.pause_months = None
    subscription.next_billing_on = subscription.paused_until
    subscription.save()
    _record(
        account=subscription.account,
        type="pause_activated",
        actor=actor,
        actor_label=actor_label,
        subscription=subscription,
        **_sub_data(subscription, months=months),
    )
    return subscription


@transaction.atomic
def subscription_end_pause_early(*, actor, subscription: Subscription) -> Subscription:
    subscription = _lock_subscription(subscription)
    if subscription.status != Subscription.Status.PAUSED:
        raise ValidationError("This subscription is not paused.")
    subscription.status = Subscription.Status.ACTIVE
    subscription.paused_until = None
    subscription.next_billing_on = _next_billing(
        _today(), subscription.account.billing_day, subscription.product.period_months
    )
    subscription.save()
    _record(
        account=subscription.account,
        type="pause_ended_early",
        actor=actor,
        subscription=subscription,
        **_sub_data(subscription),
    )
    return subscription


@transaction.atomic
def subscription_refresh_entitlements(*, actor, subscription: Subscription) -> Subscription:
    """Recompute what the customer may use; recorded so agents can see it was done."""
    subscription = _lock_subscription(subscription)
    _require_live(subscription)
    subscription.save(update_fields=["updated_at"])
    _record(
        account=subscription.account,
        type="entitlements_refreshed",
        actor=actor,
        subscription=subscription,
        **_sub_data(subscription),
    )
    return subscription
