"""The review decision: which pair, confirmed or rejected. Both come from the buttons on
the review page, so they are hidden fields; a tampered or stale request is told what to do
in the page's error summary."""

from __future__ import annotations

from django import forms

from needle.linkage.review import DECISIONS


class DecisionForm(forms.Form):
    pair = forms.CharField(
        max_length=40,
        widget=forms.HiddenInput,
        error_messages={
            "required": "Choose a pair from the list to confirm or reject",
            "max_length": "That is not a pair id: choose a pair from the list",
        },
    )
    decision = forms.ChoiceField(
        choices=[(d, d) for d in DECISIONS],
        widget=forms.HiddenInput,
        error_messages={
            "required": "Press Confirm or Reject for the pair you have decided",
            "invalid_choice": "Press Confirm or Reject for the pair you have decided",
        },
    )
