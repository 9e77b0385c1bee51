"""Turn failures into ``Problem`` objects, with the rule's severity and hint from the standard.

Checks find failing rows as Polars frames; only here do they become Python objects, and
only as many as the report will list (``Report.room``), the rest being counted. Keeping
that in one place is what bounds memory however bad a file is, and what lets every
message go through the same care about personal identifiers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl

from needle.standard.model import Standard
from needle.validation.report import Problem, Report

MAX_QUOTED = 60


def quote(value: Any) -> str:
    """A value as shown in a message: in quotes, and cut short so one cell cannot flood it.

    Call it only for columns that are not personal identifiers; callers check ``Column.pi``.
    """
    text = str(value)
    if len(text) > MAX_QUOTED:
        text = text[: MAX_QUOTED - 1] + "…"
    return f"'{text}'"


def column_letter(index: int) -> str:
    """Spreadsheet letters for a 0-based column index, as partners see them: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class Reporter:
    """Adds problems to one report, looking up severity and hint in one standard."""

    report: Report
    standard: Standard

    def severity(self, rule: str) -> str:
        return self.standard.rules[rule].severity

    def add(
        self,
        rule: str,
        message: str,
        *,
        entity: str | None = None,
        source: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        spec = self.standard.rules[rule]
        self.report.add(
            Problem(
                severity=spec.severity,
                rule=rule,
                message=message,
                hint=spec.hint,
                entity=entity,
                source=source,
                row=row,
                column=column,
            )
        )

    def add_rows(
        self,
        rule: str,
        failures: pl.DataFrame,
        total: int,
        message: Callable[[dict[str, Any]], str],
        *,
        entity: str,
        source: str,
        column: str | None = None,
    ) -> None:
        """List the first failing rows of ``failures`` (which has ``_row``), count the rest.

        ``total`` is the number of failing rows, known from a cheap sum before any row is
        materialised; ``failures`` may hold only the first few of them.
        """
        severity = self.severity(rule)
        room = self.report.room(severity, rule)
        listed = 0
        if room:
            for values in failures.head(room).iter_rows(named=True):
                self.add(
                    rule,
                    message(values),
                    entity=entity,
                    source=source,
                    row=int(values["_row"]),
                    column=column,
                )
                listed += 1
        if total > listed:
            self.report.add_count(severity, rule, total - listed)


def add_file_problem(
    report: Report,
    standard: Standard,
    rule: str,
    message: str,
    source: str | None,
    entity: str | None = None,
) -> None:
    """A problem with a whole file: the submission cannot be read completely."""
    Reporter(report, standard).add(rule, message, source=source, entity=entity)
    if standard.rules[rule].severity == "error":
        report.unreadable = True
