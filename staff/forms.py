from django import forms

from staff.services.second_factor import NOT_A_CODE, NOT_A_TOTP_CODE


class CodeForm(forms.Form):
    """A code from the authenticator app, or a recovery code."""

    token = forms.CharField(
        label="Code",
        max_length=32,
        strip=True,
        error_messages={"required": NOT_A_CODE},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )


class EnrolForm(forms.Form):
    token = forms.CharField(
        label="Code from the app",
        max_length=12,
        strip=True,
        error_messages={"required": NOT_A_TOTP_CODE},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    # Required by the service for the roles that need a second factor (staff.services).
    enrolment_code = forms.CharField(
        label="Enrolment code",
        max_length=40,
        required=False,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class RemoveForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    token = forms.CharField(
        label="A current code (or a recovery code)",
        max_length=32,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )
