"""The "Send your data" form: a period of the initiative and one file."""

from __future__ import annotations

from typing import Any

from django import forms

from needle_web.submissions.services import UploadProblem, max_upload_bytes, stored_name_for

__all__ = ["UploadForm"]


class UploadForm(forms.Form):
    """Quick checks only (a period from the list, a file of a kind the core reads, not
    empty, not too big): the file's contents are the worker's to check."""

    period = forms.ChoiceField(
        label="Reporting period",
        help_text="The period the activity in your file took place in",
        error_messages={
            "required": "Choose the reporting period",
            "invalid_choice": ("Choose a reporting period from the list"),
        },
    )
    file = forms.FileField(
        label="Your data file",
        help_text="An Excel workbook (.xlsx) like the template, a .zip of CSV files, or one "
        "CSV file named after its sheet, such as attendance.csv",
        error_messages={
            "required": "Choose a file to send",
            "empty": "The selected file is empty",
            "invalid": "Choose a file to send",
        },
    )

    def __init__(self, *args: Any, periods: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = [("", "Choose a period"), *((p, p) for p in periods)]

    def clean_file(self) -> Any:
        file = self.cleaned_data["file"]
        try:
            stored_name_for(file.name or "")
        except UploadProblem as problem:
            raise forms.ValidationError(str(problem)) from None
        limit = max_upload_bytes()
        if file.size > limit:
            raise forms.ValidationError(f"The file must be smaller than {limit // 2**20} MB")
        return file
