"""The validation report: what is wrong, where, and how to fix it.

Problems are kept per rule up to a cap, with an exact count of the rest, so a file with a
million bad rows still gives a small, readable report and bounded memory.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

REPORT_FORMAT_VERSION = "1"

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_UNREADABLE = 2


@dataclass(frozen=True)
class Problem:
    """One thing to fix.

    ``row`` is the row number the user sees in Excel or a text editor (the header is
    row 1), ``source`` the sheet or file the user opened. ``message`` never contains the
    value of a personal-identifier column.
    """

    severity: str
    rule: str
    message: str
    hint: str
    entity: str | None = None
    source: str | None = None
    row: int | None = None
    column: str | None = None

    def location(self) -> str:
        parts = []
        if self.source:
            parts.append(self.source)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts) or "submission"


@dataclass
class Report:
    """Everything the validator found in one submission."""

    source: str
    standard_version: str | None = None
    period: str | None = None
    max_per_rule: int = 1000
    problems: list[Problem] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)  # (severity, rule) -> total found
    rows: dict[str, int] = field(default_factory=dict)  # entity -> data rows read
    unreadable: bool = False

    def add(self, problem: Problem) -> None:
        key = (problem.severity, problem.rule)
        self.counts[key] += 1
        if self.counts[key] <= self.max_per_rule:
            self.problems.append(problem)

    def add_count(self, severity: str, rule: str, extra: int) -> None:
        """Count problems found beyond those that were materialised as ``Problem``s."""
        self.counts[(severity, rule)] += extra

    def room(self, severity: str, rule: str) -> int:
        """How many more problems of ``rule`` will be listed; beyond that they are only counted.

        Vectorised checks ask first, so they build at most this many ``Problem`` objects
        however many rows fail.
        """
        return max(0, self.max_per_rule - self.counts[(severity, rule)])

    def merge(self, other: Report) -> None:
        """Take in a report made separately (one entity checked in its own thread).

        Problems are added in ``other``'s order, so merging parts in a fixed order gives
        the same report however the threads were scheduled.
        """
        listed: Counter = Counter()
        for problem in other.problems:
            self.add(problem)
            listed[(problem.severity, problem.rule)] += 1
        for (severity, rule), total in other.counts.items():
            if total > listed[(severity, rule)]:
                self.add_count(severity, rule, total - listed[(severity, rule)])
        self.rows.update(other.rows)
        self.unreadable = self.unreadable or other.unreadable

    @property
    def error_count(self) -> int:
        return sum(n for (sev, _), n in self.counts.items() if sev == "error")

    @property
    def warning_count(self) -> int:
        return sum(n for (sev, _), n in self.counts.items() if sev == "warning")

    @property
    def valid(self) -> bool:
        return not self.unreadable and self.error_count == 0

    @property
    def exit_code(self) -> int:
        if self.unreadable:
            return EXIT_UNREADABLE
        return EXIT_VALID if self.valid else EXIT_INVALID

    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def to_dict(self) -> dict[str, Any]:
        """The stable machine-readable form documented in docs/reference/validation-report.md."""
        by_rule = {}
        for (severity, rule), n in sorted(self.counts.items()):
            shown = min(n, self.max_per_rule)
            by_rule[rule] = {"severity": severity, "count": n, "listed": shown}
        return {
            "report_format": REPORT_FORMAT_VERSION,
            "source": self.source,
            "standard_version": self.standard_version,
            "period": self.period,
            "valid": self.valid,
            "readable": not self.unreadable,
            "summary": {
                "errors": self.error_count,
                "warnings": self.warning_count,
                "rows": dict(self.rows),
                "by_rule": by_rule,
            },
            "problems": [asdict(p) for p in self.problems],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def render_text(self, first: int = 5) -> str:
        """A readable report: a summary, then the first ``first`` problems of each rule."""
        lines = [f"Validation report for {self.source}"]
        if self.standard_version:
            lines.append(f"Standard version {self.standard_version}")
        if self.rows:
            counts = ", ".join(f"{entity} {n:,}" for entity, n in self.rows.items())
            lines.append(f"Rows read: {counts}")
        if self.unreadable:
            verdict = "COULD NOT BE READ"
        elif self.valid:
            verdict = "VALID"
        else:
            verdict = "NOT VALID"
        lines.append(f"{verdict}: {self.error_count:,} error(s), {self.warning_count:,} warning(s)")
        groups: dict[tuple[str, str], list[Problem]] = {}
        for p in self.problems:
            groups.setdefault((p.severity, p.rule), []).append(p)
        order = sorted(groups, key=lambda k: (k[0] != "error", k[1]))
        for key in order:
            severity, rule = key
            problems = groups[key]
            total = self.counts[key]
            lines.append("")
            lines.append(f"{severity.upper()} [{rule}] x{total:,}: {problems[0].hint}")
            for p in problems[:first]:
                lines.append(f"  - {p.location()}: {p.message}")
            if total > first:
                lines.append(f"  ... and {total - first:,} more")
        return "\n".join(lines)
