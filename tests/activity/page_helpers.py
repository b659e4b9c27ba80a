"""Helpers of the Recent Activity page tests: its address with filters, the events it shows,
and its pager links."""

import html
import re

from django.http import QueryDict
from django.urls import reverse


def url(account, **params) -> str:
    query = QueryDict(mutable=True)
    for key, value in params.items():
        query.setlist(key, value if isinstance(value, list) else [value])
    base = reverse("activity:recent", args=[account.customer_number])
    return f"{base}?{query.urlencode()}" if query else base


def shown(response) -> list:
    return [event.pk for event in response.context["page"].events]


def pager_link(response, rel: str) -> str | None:
    """The query string of the page's Newer (rel=prev) or Older (rel=next) link."""
    match = re.search(rf'<a rel="{rel}" href="\?([^"]*)"', response.content.decode())
    return html.unescape(match.group(1)) if match else None


def follow(client, account, query: str):
    base = reverse("activity:recent", args=[account.customer_number])
    return client.get(f"{base}?{query}")
