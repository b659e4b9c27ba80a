import django_tables2 as tables
from django.core.paginator import EmptyPage
from django_tables2 import LazyPaginator

# PostgreSQL's OFFSET and LIMIT are bigints; no table is anywhere near this many rows.
MAX_OFFSET = 2**62


class BoundedLazyPaginator(LazyPaginator):
    """django-tables2's LazyPaginator (no COUNT), refusing page numbers whose offset the
    database cannot take: such a page is empty, as any page past the end is."""

    def validate_number(self, number):
        number = super().validate_number(number)
        if (number - 1) * self.per_page > MAX_OFFSET:
            raise EmptyPage("That page contains no results")
        return number


class BaseTable(tables.Table):
    """Every list in the back-office inherits this Meta (`class Meta(BaseTable.Meta)`)."""

    class Meta:
        attrs = {"class": "table"}
        per_page = 25
        empty_text = "Nothing matches these filters."
