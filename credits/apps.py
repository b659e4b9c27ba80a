from django.apps import AppConfig


class CreditsConfig(AppConfig):
    name = "credits"
    verbose_name = "Credits"
    # Its part of erasing a customer (core.personal_data).
    erasure = "credits.erasure"
    # Its files in a customer's data export (core.personal_data).
    customer_export = "credits.export"
    # Loaded by `manage.py load_demo` after the demo accounts (INSTALLED_APPS order).
    demo = "credits.demo"

    def ready(self) -> None:
        from core import errors, navigation, savedviews
        from credits import checks, signals  # noqa: F401  (checks: the limits' system checks)
        from credits.filters import CreditActivityFilter
        from credits.selectors import approvals_waiting_count
        from credits.tables import CreditEntryTable

        signals.connect()
        # A ledger write that raced a shard's move on a cluster: refused whole, safe to resend.
        errors.RACING_KEYS.add("credit_entry_seq_per_wallet")
        # Credit Activity's filters can be saved under a name, and its columns chosen.
        savedviews.register(
            savedviews.Page(
                "credit_activity",
                "Credit Activity",
                "credits:activity",
                CreditActivityFilter,
                columns=CreditEntryTable.choosable_columns(),
            )
        )

        navigation.register(
            navigation.Link("Credit Activity", "credits:activity", "credits.view_credit_activity"),
            navigation.Link(
                "Approvals",
                "credits:approvals",
                "credits.approve_credit",
                count=approvals_waiting_count,
            ),
            navigation.Link("Credit Balances", "credits:balances", "credits.view_credit_balances"),
            # The requester's own requests for approval: every role that may ask for one.
            navigation.Link(
                "My requests",
                "credits:own-requests",
                "credits.grant_credit",
                place=navigation.ACCOUNT,
            ),
            # A transaction ID on the timeline leads to the transaction's credit entries.
            navigation.Link(
                "Transaction",
                "credits:transaction",
                "credits.view_credit_activity",
                place="attribute:transaction_id",
            ),
        )
