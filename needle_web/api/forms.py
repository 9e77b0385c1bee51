"""The "Create an API token" form: which partner, and what the token is for."""

from __future__ import annotations

from typing import Any

from django import forms

__all__ = ["TokenForm"]


class TokenForm(forms.Form):
    """A partner of the initiative and a label; the token itself is made by the service."""

    partner_code = forms.ChoiceField(
        label="Partner organisation",
        error_messages={
            "required": "Choose the partner organisation the token is for",
            "invalid_choice": "Choose a partner organisation from the list",
        },
    )
    name = forms.CharField(
        label="What the token is for",
        help_text="A label to tell tokens apart, such as 'Case management system nightly export'",
        max_length=100,
        error_messages={
            "required": "Enter what the token is for",
            "max_length": "Enter at most 100 characters",
        },
    )

    def __init__(self, *args: Any, partners: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner_code"].choices = [
            ("", "Choose a partner"),
            *((code, f"{name} ({code})") for code, name in partners.items()),
        ]
