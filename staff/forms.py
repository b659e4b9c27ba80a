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


class TimeZoneForm(forms.Form):
    """The zone a user reads times in: the site's (empty) or any the machine knows."""

    time_zone = forms.CharField(label="Time zone", max_length=64, required=False, strip=True)


class SavedViewForm(forms.Form):
    """A list page's current filters to keep under a name, for oneself or one role."""

    page = forms.CharField(max_length=40)
    name = forms.CharField(label="Name", max_length=200, strip=True)
    query = forms.CharField(max_length=4000, required=False, strip=False)
    shared_with = forms.CharField(label="Share with", max_length=150, required=False)
