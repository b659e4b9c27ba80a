from django import template

from activity.forms import CommentForm
from activity.selectors import events_for_account, keyset_page

register = template.Library()

PANEL_SIZE = 10


@register.inclusion_tag("activity/_panel.html", takes_context=True)
def recent_activity_panel(context, account):
    """The newest events of an account, for the account page (one query)."""
    return {
        "account": account,
        "page": keyset_page(events_for_account(account), None, size=PANEL_SIZE),
        "comment_form": CommentForm(),
        "perms": context.get("perms"),
        "request": context.get("request"),
    }
