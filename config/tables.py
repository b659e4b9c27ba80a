import django_tables2 as tables

from config.paging import PER_PAGE


class BaseTable(tables.Table):
    """Every list in the back-office inherits this Meta (`class Meta(BaseTable.Meta)`) and is
    paged by `config.paging`."""

    class Meta:
        attrs = {"class": "table"}
        per_page = PER_PAGE
        empty_text = "Nothing matches these filters."
