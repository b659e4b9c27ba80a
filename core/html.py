"""`format_html` and `conditional_escape` as Django writes them, for the code that writes a
page's many cells and values in Python (tables, amounts, the timeline): Django wraps each call
in a check of its arguments for lazy strings (`keep_lazy`), which cost more than the escaping
itself, about 8 ms of a Credit Activity page of 25 rows. The output is Django's, byte for byte
(tests/core/test_html.py compares them); a lazy string is written as its text."""

from html import escape
from typing import Any

from django.utils.safestring import SafeString, mark_safe


def conditional_escape(value: Any) -> str:
    """`value` escaped for HTML, unless it is HTML already (it has `__html__`)."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return escape(str(value))


def format_html(template: str, *args: Any, **kwargs: Any) -> SafeString:
    """`template` (HTML) with its `{}` fields filled by the escaped arguments."""
    return mark_safe(
        template.format(
            *map(conditional_escape, args),
            **{name: conditional_escape(value) for name, value in kwargs.items()},
        )
    )
