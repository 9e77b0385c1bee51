"""The form of the journeys app: which young person's timeline to show."""

from __future__ import annotations

import re

from django import forms

# Linked person ids and PARTNER:reference: letters, digits and a few separators only, so
# that a name or a postcode typed by mistake is refused before anything is looked up.
PERSON_ID = re.compile(r"^[A-Za-z0-9_:.-]{1,80}$")


class TimelineForm(forms.Form):
    person_id = forms.CharField(
        label="Person id",
        help_text=(
            "The linked young person's id, or PARTNER:reference for a record linkage has "
            "not linked (for example YC:A1). Never a name or a date of birth."
        ),
        max_length=80,
        error_messages={
            "required": "Enter a person id",
            "max_length": "A person id is at most 80 characters",
        },
    )

    def clean_person_id(self) -> str:
        value = self.cleaned_data["person_id"].strip()
        if not PERSON_ID.match(value):
            raise forms.ValidationError(
                "Enter a person id using only letters, digits, colons, dots, hyphens "
                "and underscores"
            )
        return value
