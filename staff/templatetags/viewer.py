"""The pieces of a page that are each user's own: the clock (which time zone the page shows,
and one click to UTC and back), the saved views menu and the column chooser of a list page
(core.savedviews). Each page places them with one tag, without knowing where they are kept."""

from typing import Any

from django import template
from django.utils import timezone

from core import savedviews
from core.roles import user_roles
from staff.middleware import SHOW_UTC_KEY, session_preferences
from staff.selectors import saved_views_for

register = template.Library()


@register.inclusion_tag("staff/_clock.html", takes_context=True)
def clock(context: dict[str, Any]) -> dict[str, Any]:
    """The zone this page shows times in, and the button that switches to UTC or back."""
    request = context["request"]
    # Back to this page with its filters, from its start (a page number or a sort would mean
    # another place in the list in another zone).
    query = savedviews.filters_of(request.GET).urlencode()
    return {
        "back": f"{request.path}?{query}" if query else request.path,
        "zone": timezone.get_current_timezone_name(),
        "own_zone": session_preferences(request).zone_name,
        "utc": bool(request.session.get(SHOW_UTC_KEY)),
    }


@register.inclusion_tag("staff/_saved_views.html", takes_context=True)
def saved_views(context: dict[str, Any], page: str) -> dict[str, Any]:
    """The saved views of `page` the user may open, and the form that saves the page's current
    filters (for oneself or one of one's roles). One query."""
    request = context["request"]
    registered = savedviews.get(page)
    user = request.user
    views = list(saved_views_for(user, page)) if registered else []
    query = savedviews.filters_of(request.GET).urlencode()
    roles = [role.value for role in user_roles(user)]
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "page": registered,
        "views": views,
        "query": query,
        "roles": roles,
        "user_id": user.pk,
        "here": request.get_full_path(),
    }


@register.inclusion_tag("staff/_columns.html", takes_context=True)
def column_chooser(context: dict[str, Any], page: str) -> dict[str, Any]:
    """The columns of `page` with the ones the user shows ticked."""
    request = context["request"]
    registered = savedviews.get(page)
    hidden = set(savedviews.hidden_columns(request, page))
    columns = [
        {"name": name, "label": label, "shown": name not in hidden}
        for name, label in (registered.columns if registered else ())
    ]
    return {
        "csrf_token": context.get("csrf_token"),
        "page": registered,
        "columns": columns,
        "hidden_count": len(hidden),
        "here": request.get_full_path(),
    }
