"""The form renderer writes the widgets it knows exactly as Django's templates do."""

import datetime as dt

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from activity.filters import ActivityFilter
from core.forms import DateInput
from core.renderers import PythonWidgetsRenderer
from credits.filters import CreditActivityFilter

CHOICES = [("", "Any <kind>"), ("a", "A & B"), (3, "Three"), ("q\"'", mark_safe("<b>safe</b>"))]
GROUPED = [("Group <1>", [("a", "A"), ("b", "B")]), ("c", "C"), ("Empty", [])]

WIDGETS = [
    (forms.TextInput(), 'Anna <Ek> & "co"'),
    (forms.TextInput(attrs={"placeholder": "Name", "autofocus": True, "hidden": False}), None),
    (forms.TextInput(), ""),
    (forms.TextInput(), mark_safe("<i>x</i>")),
    (forms.EmailInput(attrs={"maxlength": 254}), "a@example.com"),
    (forms.NumberInput(attrs={"step": "0.01", "min": 0}), 12.5),
    (forms.PasswordInput(render_value=True), "secret"),
    (forms.PasswordInput(), "secret"),
    (forms.HiddenInput(), "next"),
    (forms.SearchInput(), "nilss"),
    (forms.URLInput(), "https://example.com/?a=1&b=2"),
    (forms.DateTimeInput(), dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC)),
    (forms.TimeInput(), dt.time(9, 30)),
    (DateInput(), dt.date(2026, 12, 7)),
    (DateInput(attrs={"required": True}), "not a day"),
    (forms.CheckboxInput(), True),
    (forms.CheckboxInput(), False),
    (forms.Textarea(), "Line one\nline <two>"),
    (forms.Textarea(attrs={"rows": 3}), ""),
    (forms.Select(choices=CHOICES), "a"),
    (forms.Select(choices=CHOICES), 3),
    (forms.Select(choices=CHOICES), None),
    (forms.Select(choices=GROUPED, attrs={"id": "id_kind"}), "b"),
    (forms.SelectMultiple(choices=CHOICES), ["a", 3]),
    (forms.NullBooleanSelect(), None),
]


def _name(item: object) -> str:
    return type(item).__name__ if isinstance(item, forms.Widget) else repr(item)[:30]


@pytest.mark.parametrize(("widget", "value"), WIDGETS, ids=_name)
def test_the_same_markup_as_djangos_templates(widget, value):
    ours = widget.render("field", value, attrs={"id": "id_field"}, renderer=PythonWidgetsRenderer())
    django = widget.render("field", value, attrs={"id": "id_field"}, renderer=DjangoTemplates())
    assert ours == django


def test_widgets_it_does_not_write_go_to_the_templates():
    widget = forms.RadioSelect(choices=CHOICES)
    ours = widget.render("kind", "a", renderer=PythonWidgetsRenderer())
    assert ours == widget.render("kind", "a", renderer=DjangoTemplates())
    assert 'type="radio"' in ours


class OwnOption(forms.Select):
    option_template_name = "django/forms/widgets/input_option.html"


def test_a_select_with_its_own_option_template_goes_to_the_templates():
    widget = OwnOption(choices=[("a", "A")])
    ours = widget.render("kind", "a", renderer=PythonWidgetsRenderer())
    assert ours == widget.render("kind", "a", renderer=DjangoTemplates())


@pytest.mark.parametrize(
    ("filterset", "data"),
    [
        (ActivityFilter, {"date_from": "2026-01-01", "category": "credit", "actor": "system"}),
        (ActivityFilter, {"date_from": "not a day"}),
        (CreditActivityFilter, {"account_name": "Nilsson & <Co>", "activity": "grant"}),
    ],
)
def test_the_filter_forms_render_as_before(filterset, data, settings):
    def rendered(renderer: str) -> list[str]:
        settings.FORM_RENDERER = renderer
        form = filterset(data).form
        form.is_valid()
        return [str(field) for field in form]

    assert rendered("core.renderers.PythonWidgetsRenderer") == rendered(
        "django.forms.renderers.DjangoTemplates"
    )
