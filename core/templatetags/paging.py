from django import template
from django.core.paginator import Page

register = template.Library()


@register.simple_tag
def rows_in_view(page: Page) -> str:
    """`1–25`: the rows a table's page shows, counted from its number and its rows, so that a
    lazy paginator (which never counts the whole list) can say it too; empty for no rows."""
    shown = len(page.object_list)
    if not shown:
        return ""
    first = (page.number - 1) * page.paginator.per_page + 1
    return f"{first}–{first + shown - 1}"
