"""Validate a submission against the Needle Youth Data Standard.

``validate_path`` gives the report a partner reads; ``load_submission`` also gives the
typed tables that pseudonymisation and pooling build on. Everything else in this package
is internal.
"""

from needle.validation.limits import Limits
from needle.validation.report import Problem, Report
from needle.validation.validate import ValidatedSubmission, load_submission, validate_path

__all__ = [
    "Limits",
    "Problem",
    "Report",
    "ValidatedSubmission",
    "load_submission",
    "validate_path",
]
