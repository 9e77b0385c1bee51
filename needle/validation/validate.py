"""Validate a submission end to end: read it, pick the standard, check each entity, then
check across entities.

Problems in the partner's files become entries in the report, never exceptions: a
submission that cannot be read gives a report that says why (exit status 2). Exceptions
escaping from here are bugs in Needle.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from needle.periods import Period
from needle.standard.model import Standard, available_versions, load_standard, normalise_token
from needle.validation.checks import check_table
from needle.validation.emit import Reporter, add_file_problem
from needle.validation.headers import match_headers
from needle.validation.limits import Limits
from needle.validation.raw import FileProblem, Member, RawSubmission
from needle.validation.reader import NOTES_FOR_PEOPLE, read_submission
from needle.validation.report import Report
from needle.validation.rules import Context
from needle.validation.submission import Loaded, check_submission


@dataclass
class ValidatedSubmission:
    """The report and the typed tables, for stages that go on to pseudonymise and pool.

    ``tables`` maps each entity found to a DataFrame with the standard's column names and
    types (codes as codes, dates as ``pl.Date``, integers as ``Int64``, ``codes`` columns
    as lists) and ``_row``, the row the partner sees. Cells that broke a rule are null.
    Check ``report.valid`` before using them.
    """

    report: Report
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    standard: Standard | None = None
    sources: dict[str, str] = field(default_factory=dict)  # entity -> sheet or file


def validate_path(
    path: str | Path,
    *,
    period: Period | None = None,
    standard_version: str | None = None,
    standard: Standard | None = None,
    limits: Limits | None = None,
    max_per_rule: int = 1000,
    today: date | None = None,
) -> Report:
    """Validate the submission at ``path`` (workbook, zip or folder of CSVs, or one CSV)."""
    return load_submission(
        path,
        period=period,
        standard_version=standard_version,
        standard=standard,
        limits=limits,
        max_per_rule=max_per_rule,
        today=today,
    ).report


def load_submission(
    path: str | Path,
    *,
    period: Period | None = None,
    standard_version: str | None = None,
    standard: Standard | None = None,
    limits: Limits | None = None,
    max_per_rule: int = 1000,
    today: date | None = None,
) -> ValidatedSubmission:
    """Validate the submission at ``path`` and keep its typed tables.

    The standard is ``standard`` if given, else ``standard_version``, else the version the
    submission states, else the current one. ``today`` exists for tests: dates after it
    are in the future.
    """
    path = Path(path)
    limits = limits or Limits()
    today = today or date.today()
    report = Report(
        source=str(path), period=period.label if period else None, max_per_rule=max_per_rule
    )
    try:
        raw = read_submission(path, limits)
    except FileProblem as exc:
        fallback = standard or load_standard()
        add_file_problem(report, fallback, exc.rule, exc.message, exc.source)
        return ValidatedSubmission(report=report, standard=standard)

    chosen = standard or _choose_standard(standard_version or raw.stated_version, report)
    if chosen is None:
        return ValidatedSubmission(report=report)
    report.standard_version = chosen.version
    out = Reporter(report, chosen)

    members = _assign_members(raw, chosen, out)

    def check_entity(item: tuple[str, Member]) -> tuple[str, Loaded | None, Report]:
        name, member = item
        part = Report(source=report.source, max_per_rule=max_per_rule)
        result = _load_entity(member, name, chosen, Reporter(part, chosen), limits, today, period)
        return name, result, part

    # Entities are independent until the cross-entity checks: check them side by side
    # (Polars releases the GIL), biggest first so the longest one is not started last,
    # then merge their reports in the standard's order.
    workers = max(1, min(len(members), os.cpu_count() or 1, 4))
    biggest = sorted(members.items(), key=lambda item: -item[1].size)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        done = {name: (result, part) for name, result, part in pool.map(check_entity, biggest)}
    loaded: dict[str, Loaded] = {}
    for entity_name in members:
        result, part = done[entity_name]
        report.merge(part)
        if result is not None:
            loaded[entity_name] = result
            report.rows[entity_name] = result.typed.height
    check_submission(loaded, chosen, out)
    _sort_problems(report, chosen)
    return ValidatedSubmission(
        report=report,
        tables={name: item.typed for name, item in loaded.items()},
        standard=chosen,
        sources={name: item.source for name, item in loaded.items()},
    )


def _choose_standard(version: str | None, report: Report) -> Standard | None:
    if version is None or version in available_versions():
        return load_standard(version)
    current = load_standard()
    known = ", ".join(available_versions())
    add_file_problem(
        report,
        current,
        "standard_version",
        f"The submission uses standard version {version!r}, which this Needle does not "
        f"know (it knows {known}).",
        None,
    )
    return None


def _assign_members(raw: RawSubmission, standard: Standard, out: Reporter) -> dict[str, Member]:
    """Entity -> the sheet or file holding it, in the standard's order; report the rest."""
    found: dict[str, Member] = {}
    for member in raw.members:
        key = normalise_token(member.name)
        if key in standard.entities and member.load is not None:
            if key in found:
                out.add(
                    "sheet_duplicate",
                    f"{member.source} holds {key} again (already read from "
                    f"{found[key].source}); Needle read only the first.",
                    entity=key,
                    source=member.source,
                )
                continue
            found[key] = member
        elif key in NOTES_FOR_PEOPLE or key.startswith("readme") or member.hidden:
            continue
        else:
            if _is_blank_sheet(raw, member):
                continue
            kind = "sheet" if raw.kind == "xlsx" else "file"
            reason = (
                "Needle reads only CSV files in a zip or folder"
                if member.load is None and key in standard.entities
                else "its name is not an entity of the standard"
            )
            out.add(
                "sheet_unknown",
                f"Needle ignored the {kind} {member.source!r}: {reason}.",
                source=member.source,
            )
    if not found:
        out.add(
            "submission_empty",
            "Needle found no sheet or file named after an entity of the standard.",
        )
    return {name: found[name] for name in standard.entities if name in found}


def _is_blank_sheet(raw: RawSubmission, member: Member) -> bool:
    """Excel's empty "Sheet2" is not worth a warning (workbook sheets are already read)."""
    if raw.kind != "xlsx" or member.load is None:
        return False
    table = member.load()
    return not table.height and not any(h and h.strip() for h in table.headers)


def _load_entity(
    member: Member,
    entity_name: str,
    standard: Standard,
    out: Reporter,
    limits: Limits,
    today: date,
    period: Period | None,
) -> Loaded | None:
    assert member.load is not None
    try:
        table = member.load()
    except FileProblem as exc:
        add_file_problem(
            out.report, standard, exc.rule, exc.message, exc.source or member.source, entity_name
        )
        return None
    for rule, message in table.notes:
        add_file_problem(out.report, standard, rule, message, table.source, entity_name)
    entity = standard.entities[entity_name]
    columns = match_headers(table, entity, out)
    ctx = Context(standard=standard, entity=entity, columns=columns, today=today, period=period)
    typed = check_table(table, ctx, out)
    return Loaded(typed=typed, source=table.source, present=frozenset(columns.positions))


def _sort_problems(report: Report, standard: Standard) -> None:
    """Whole-file problems first, then by entity in the standard's order, row and column."""
    order = {name: i for i, name in enumerate(standard.entities)}
    report.problems.sort(
        key=lambda p: (
            p.entity is not None,
            order.get(p.entity or "", -1),
            p.source or "",
            p.row or 0,
            p.column or "",
        )
    )
