"""Every write to accounts, subscriptions and payment methods.

Each service is keyword-only, takes who acts (`actor`: an Actor, a user, or None for the
system; core.actors), runs in one transaction, validates, writes, records its typed event on the
timeline and returns what it changed. Views, the admin, the API and commands all call these;
nothing else writes the models.
`accounts` holds the account's own details and its payment methods, `subscriptions` the
purchases and the actions on subscriptions.
"""

from accounts.services.access import (
    account_access_record,
    account_data_export_record,
    typed_filters,
)
from accounts.services.accounts import (
    ADDRESS_FIELDS,
    account_change_billing_day,
    account_create,
    account_update_address,
    payment_method_add,
    payment_method_set_default,
)
from accounts.services.anonymise import Erasure, account_anonymise
from accounts.services.subscriptions import (
    MAX_PAUSE_MONTHS,
    subscription_activate_pause,
    subscription_cancel,
    subscription_cancel_scheduled_pause,
    subscription_change_product,
    subscription_create,
    subscription_end_pause_early,
    subscription_refresh_entitlements,
    subscription_schedule_cancellation,
    subscription_schedule_downgrade,
    subscription_schedule_pause,
    subscription_withdraw_cancellation,
    subscription_withdraw_downgrade,
)

__all__ = [
    "account_access_record",
    "account_data_export_record",
    "typed_filters",
    "Erasure",
    "account_anonymise",
    "ADDRESS_FIELDS",
    "MAX_PAUSE_MONTHS",
    "account_change_billing_day",
    "account_create",
    "account_update_address",
    "payment_method_add",
    "payment_method_set_default",
    "subscription_activate_pause",
    "subscription_cancel",
    "subscription_cancel_scheduled_pause",
    "subscription_change_product",
    "subscription_create",
    "subscription_end_pause_early",
    "subscription_refresh_entitlements",
    "subscription_schedule_cancellation",
    "subscription_schedule_downgrade",
    "subscription_schedule_pause",
    "subscription_withdraw_cancellation",
    "subscription_withdraw_downgrade",
]
