"""The tracker's one form: which period to show."""

from __future__ import annotations

from typing import Any

from django import forms

__all__ = ["PeriodForm"]


class PeriodForm(forms.Form):
    """A period of the initiative, from the list (sent by GET, so the page can be linked)."""

    period = forms.ChoiceField(
        label="Reporting period",
        error_messages={"invalid_choice": "Choose a reporting period from the list"},
    )

    def __init__(self, *args: Any, periods: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = [(p, p) for p in periods]
