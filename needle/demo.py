"""The demo: a synthetic initiative, every submission validated, a summary a person can read.

It is also the end-to-end check of the foundation: the synthetic generator plants known
problems in some submissions, and the demo shows whether the validator found each of them
and nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from needle.periods import parse_period
from needle.validation import validate_path
from needle.validation.report import Report

ProblemKey = tuple[str, str | None, int | None, str | None]  # rule, entity, row, column


def problem_keys(report: Report) -> set[ProblemKey]:
    return {(p.rule, p.entity, p.row, p.column) for p in report.problems}


def expected_keys(expected: list[dict[str, Any]]) -> set[ProblemKey]:
    return {(e["rule"], e.get("entity"), e.get("row"), e.get("column")) for e in expected}


@dataclass
class Checked:
    """One submission of the synthetic initiative, validated and compared with its plan."""

    org: str
    period: str
    path: str
    kind: str  # clean or messy
    report: Report
    missing: set[ProblemKey] = field(default_factory=set)  # planted, not reported
    unexpected: set[ProblemKey] = field(default_factory=set)  # reported, not planted

    @property
    def as_planned(self) -> bool:
        if self.kind == "clean":
            return not self.report.problems and self.report.valid
        return not self.missing and not self.unexpected


def check_initiative(initiative: Path, reports: Path | None = None) -> list[Checked]:
    """Validate every submission listed in ``initiative.json`` and compare with the plan.

    Clean submissions must have no problem at all; messy ones exactly the planted problems.
    """
    manifest = json.loads((initiative / "initiative.json").read_text(encoding="utf-8"))
    results = []
    for entry in manifest["submissions"]:
        report = validate_path(initiative / entry["path"], period=parse_period(entry["period"]))
        checked = Checked(entry["org"], entry["period"], entry["path"], entry["kind"], report)
        if entry["kind"] == "messy":
            planned = json.loads((initiative / entry["expected"]).read_text(encoding="utf-8"))
            found, wanted = problem_keys(report), expected_keys(planned)
            checked.missing, checked.unexpected = wanted - found, found - wanted
        if reports is not None:
            _write_report(reports, entry, report)
        results.append(checked)
    return results


def _write_report(reports: Path, entry: dict[str, Any], report: Report) -> None:
    name = Path(entry["path"]).name.split(".")[0]
    folder = reports / entry["org"]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(report.to_json() + "\n", encoding="utf-8")
    (folder / f"{name}.txt").write_text(report.render_text() + "\n", encoding="utf-8")


def run_demo(workdir: Path, *, seed: int = 2026, echo: Callable[[str], None] = print) -> bool:
    """Build the synthetic initiative (once per seed), validate everything, print a summary."""
    from needle.synth import generate

    initiative = workdir / "initiative"
    manifest = initiative / "initiative.json"
    if not manifest.exists() or json.loads(manifest.read_text())["seed"] != seed:
        echo(f"Building the synthetic initiative in {initiative} (seed {seed}) ...")
        echo(generate(initiative, seed=seed).describe())
    else:
        echo(f"Using the synthetic initiative already in {initiative}.")

    reports = workdir / "reports"
    echo(f"\nValidating every submission; reports go to {reports}/ ...")
    results = check_initiative(initiative, reports)
    echo(summarise(results))
    return all(r.as_planned for r in results)


def summarise(results: list[Checked]) -> str:
    clean = [r for r in results if r.kind == "clean"]
    messy = [r for r in results if r.kind == "messy"]
    rows = sum(sum(r.report.rows.values()) for r in clean)
    lines = [
        "",
        f"{len(clean)} submissions from {len({r.org for r in clean})} partners, "
        f"{rows:,} rows: {sum(r.report.valid for r in clean)} valid.",
    ]
    for r in clean:
        if not r.as_planned:
            lines.append(
                f"  UNEXPECTED: {r.path} has {r.report.error_count} error(s) and "
                f"{r.report.warning_count} warning(s)"
            )
    lines.append(f"\n{len(messy)} deliberately messy submissions:")
    for r in messy:
        verdict = "rejected" if not r.report.valid else "accepted (warnings only)"
        planted = len(expected_keys_from(r))
        status = "every planted problem found" if r.as_planned else "MISMATCH"
        lines.append(
            f"  {r.org:<8} {r.period}  {verdict:<24} {r.report.error_count} error(s), "
            f"{r.report.warning_count} warning(s); {status} ({planted} planted)"
        )
        lines += [f"    missed:     {k}" for k in sorted(r.missing, key=str)]
        lines += [f"    unexpected: {k}" for k in sorted(r.unexpected, key=str)]
    ok = all(r.as_planned for r in results)
    lines.append("\nAll as planned." if ok else "\nSome submissions did not validate as planned.")
    return "\n".join(lines)


def expected_keys_from(checked: Checked) -> set[ProblemKey]:
    return (problem_keys(checked.report) - checked.unexpected) | checked.missing
