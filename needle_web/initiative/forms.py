"""The settings forms. They check only that an answer is there and is a whole number or
text; whether a value is allowed is the core's rule (needle.initiative.config), and its
refusal is shown on the field it names (:func:`add_refusal`)."""

from __future__ import annotations

from django import forms

from needle.initiative.edit import SettingsError

__all__ = ["PartnerAddForm", "PartnerRenameForm", "ThresholdsForm", "VisionForm", "add_refusal"]


def _whole(label: str, hint: str, what: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        help_text=hint,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
        error_messages={
            "required": f"Enter {what}",
            "invalid": f"{what[0].upper()}{what[1:]} must be a whole number, like 5",
        },
    )


class ThresholdsForm(forms.Form):
    public = _whole(
        "Public",
        "The smallest count shown in open data and on the public dashboard",
        "the smallest count the public may see",
    )
    steering_group = _whole(
        "Steering group and funders",
        "The smallest count shown to the steering group, working groups and funders",
        "the smallest count the steering group may see",
    )
    partner = _whole(
        "Partners",
        "The smallest count in a partner's own feedback and peer benchmarks",
        "the smallest count a partner may see",
    )
    public_rounding = _whole(
        "Round public counts to the nearest",
        "For example 5; 0 for no rounding",
        "the number public counts are rounded to",
    )
    min_peers = _whole(
        "Fewest partners in a peer benchmark",
        "The partner itself included; 3 or more, so no partner can work out another's figure",
        "the fewest partners in a peer benchmark",
    )


class PartnerAddForm(forms.Form):
    code = forms.CharField(
        label="Partner code",
        help_text="2 to 16 capital letters, digits, hyphens or underscores, like TYC. "
        "It cannot be changed later, and is never reused",
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
        error_messages={"required": "Enter the partner's code, like TYC"},
    )
    name = forms.CharField(
        label="Organisation name",
        error_messages={"required": "Enter the organisation's name"},
    )


class PartnerRenameForm(forms.Form):
    name = forms.CharField(
        label="New name",
        error_messages={"required": "Enter the organisation's new name"},
    )


class VisionForm(forms.Form):
    vision = forms.CharField(
        label="Shared vision",
        help_text="The condition of young people's lives the partners work towards, in a sentence",
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


def add_refusal(form: forms.Form, refusal: SettingsError) -> None:
    """Show the core's refusal on the field it is about (``disclosure.min_peers`` is the
    field ``min_peers``), or above the form when it names no field of this one."""
    field = refusal.key.rsplit(".", 1)[-1] if refusal.key else ""
    if field in form.fields:
        problem = refusal.problem.strip()
        form.add_error(field, problem[:1].upper() + problem[1:])
    else:
        form.add_error(None, str(refusal))
