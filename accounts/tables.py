import django_tables2 as tables
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe

from accounts.models import Account, AccountAccess
from core.forms import country_name
from core.html import conditional_escape
from core.tables import BaseTable, DirectCellsTable, path_builder

STATUS_LABELS = dict(Account.Status.choices)


class AccountTable(DirectCellsTable):
    """The accounts a search matches. The cells are written by the `cell_` methods below (see
    DirectCellsTable); each name is a link to the account (one reverse per page)."""

    customer_number = tables.Column("Customer number")
    name = tables.Column()
    email = tables.Column(verbose_name="E-mail")
    city = tables.Column()
    country = tables.Column()
    status = tables.Column()
    created_at = tables.Column(verbose_name="Customer since")

    class Meta(DirectCellsTable.Meta):
        model = Account
        fields = ("customer_number", "name", "email", "city", "country", "status", "created_at")
        # No order of its own: the list keeps account_search's (exact matches first, then by
        # name) until a header is clicked.

    @cached_property
    def account_path(self):
        return path_builder("accounts:detail")

    def _link(self, record, text):
        href = conditional_escape(self.account_path(record.customer_number))
        return mark_safe(f'<a href="{href}">{conditional_escape(text)}</a>')

    def cell_customer_number(self, record):
        return self._link(record, record.customer_number)

    def cell_name(self, record):
        return self._link(record, record.name)

    def cell_email(self, record):
        return record.email

    def cell_city(self, record):
        return record.city

    def cell_country(self, record):
        # The country's name from its code, looked up in the names of the current language
        # (Django's get_country_display() translates the whole list of countries for each row).
        return country_name(record.country.code)

    def cell_status(self, record):
        return STATUS_LABELS.get(record.status, record.status)

    def cell_created_at(self, record):
        return timezone.localtime(record.created_at).date().isoformat()


def filters_text(filters: dict) -> str:
    """A record's filters as one line: `type: a, b · date_from: 2026-01-01`."""
    parts = []
    for key, value in filters.items():
        shown = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        parts.append(f"{key}: {shown}")
    return " · ".join(parts)


class AccessLogTable(BaseTable):
    """Newest first; only the time sorts (the index's order)."""

    created_at = tables.DateTimeColumn(
        verbose_name="When", format="Y-m-d H:i:s", order_by=("created_at", "id")
    )
    actor_name = tables.Column(verbose_name="Who", orderable=False)
    page = tables.Column(verbose_name="Page", orderable=False)
    filters = tables.Column(verbose_name="Filters", orderable=False, empty_values=({}, None))

    class Meta(BaseTable.Meta):
        model = AccountAccess
        fields = ("created_at", "actor_name", "page", "filters")
        order_by = ("-created_at",)
        order_by_field = "sort"
        attrs = {"class": "table access-log"}
        empty_text = "Nobody opened this account's pages with these filters."

    def render_filters(self, value: dict) -> str:
        return filters_text(value)
