"""A form with one field of each kind the GOV.UK component templates render.

Why it exists: the look is tested before any real page does, so the tests need a form
that exercises every branch of govuk/field.html and govuk/error_summary.html.
"""

from __future__ import annotations

from django import forms

ORGANISATIONS = [
    ("", "Choose an organisation"),
    ("altrincham-youth", "Altrincham Youth Club"),
    ("sale-sports", "Sale Sports Trust"),
]
ROLES = [
    ("submitter", "Partner submitter"),
    ("viewer", "Partner viewer"),
]

# Data that fails on every field but the password and the notes, plus a form-wide error.
INVALID_DATA = {
    "email": "not-an-email",
    "password": "correct horse battery staple",
    "organisation": "",
    "notes": "Brought forward from last period.",
}


class LookForm(forms.Form):
    """Sign-up-like fields: an email with a hint, a password, a select, radios, a textarea."""

    email = forms.EmailField(
        label="Email address",
        help_text="We will send your sign-in link to this address.",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
        },
    )
    password = forms.CharField(
        label="Password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    organisation = forms.ChoiceField(
        label="Organisation",
        choices=ORGANISATIONS,
        error_messages={"required": "Select your organisation"},
    )
    role = forms.ChoiceField(
        label="Role",
        choices=ROLES,
        widget=forms.RadioSelect,
        error_messages={"required": "Select a role"},
    )
    notes = forms.CharField(label="Notes", widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def clean(self):
        """A form-wide error, as a sign-in form raises for a wrong email or password."""
        raise forms.ValidationError(
            "Your invitation has expired: ask your backbone team for a new one"
        )
