"""The form renderer: Django's, with its commonest templates written in Python.

Django renders every widget through a template, and a select's every option through another
one: a filter form of four fields cost a page about 3 ms, more than its queries; a form shown
with `as_p` renders a template per label and per error list besides. This renderer writes the
markup of Django's own `input.html` (text, date, e-mail, number, password, hidden, search,
check box …), `select.html` with `select_option.html`, `textarea.html`, the form's `p.html`,
`label.html` and the error list's `ul.html` directly from their context, the same markup byte
for byte (tests/core/test_renderers.py compares them). Any other template, a project override
of one of these, or a select whose options use another template, goes to Django's templates as
before.
"""

from collections.abc import Callable
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.safestring import SafeData
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # not in the stubs

from core.html import conditional_escape

WIDGETS = "django/forms/widgets/"
OPTION = WIDGETS + "select_option.html"
# The widget templates that are only `{% include "django/forms/widgets/input.html" %}`.
INPUTS = frozenset(
    WIDGETS + name
    for name in (
        "input.html",
        "text.html",
        "date.html",
        "datetime.html",
        "time.html",
        "email.html",
        "number.html",
        "password.html",
        "hidden.html",
        "search.html",
        "tel.html",
        "url.html",
        "color.html",
        "checkbox.html",
    )
)


def _text(value: Any) -> str:
    """What `{{ value|stringformat:'s' }}` writes: the value as text, escaped unless safe."""
    text = str(value)
    return text if isinstance(value, SafeData) else str(conditional_escape(text))


def _shown(value: Any) -> str:
    """What `{{ value }}` writes: a time in the current zone, a number or date localized, as
    text, escaped unless safe (Django's `render_value_in_context`)."""
    return str(conditional_escape(localize(template_localtime(value))))


def _attrs(attrs: dict[str, Any]) -> str:
    """Django's `attrs.html`: True as a bare name, False left out."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        else:
            parts.append(f' {conditional_escape(name)}="{_text(value)}"')
    return "".join(parts)


def _input(widget: dict[str, Any]) -> str:
    value = "" if widget["value"] is None else f' value="{_text(widget["value"])}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}" '
        f'name="{conditional_escape(widget["name"])}"{value}{_attrs(widget["attrs"])}>'
    )


def _select(widget: dict[str, Any]) -> str | None:
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_shown(group_name)}">')
        for option in options:
            if option["template_name"] != OPTION:
                return None  # a custom option template: Django's templates write it
            parts.append(
                f'\n  <option value="{_text(option["value"])}"{_attrs(option["attrs"])}>'
                f"{_shown(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _label(context: dict[str, Any]) -> str:
    label = _shown(context["label"])
    if not context["use_tag"]:
        return label
    tag = context["tag"]
    return f"<{tag}{_attrs(context['attrs'] or {})}>{label}</{tag}>"


def _errors(context: dict[str, Any]) -> str:
    errors = context["errors"]
    if not errors:
        return ""
    field_id = getattr(errors, "field_id", None)
    named = f' id="{conditional_escape(field_id)}_error"' if field_id else ""
    items = "".join(f"<li>{_shown(error)}</li>" for error in errors)
    return f'<ul class="{conditional_escape(context["error_class"])}"{named}>{items}</ul>'


def _paragraphs(context: dict[str, Any]) -> str:
    """Django's `p.html`, text for text (its line breaks and indents included)."""
    errors, fields, hidden = context["errors"], context["fields"], context["hidden_fields"]
    hidden_html = "".join(str(field) for field in hidden)
    out = [str(errors), "\n"]
    if errors and not fields:
        out += ["\n  <p>", hidden_html, "</p>\n"]
    out.append("\n")
    for n, (field, field_errors) in enumerate(fields, 1):
        classes = field.css_classes()
        css = f' class="{conditional_escape(classes)}"' if classes else ""
        label = field.label_tag() if field.label else ""
        out += ["\n  ", str(field_errors), "\n  <p", css, ">\n    ", label, "\n    "]
        out += [str(field), "\n    "]
        if field.help_text:
            named = f' id="{conditional_escape(field.auto_id)}_helptext"' if field.auto_id else ""
            out += [
                '\n      <span class="helptext"',
                named,
                ">",
                str(field.help_text),
                "</span>\n    ",
            ]
        out.append("\n    ")
        if n == len(fields):
            out += ["\n      ", hidden_html, "\n    "]
        out.append("\n  </p>\n")
    out.append("\n")
    if not fields and not errors:
        out += ["\n  ", hidden_html, "\n"]
    out.append("\n")
    return "".join(out).strip()


def _textarea(widget: dict[str, Any]) -> str:
    value = _shown(widget["value"]) if widget["value"] else ""
    return (
        f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{value}</textarea>"
    )


class PythonWidgetsRenderer(DjangoTemplates):
    """Django's default renderer, except for the widget templates written above."""

    def __init__(self) -> None:
        super().__init__()
        self.written: dict[str, Callable[[dict[str, Any]], str | None]] = {
            WIDGETS + "select.html": lambda context: _select(context["widget"]),
            WIDGETS + "textarea.html": lambda context: _textarea(context["widget"]),
            "django/forms/label.html": _label,
            "django/forms/errors/list/default.html": _errors,
            "django/forms/errors/list/ul.html": _errors,
            "django/forms/p.html": _paragraphs,
        } | dict.fromkeys(INPUTS, lambda context: _input(context["widget"]))
        self._overridden: dict[str, bool] = {}

    def _own(self, template_name: str) -> bool:
        """Whether Django's own file answers `template_name` (no project template overrides it;
        looked up once per name)."""
        if template_name not in self._overridden:
            origin = self.get_template(template_name).template.origin
            self._overridden[template_name] = "/django/forms/templates/" not in str(origin.name)
        return not self._overridden[template_name]

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        # Django strips what its templates write; the markup above has no outer whitespace.
        write = self.written.get(template_name)
        if write is not None and self._own(template_name):
            html = write(context)
            if html is not None:
                return html
        return super().render(template_name, context, request)
