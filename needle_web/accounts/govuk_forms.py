"""GOV.UK Frontend classes and ARIA links on Django form widgets.

Why in the form and not the template: Django renders a widget's attributes from the
widget, so ``aria-describedby`` (hint and error), ``aria-invalid`` and the error class are
set here after validation, and the templates stay a plain loop over fields.
"""

from __future__ import annotations

from typing import Any

from django import forms

__all__ = ["GovukFormMixin"]

_CLASSES = {
    forms.Select: "govuk-select",
    forms.RadioSelect: "govuk-radios__input",
    forms.CheckboxInput: "govuk-checkboxes__input",
    forms.Textarea: "govuk-textarea",
}


class GovukFormMixin:
    """Mix into a ``forms.Form`` to style its widgets the GOV.UK way."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for field in self.fields.values():
            widget = field.widget
            css = next(
                (c for kind, c in _CLASSES.items() if isinstance(widget, kind)), "govuk-input"
            )
            widget.attrs["class"] = f"{css} {widget.attrs.get('class', '')}".strip()
            widget.attrs.pop("autofocus", None)  # moving focus unasked disorients people
        self._describe()

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        self._describe()

    def _describe(self) -> None:
        """Tie each input to its hint and error message for screen readers."""
        errors = getattr(self, "_errors", None) or {}
        for name, field in self.fields.items():
            bound = self[name]  # type: ignore[index]
            described = []
            if field.help_text:
                described.append(f"{bound.auto_id}-hint")
            if name in errors:
                described.append(f"{bound.auto_id}-error")
                field.widget.attrs["aria-invalid"] = "true"
                css = field.widget.attrs.get("class", "")
                base = css.split()[0] if css else "govuk-input"
                if f"{base}--error" not in css and base in {
                    "govuk-input",
                    "govuk-select",
                    "govuk-textarea",
                }:
                    field.widget.attrs["class"] = f"{css} {base}--error"
            if described:
                field.widget.attrs["aria-describedby"] = " ".join(described)
