from django import forms


class DateInput(forms.DateInput):
    """A native date picker that submits YYYY-MM-DD."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")
