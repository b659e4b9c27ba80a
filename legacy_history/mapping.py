"""Which legacy Account History events become which typed timeline events: the one place.

Every event name the old product logged is listed with its legacy type and the registry code it
migrates to, or None where no registry type says the same thing; those entries stay in Legacy
mode. A name is mapped only when the typed event would not claim more than the old entry says;
where the old name is ambiguous (an order "closed", a request not yet carried out) it stays.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class LegacyEvent:
    name: str
    type: str  # the legacy type, without its colon
    maps_to: str | None  # a registry code (activity.registry), or None: stays in Legacy mode


LEGACY_EVENTS: tuple[LegacyEvent, ...] = (
    LegacyEvent("Account created", "account", "new_customer_created"),
    LegacyEvent("Customer number changed", "account", None),
    # The renewal date is the day the subscription is billed: the billing day moved.
    LegacyEvent("Renewal date changed", "subscription", "billing_date_changed"),
    LegacyEvent("Request password reset", "password", None),
    LegacyEvent("Password reset complete", "password", None),
    # "Closed" does not say whether the order was completed or abandoned.
    LegacyEvent("Order closed", "order", None),
    LegacyEvent("Gift order closed", "order", None),
    LegacyEvent("Trial order closed", "order", None),
    # Either a withdrawn cancellation or a new start: the old entry does not say which.
    LegacyEvent("Reactivation of subscription", "subscription", None),
    LegacyEvent("Cancellation of subscription", "subscription", "subscription_cancelled"),
    LegacyEvent("Subscription upgraded", "subscription", "subscription_changed"),
    LegacyEvent("Subscription downgraded", "subscription", "subscription_changed"),
    LegacyEvent("Subscription freeze", "subscription", "pause_activated"),
    # Usually the end that follows a "Cancellation of subscription": mapping both would show
    # one ending twice.
    LegacyEvent("Subscription terminated", "subscription", None),
    LegacyEvent("Suspended payments", "payment", None),
    LegacyEvent("Resumed payments", "payment", None),
    LegacyEvent("Voucher redeemed", "voucher", None),
    LegacyEvent("Subscription sharing sent", "sharing", None),
    LegacyEvent("Subscription sharing accepted", "sharing", None),
    LegacyEvent("Subscription sharing removed", "sharing", None),
    LegacyEvent("Product distribution address changed", "distribution", "address_details_modified"),
    LegacyEvent("Product distribution method changed", "distribution", None),
    # The old product's own spelling.
    LegacyEvent("Offline subscripton added without customer interaction", "subscription", None),
    LegacyEvent("Subscription added without customer interaction", "subscription", None),
    LegacyEvent("Overpayment for order", "payment", None),
    LegacyEvent("Offline payment re-sent", "payment", None),
    LegacyEvent("Credit payment received", "payment", None),
    LegacyEvent("Partial payment received", "payment", None),
    LegacyEvent("Payment received", "payment", "subscription_billing_success"),
    LegacyEvent("Payment profile assigned", "order", None),
    LegacyEvent("Order address changed", "subscription", "address_details_modified"),
    LegacyEvent("Product deactivated, since payment failed", "payment", None),
    LegacyEvent("Set marketing permissions", "account", None),
    LegacyEvent("Payment retry successful", "payment", "subscription_billing_success"),
    LegacyEvent("Payment failed, will try again", "payment", "subscription_billing_success_failed"),
    LegacyEvent("Requested package change", "subscription", None),
    # A requested downgrade takes effect at the next renewal: a scheduled downgrade.
    LegacyEvent("Requested package downgrade", "subscription", "subscription_downgrade_scheduled"),
    # No registry type for a scheduled upgrade.
    LegacyEvent("Requested package upgrade", "subscription", None),
    LegacyEvent("Upgraded package", "subscription", "subscription_changed"),
    LegacyEvent("Switch subscription with order", "subscription", "subscription_changed"),
    LegacyEvent("Change credit card details", "subscription", "account_payment_method_changed"),
    # Started, not finished: nothing changed yet.
    LegacyEvent("Change credit card details initiated", "subscription", None),
    LegacyEvent("Change payment method initiated", "subscription", None),
    LegacyEvent("Subscription in intermission", "subscription", "pause_activated"),
    LegacyEvent("Requested email change", "account", None),
    LegacyEvent("Verify email change", "account", None),
    LegacyEvent("Change account status", "account", None),
    LegacyEvent("Change mobile phone", "account", None),
    LegacyEvent("Insufficient in-process funds for merchant", "payment", None),
    LegacyEvent("Refund was initialized for order, but failed", "payment", None),
)


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


_BY_NAME: dict[str, LegacyEvent] = {_key(e.name): e for e in LEGACY_EVENTS}
assert len(_BY_NAME) == len(LEGACY_EVENTS), "a legacy event name is listed twice"


def legacy_event(name: str) -> LegacyEvent | None:
    """The listed legacy event of this name (ignoring case and spacing), or None."""
    return _BY_NAME.get(_key(name))


def registry_code_for(name: str) -> str | None:
    """The registry code an entry named `name` migrates to, or None: it stays in Legacy mode."""
    event = legacy_event(name)
    return event.maps_to if event else None
