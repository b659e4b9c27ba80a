"""The timeline's HTML: the account page's panel, and the days of events that it and Recent
Activity show.

The events are written by `timeline_days` in Python, escaping each value, rather than by
a template included per event: the template engine's path (a context push per include, a
variable lookup per attribute, a filter call per value) cost about 0.3 ms an event, a third of
the page. `event_html` writes one event alone.
"""

from collections.abc import Callable, Iterable
from html import escape
from typing import Any
from urllib.parse import quote

from django import template
from django.template import Context
from django.template.base import render_value_in_context
from django.utils import dateformat, timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from activity.forms import CommentForm
from activity.models import ActivityEvent
from activity.selectors import events_for_account, keyset_page
from core import navigation
from core.html import format_html
from core.marks import marked
from core.tables import path_builder

register = template.Library()


def _e(value: object) -> str:
    """Escaped as Django escapes (`django.utils.html.escape` is `html.escape` of the text),
    without its lazy-string wrapper, which cost a third of the events' time."""
    return escape(str(value))


PANEL_SIZE = 10
NO_ACTIVITY = '<p class="empty">No activity matches.</p>'


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


def _attribute_links(user) -> dict[str, Callable[[str], str]]:
    """For each attribute key whose value leads to another app's page (registered in the
    navigation under `attribute:<key>`) that `user` may open: the value's address."""
    found: dict[str, Callable[[str], str]] = {}
    for place_link in navigation.all_links():
        place = place_link.place
        if not place.startswith("attribute:") or place in found:
            continue
        if user is not None and user.has_perm(place_link.permission):
            found[place.removeprefix("attribute:")] = path_builder(place_link.url_name)
    return found


def _diff(label: str, changes: list[dict[str, Any]]) -> str:
    """What changed, one field a line: `City: <del>Malmö</del> → <ins>Lund</ins>` (— for no
    value)."""
    lines = "".join(
        f'<li><span class="diff-label">{_e(c["label"])}:</span> '
        f"<del>{_e(c['from'] or '—')}</del> → <ins>{_e(c['to'] or '—')}</ins></li>"
        for c in changes
    )
    return f'<dt>{_e(label)}</dt><dd><ul class="diff">{lines}</ul></dd>'


class _EventWriter:
    """Writes events, with what every event of a page shares
    (the account's address, the links the user may follow, the words searched for) worked
    out once."""

    def __init__(self, context, account) -> None:
        self.context = context
        self.account_url = account.get_absolute_url() if account is not None else ""
        request = context.get("request")
        self.links = _attribute_links(getattr(request, "user", None))
        self.term = context.get("search_term") or ""

    def value(self, value: object) -> str:
        # As `{{ value|linebreaksbr }}` writes it: escaped, the lines of a text (a comment
        # written on several lines) kept; anything but text localized as a template does.
        if isinstance(value, str):
            return marked(value, self.term)
        return render_value_in_context(value, self.context)

    def cell(self, label: str, value: Any, kind: str, key: str) -> str:
        if kind == "money":
            shown = f"{_e(value['amount'])} {_e(value['currency'])}"
        elif kind == "list":
            shown = _e(", ".join(str(v) for v in value))
        elif kind == "changes":
            return _diff(label, value)
        elif key == "order_id":
            anchor = _e(f"{self.account_url}#subscription-{quote(str(value), safe='/')}")
            shown = f'<a href="{anchor}">{self.value(value)}</a>'
        elif key in self.links:
            shown = f'<a href="{_e(self.links[key](str(value)))}">{_e(value)}</a>'
        else:
            shown = self.value(value)
        return f"<dt>{_e(label)}</dt><dd>{shown}</dd>"

    def event(self, event: ActivityEvent) -> str:
        category = event.category
        badges = ""
        if category:
            badges = f' <span class="badge cat-{_e(category.code)}">{_e(category.value)}</span>'
        if event.origin == "legacy":
            badges += ' <span class="badge legacy">Legacy</span>'
        local = timezone.localtime(event.occurred_at)
        username = ""
        if event.actor_kind == "agent" and event.actor:
            username = f' <span class="username">({_e(event.actor.username)})</span>'
        rows = "".join(self.cell(*row) for row in event.attribute_rows())
        if event.message:
            rows += f"<dt>Message</dt><dd>{marked(event.message, self.term)}</dd>"
        pk = _e(event.id)
        return (
            f'<li class="event" data-type="{_e(event.type)}" id="event-{pk}">'
            f'<div class="event-head"><span class="event-title">{_e(event.title)}</span>'
            f'{badges} <span class="event-meta"><time datetime="{local.isoformat()}">'
            f'{local:%H:%M}</time> · <span class="actor">{_e(event.actor_name)}{username}'
            f'</span></span></div><dl class="attrs">{rows}<dt>Unique ID</dt>'
            f'<dd class="event-id"><code id="id-{pk}">{pk}</code> <button type="button"'
            f' class="link copy" data-copy="id-{pk}" hidden>Copy</button></dd></dl>'
            f"{self.details(event)}</li>"
        )

    def details(self, event: ActivityEvent) -> str:
        # When and how the event reached the timeline, folded (Enter opens it from the keyboard):
        # an integration may report an interaction long after it occurred.
        recorded = timezone.localtime(event.recorded_at)
        return (
            '<details class="event-details"><summary>Details</summary><dl class="attrs">'
            f"<dt>Recorded</dt><dd>{recorded:%Y-%m-%d %H:%M:%S}</dd>"
            f"<dt>Origin</dt><dd>{_e(event.get_origin_display())}</dd></dl></details>"
        )


@register.simple_tag
def type_picker(field, chosen: set[str]) -> SafeString:
    """The filter's event types as checkboxes grouped by category, folded under a summary that
    says how many are chosen (open when the field has an error)."""
    groups = format_html_join(
        "",
        '<fieldset class="type-group"><legend>{}</legend>{}</fieldset>',
        (
            (
                group,
                format_html_join(
                    "",
                    '<label><input type="checkbox" name="type" value="{}"{}> {}</label>',
                    ((code, " checked" * (code in chosen), title) for code, title in options),
                ),
            )
            for group, options in field.field.choices
        ),
    )
    count = f"({len(chosen)} chosen)" if chosen else "(all)"
    return format_html(
        '<details class="type-picker"{}><summary>{} {}</summary>'
        '<div class="type-groups">{}</div></details>',
        " open" if field.errors else "",
        field.label,
        count,
        groups,
    )


@register.simple_tag(takes_context=True)
def timeline_days(context, days: Iterable, account=None, day_level: int = 3) -> SafeString:
    """A page's events by local day (`TimelinePage.days`), each day under a heading of
    `day_level` (2 under a page's h1, 3 in a panel)."""
    writer = _EventWriter(context, account)
    sections = [
        format_html(
            '<section class="day"><h{level} class="day-head">{day}</h{level}>'
            '<ol class="timeline">{events}</ol></section>',
            level=day_level,
            day=dateformat.format(day, "l j F Y"),
            events=mark_safe("".join(writer.event(e) for e in events)),
        )
        for day, events in days
    ]
    return mark_safe("".join(sections)) if sections else mark_safe(NO_ACTIVITY)


def event_html(event: ActivityEvent, context=None, account=None) -> SafeString:
    """One event's HTML, as a page's timeline writes it."""
    return mark_safe(
        _EventWriter(context if context is not None else Context(), account).event(event)
    )
