"""The form renderer writes the widgets it knows exactly as Django's templates do."""

import datetime as dt
from decimal import Decimal

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
    # Labels that are not text are shown as a template shows them (local time, localized).
    (
        forms.Select(
            choices=[
                (1, dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC)),
                (2, Decimal("1.50")),
                (3, dt.time(9, 30)),
                (dt.date(2026, 12, 7), [(4, 4)]),
            ]
        ),
        2,
    ),
    (forms.Textarea(), 12.5),
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


class Everything(forms.Form):
    """A form with every part p.html writes: help, hidden fields, classes, errors, no label."""

    required_css_class = "required"
    error_css_class = "has-error"

    name = forms.CharField(help_text="As on the <card>", max_length=5)
    amount = forms.DecimalField(label="Amount?", required=False)
    note = forms.CharField(widget=forms.Textarea, required=False, label="")
    kind = forms.ChoiceField(choices=[("a", "A"), ("b", "B & C")])
    token = forms.CharField(widget=forms.HiddenInput)
    since = forms.DateField(widget=DateInput, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("name") == "no":
            raise forms.ValidationError("Not <this> one.")
        return cleaned


class OnlyHidden(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)


FORMS = [
    lambda: Everything(),
    lambda: Everything(auto_id=False),
    lambda: Everything(prefix="grant", label_suffix=":"),
    lambda: Everything({"name": "too long a name", "kind": "x"}),
    lambda: Everything({"name": "no", "kind": "a", "token": "t"}),
    lambda: Everything({"name": "ok", "kind": "a", "amount": "1e3"}),
    lambda: Everything(initial={"name": "Ann", "note": "two\nlines"}),
    lambda: OnlyHidden(),
    lambda: OnlyHidden({"token": ""}),
]


@pytest.mark.parametrize("make", FORMS, ids=[str(n) for n in range(len(FORMS))])
def test_a_form_as_paragraphs_is_djangos_markup(make):
    def rendered(renderer):
        form = make()  # a new form each time: its errors keep the renderer they were made with
        form.renderer = renderer
        if form.is_bound:
            form.is_valid()
        return str(form.as_p()), [str(bound.label_tag()) for bound in form], str(form.errors)

    ours, django = rendered(PythonWidgetsRenderer()), rendered(DjangoTemplates())
    assert ours == django
    assert ours[0]


@pytest.mark.django_db
def test_the_account_pages_forms_render_as_before(settings):
    """The credit forms of the account page, bound with errors and not."""
    from credits.forms import GrantForm, RevokeForm
    from tests.factories import AccountFactory

    account = AccountFactory()

    def rendered(renderer: str) -> list[str]:
        settings.FORM_RENDERER = renderer
        forms_ = [
            GrantForm(account=account, currencies=["SEK", "EUR"], wallets=[], prefix="grant"),
            GrantForm(
                {"grant-amount": "1e3"},
                account=account,
                currencies=["SEK"],
                wallets=[],
                prefix="grant",
            ),
            RevokeForm(account=account, currencies=["SEK"], wallets=[], prefix="revoke"),
        ]
        for form in forms_:
            form.is_bound and form.is_valid()
        return [str(form.as_p()) for form in forms_]

    assert rendered("core.renderers.PythonWidgetsRenderer") == rendered(
        "django.forms.renderers.DjangoTemplates"
    )
