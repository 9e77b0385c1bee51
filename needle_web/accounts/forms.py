"""The accounts forms: sign-in, invitations, setting a password, two-factor codes.

The forms set only what they alone know about their inputs (input type, autocomplete,
inputmode, spellcheck); the GOV.UK markup, classes and aria-describedby come from the
templates in needle_web/templates/govuk/, one mechanism for every page.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib.auth import forms as auth_forms

from needle_web.accounts.roles import PARTNER_ROLES, Role, role_partner_problem

__all__ = [
    "AcceptInvitationForm",
    "InvitationForm",
    "PasswordResetForm",
    "SetPasswordForm",
    "SignInForm",
    "TwoFactorCodeForm",
]


class SignInForm(auth_forms.AuthenticationForm):
    """Email and password. The error never says which of the two was wrong, so it does not
    tell a stranger whether an address has an account."""

    error_messages: ClassVar[dict[str, str]] = {
        "invalid_login": "Enter a correct email address and password",
        "inactive": "Enter a correct email address and password",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Email address"
        username = self.fields["username"].widget
        username.input_type = "email"
        username.attrs.update({"autocomplete": "email", "spellcheck": "false"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class InvitationForm(forms.Form):
    """Who to invite, with which role, and for partner roles which partner."""

    email = forms.EmailField(
        label="Email address",
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={
            "required": "Enter the email address of the person to invite",
            "invalid": "Enter an email address in the correct format, like name@example.org",
        },
    )
    role = forms.ChoiceField(
        label="Role",
        choices=Role.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a role"},
    )
    partner_code = forms.CharField(
        label="Partner organisation code",
        required=False,
        max_length=16,
        help_text="Only for partner roles: the organisation's code in the partner register, "
        "like YC",
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )

    def clean_partner_code(self) -> str:
        return self.cleaned_data.get("partner_code", "").strip().upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        role = data.get("role")
        if role:
            problem = role_partner_problem(role, data.get("partner_code", ""))
            if problem:
                self.add_error("partner_code", problem)
        return data

    @property
    def partner_roles(self) -> list[str]:
        return sorted(str(r) for r in PARTNER_ROLES)


class _NewPasswordFields(forms.Form):
    """Two password boxes checked against the validators (minimum 12 characters)."""

    password1 = forms.CharField(
        label="Create a password",
        strip=False,
        help_text="At least 12 characters. Avoid common passwords and your email address.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Enter a password"},
    )
    password2 = forms.CharField(
        label="Confirm your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Enter the password again"},
    )

    def clean_password2(self) -> str:
        first = self.cleaned_data.get("password1")
        second = self.cleaned_data.get("password2", "")
        if first and second and first != second:
            raise forms.ValidationError("The passwords do not match")
        return second


class AcceptInvitationForm(_NewPasswordFields):
    """Accepting an invitation: a name to show to colleagues, and a password. The
    password is checked against the invited account by the service, which knows it."""

    field_order = ("full_name", "password1", "password2")
    full_name = forms.CharField(
        label="Full name",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
        error_messages={"required": "Enter your full name"},
    )


class SetPasswordForm(auth_forms.SetPasswordForm):
    """Choosing a new password after a reset link."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[
            "new_password1"
        ].help_text = "At least 12 characters. Avoid common passwords and your email address."
        self.fields["new_password1"].label = "New password"
        self.fields["new_password2"].label = "Confirm your new password"


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Asking for a reset link; the page afterwards is the same whether or not the address
    has an account."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "Email address"
        self.fields["email"].widget.attrs.update({"autocomplete": "email", "spellcheck": "false"})


class TwoFactorCodeForm(forms.Form):
    """The six-digit code from an authenticator app."""

    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=10,
        help_text="The 6-digit code the app shows now",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "spellcheck": "false",
            }
        ),
        error_messages={"required": "Enter the 6-digit code from your authenticator app"},
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].replace(" ", "").strip()
        if not (code.isdigit() and len(code) == 6):
            raise forms.ValidationError("Enter the 6 digits the app shows, like 123456")
        return code
