from django import template
from django.urls import reverse

from activity.forms import CommentForm
from activity.selectors import events_for_account, keyset_page
from core import navigation

register = template.Library()

PANEL_SIZE = 10


@register.inclusion_tag("activity/_panel.html", takes_context=True)
def recent_activity_panel(context, account):
    """The newest events of an account, for the account page (one query)."""
    return {
        "account": account,
        "page": keyset_page(
            events_for_account(account).select_related("actor"), None, size=PANEL_SIZE
        ),
        "comment_form": CommentForm(),
        "perms": context.get("perms"),
        "request": context.get("request"),
    }


@register.simple_tag(takes_context=True)
def event_link(context, key: str, value: str) -> str:
    """The page an attribute's value leads to (another app's, registered in the navigation
    under `attribute:<key>`), when the signed-in user may open it; else empty."""
    request = context.get("request")
    user = getattr(request, "user", None)
    for link in navigation.links(f"attribute:{key}"):
        if user is not None and user.has_perm(link.permission):
            return reverse(link.url_name, args=[value])
    return ""
