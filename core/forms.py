import functools
from html import escape
from typing import Any

from django import forms
from django.conf import settings
from django.forms.utils import flatatt
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django_countries import countries


@functools.lru_cache(maxsize=32)
def _countries_in(language: str) -> tuple[tuple[str, str], ...]:
    with translation.override(language):
        return tuple((code, str(name)) for code, name in countries)


@functools.lru_cache(maxsize=32)
def _names_in(language: str) -> dict[str, str]:
    return dict(_countries_in(language))


def country_name(code: str) -> str:
    """A country's name in the current language from its ISO code ("" for none): a lookup in the
    list worked out once per language, not a translation each time."""
    if not code:
        return ""
    return _names_in(translation.get_language() or settings.LANGUAGE_CODE).get(code, code)


def country_choices() -> list[tuple[str, str]]:
    """The countries by name in the current language, sorted as django-countries sorts them:
    worked out once per language (translating and sorting ~250 names cost a page about 10 ms
    each time a form or filter listed them)."""
    return list(_countries_in(translation.get_language() or settings.LANGUAGE_CODE))


class DateInput(forms.DateInput):
    """A native date picker that submits YYYY-MM-DD."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class LongSelect(forms.Select):
    """A select of many fixed options (the countries: about 250), written in Python: Django
    renders each option through a template (about 0.1 ms an option, 25 ms for the countries),
    here one escaped line each, straight from the choices. The same markup as Django's select,
    without option groups."""

    def render(
        self, name: str, value: Any, attrs: dict | None = None, renderer: Any = None
    ) -> SafeString:
        chosen = frozenset(str(v) for v in self.format_value(value))
        choices = tuple((option_value, str(label)) for option_value, label in self.choices)
        final = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            final["multiple"] = True
        return mark_safe(
            f'<select name="{escape(name)}"{flatatt(final)}>{_options(choices, chosen)}</select>'
        )


@functools.lru_cache(maxsize=256)
def _options(choices: tuple[tuple[Any, str], ...], chosen: frozenset[str]) -> str:
    """The options of a LongSelect: the same choices and choice give the same markup, written
    once (the countries' 250 options cost a page about 0.4 ms each time)."""
    options = []
    for option_value, label in choices:
        text = "" if option_value is None else str(option_value)
        selected = " selected" if text in chosen else ""
        options.append(f'<option value="{escape(text)}"{selected}>{escape(label)}</option>')
    return "".join(options)
