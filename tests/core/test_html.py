"""core.html writes what django.utils.html writes, for every kind of value a page's cells
hold."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import html as django_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from core import html

VALUES = [
    "plain",
    "<b>Malmö</b> & \"Lund\" 'x'",
    mark_safe("<em>already HTML</em>"),
    gettext_lazy("Credit Activity"),
    42,
    Decimal("-49.90"),
    dt.date(2026, 6, 5),
    None,
    "",
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_conditional_escape_writes_what_djangos_writes(value):
    assert html.conditional_escape(value) == str(django_html.conditional_escape(value))


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_format_html_writes_what_djangos_writes(value):
    template = '<a href="/x/{}/" title="{named}">{}</a>'
    ours = html.format_html(template, value, value, named=value)
    assert ours == django_html.format_html(template, value, value, named=value)
    assert hasattr(ours, "__html__")  # safe: a template writes it as it is
