"""The long select: the markup of Django's select, written without a template per option."""

from django import forms

from core.forms import LongSelect

CHOICES = [("", "Any country"), ("SE", "Sweden"), ("GB", "United Kingdom <&>")]


def test_a_long_select_marks_the_chosen_option_and_escapes_labels():
    html = LongSelect(choices=CHOICES).render("country", "SE", attrs={"id": "id_country"})

    assert html.startswith('<select name="country" id="id_country">')
    assert '<option value="SE" selected>Sweden</option>' in html
    assert '<option value="">Any country</option>' in html
    assert "United Kingdom &lt;&amp;&gt;" in html
    assert html.count("<option") == 3


def test_a_long_select_offers_what_djangos_select_offers():
    mine = LongSelect(choices=CHOICES).render("country", "GB")
    django = forms.Select(choices=CHOICES).render("country", "GB")

    def options(html):
        return [part.split(">")[0] for part in html.split("<option ")[1:]]

    assert options(mine) == [o.replace(' selected=""', " selected") for o in options(django)]
