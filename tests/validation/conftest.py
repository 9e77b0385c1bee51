"""Fixtures for the validator's tests (``submission_builders`` is in tests/)."""

from __future__ import annotations

import pytest
from submission_builders import PERIOD, TODAY, Rows, clean_rows, write_folder

from needle.validation import Report, validate_path


@pytest.fixture
def rows() -> Rows:
    """A fresh valid submission to plant problems in."""
    return clean_rows()


@pytest.fixture
def check(tmp_path):
    """Validate rows written as a CSV folder, on the fixed test date and period."""

    def run(rows: Rows, **kwargs) -> Report:
        kwargs.setdefault("period", PERIOD)
        kwargs.setdefault("today", TODAY)
        return validate_path(write_folder(tmp_path / "submission", rows), **kwargs)

    return run
