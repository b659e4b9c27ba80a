import django_tables2 as tables


class BaseTable(tables.Table):
    """Every list in the back-office inherits this Meta (`class Meta(BaseTable.Meta)`)."""

    class Meta:
        attrs = {"class": "table"}
        per_page = 25
        empty_text = "Nothing matches these filters."
