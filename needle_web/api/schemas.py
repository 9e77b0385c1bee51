"""The API's request and response shapes: the OpenAPI schema is generated from these, so
each field's description is what a partner's developer reads."""

from __future__ import annotations

import uuid
from datetime import datetime

from ninja import Field, Schema

__all__ = [
    "Error",
    "FieldError",
    "IndicatorDetail",
    "IndicatorList",
    "IndicatorSummary",
    "Problem",
    "ResultRow",
    "UploadAccepted",
    "UploadDetail",
    "UploadSummary",
]


class FieldError(Schema):
    field: str = Field(description="The form field at fault: `period` or `file`.")
    message: str


class Error(Schema):
    detail: str = Field(description="What went wrong and how to put it right.")
    errors: list[FieldError] = Field(
        default_factory=list, description="For a refused upload, the problem with each field."
    )


class UploadAccepted(Schema):
    id: uuid.UUID
    state: str = Field(description="`queued`: the file waits to be checked.")
    status_url: str = Field(description="Where to ask how the check went.")


class UploadSummary(Schema):
    id: uuid.UUID
    period: str = Field(description="The reporting period the file is for, such as 2025-Q1.")
    file_name: str = Field(description="The file's name as it was sent.")
    state: str = Field(description="queued, processing, accepted, rejected or failed.")
    state_label: str
    waiting: bool = Field(description="True while the file is queued or being checked.")
    version: int | None = Field(description="The pooled submission's version once accepted.")
    created_at: datetime
    finished_at: datetime | None
    status_url: str


class Problem(Schema):
    severity: str = Field(description="`error` (must be fixed) or `warning` (to check).")
    rule: str = Field(description="The validation rule that found the problem.")
    source: str = Field(description="The sheet or file the problem is in.")
    row: int | None = Field(description="The row as numbered in the file (header is row 1).")
    column: str | None
    message: str
    hint: str = Field(description="How to fix it.")


class UploadDetail(UploadSummary):
    failure: str = Field(description="Why the check could not finish, when it failed.")
    error_count: int
    warning_count: int
    rows: dict[str, int] = Field(description="Rows read from each sheet.")
    problems: list[Problem] = Field(
        description="The problems found (up to 1000 of each rule): never a value from the file."
    )


class IndicatorSummary(Schema):
    id: str
    title: str
    description: str
    theme: str
    unit: str = Field(description="people, count, hours, percent, ratio, score, ...")
    direction: str = Field(description="up or down (which way is better), or none.")
    url: str


class IndicatorList(Schema):
    audience: str = Field(
        description="Whose protected results: backbone, steering_group or partner."
    )
    partner: str | None = Field(description="For a partner, its code.")
    initiative: str | None
    refreshed_at: str | None = Field(description="When the results were computed.")
    periods: list[str]
    disclosure: str | None = Field(description="The disclosure rules applied, in a sentence.")
    indicators: list[IndicatorSummary]


class ResultRow(Schema):
    period: str = Field(description="A period such as 2025-Q1, or `all` for every period.")
    breakdown: str = Field(description="Empty for the headline number, else a dimension.")
    group: str = Field(description="Empty for the headline number, else the group's code.")
    value: float | None = Field(description="Empty where the number is suppressed.")
    numerator: float | None
    denominator: float | None
    n: int | None
    lower: float | None
    upper: float | None
    status: str = Field(description="`published`, or why the number is hidden.")


class IndicatorDetail(IndicatorSummary):
    audience: str
    partner: str | None
    disclosure: str
    results: list[ResultRow]
