from django.contrib import admin

from core.admin import ReadOnlyAdmin
from credits.models import (
    CreditApproval,
    CreditBalancesExport,
    CreditEntry,
    CreditExport,
    CreditWallet,
)


@admin.register(CreditExport)
class CreditExportAdmin(ReadOnlyAdmin):
    """Who downloaded which credit activity, and when (written by the CSV download only)."""

    list_display = ("created_at", "actor_name", "filters", "row_count", "finished_at")
    search_fields = ("actor_name",)
    date_hierarchy = "created_at"


@admin.register(CreditBalancesExport)
class CreditBalancesExportAdmin(ReadOnlyAdmin):
    """Who downloaded the credit roll-forward (or a unit's wallets), and when."""

    list_display = ("created_at", "actor_name", "filters", "row_count", "finished_at")
    search_fields = ("actor_name",)
    date_hierarchy = "created_at"


@admin.register(CreditWallet)
class CreditWalletAdmin(ReadOnlyAdmin):
    """Balances move only through the credit services, which write the ledger entry too."""

    list_display = ("account", "subscription", "credit_type", "currency", "balance", "last_seq")
    list_filter = ("credit_type", "currency")
    search_fields = ("account__customer_number", "account__email", "subscription__order_id")
    # A subscription shows with its product's name.
    list_select_related = ("account", "subscription__product")
    show_full_result_count = False


@admin.register(CreditEntry)
class CreditEntryAdmin(ReadOnlyAdmin):
    """The ledger is append-only: the admin shows entries and changes none."""

    list_display = (
        "created_at",
        "account",
        "activity",
        "amount",
        "currency",
        "balance_after",
        "transaction_id",
        "actor_name",
    )
    list_filter = ("activity", "credit_type")
    search_fields = ("=transaction_id", "account__customer_number", "account__email")
    list_select_related = ("account",)
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(CreditApproval)
class CreditApprovalAdmin(ReadOnlyAdmin):
    """Requests for approval: decided on their own page (/credits/approvals/), by Finance."""

    list_display = (
        "requested_at",
        "account",
        "operation",
        "amount",
        "currency",
        "actor_name",
        "state",
        "decided_by_name",
    )
    list_filter = ("state", "operation")
    search_fields = ("account__customer_number", "actor_name")
    list_select_related = ("account",)
    date_hierarchy = "requested_at"
