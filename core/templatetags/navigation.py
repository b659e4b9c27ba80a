from typing import Any

from django import template
from django.urls import reverse

from core import navigation

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_links(context: template.Context, place: str, *args: Any) -> list[dict[str, Any]]:
    """The links of `place` (see core.navigation) that the signed-in user may open, with their
    addresses (`args` fill the address, e.g. an account's customer number)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    return [
        {
            "label": link.label,
            "url": reverse(link.url_name, args=args),
            "hint": link.hint,
            "count": link.count(user) if link.count else 0,
        }
        for link in navigation.links(place)
        if not link.permission or user.has_perm(link.permission)
    ]
