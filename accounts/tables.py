import django_tables2 as tables

from accounts.models import Account
from core.tables import BaseTable


class AccountTable(BaseTable):
    customer_number = tables.Column("Customer number", linkify=True)
    name = tables.Column(linkify=True)
    email = tables.EmailColumn(verbose_name="E-mail", linkify=False)
    city = tables.Column()
    country = tables.Column()
    status = tables.Column()
    created_at = tables.DateTimeColumn(verbose_name="Customer since", format="Y-m-d")

    class Meta(BaseTable.Meta):
        model = Account
        fields = ("customer_number", "name", "email", "city", "country", "status", "created_at")
        # No order of its own: the list keeps account_search's (exact matches first, then by
        # name) until a header is clicked.
