"""Messy submissions: their expected problems are well formed and are what the validator says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from needle.periods import parse_period
from needle.standard import load_standard

REQUIRED_RULES = {
    "column_unknown", "column_missing", "required", "type_integer", "type_date",
    "date_ambiguous", "dob_future", "code_unknown", "postcode_format", "duplicate_key",
    "duplicate_row", "reference_missing", "end_before_start", "min_above_max",
    "instrument_items", "period_outside", "range", "cell_formula", "file_delimiter",
    "file_encoding_legacy", "sheet_unknown",
}  # fmt: skip
FIELDS = {"rule", "severity", "entity", "row", "column"}
# Problems about a whole CSV file: the validator may not name the entity yet (see report).


def _messy(initiative, manifest) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    out, _ = initiative
    return [
        (entry, json.loads((out / entry["expected"]).read_text(encoding="utf-8")))
        for entry in manifest["submissions"]
        if entry["kind"] == "messy"
    ]


def test_expected_problems_name_real_rules_entities_and_columns(initiative, manifest):
    standard = load_standard()
    messy = _messy(initiative, manifest)
    assert 8 <= len(messy) <= 10
    covered = set()
    for entry, problems in messy:
        assert problems, entry
        for p in problems:
            assert set(p) >= FIELDS, p
            rule = standard.rules[p["rule"]]
            assert p["severity"] == rule.severity
            covered.add(p["rule"])
            if p["entity"] is not None:
                entity = standard.entities[p["entity"]]
                if p["column"] is not None and p["rule"] != "column_unknown":
                    assert p["column"] in entity.columns, p
                    if p["rule"] == "duplicate_key":
                        assert (p["column"],) == entity.primary_key
            else:
                assert p["rule"] == "sheet_unknown" and p["source"]
            assert p["row"] is None or p["row"] >= 1
    assert covered >= REQUIRED_RULES


def test_messy_copies_sit_beside_their_corrected_version(initiative, manifest):
    for entry, _ in _messy(initiative, manifest):
        messy, corrected = Path(entry["path"]), Path(entry["corrected"])
        assert messy.parent == corrected.parent
        assert messy.name.startswith(corrected.stem.split(".")[0] + "_messy")


@pytest.fixture(scope="module")
def validate():
    validation = pytest.importorskip("needle.validation")
    return validation.validate_path


def _got(report) -> list[dict[str, Any]]:
    return [
        {"rule": p.rule, "severity": p.severity, "entity": p.entity, "row": p.row,
         "column": p.column, "source": p.source}
        for p in report.problems
    ]  # fmt: skip


def _same(got: dict[str, Any], want: dict[str, Any]) -> bool:
    if any(got[k] != want[k] for k in ("rule", "severity", "row", "column")):
        return False
    if want["rule"] == "sheet_unknown" and got["source"] != want["source"]:
        return False
    return got["entity"] == want["entity"]


def test_the_validator_reports_exactly_the_planted_problems(initiative, manifest, validate):
    out, _ = initiative
    for entry, expected in _messy(initiative, manifest):
        report = validate(out / entry["path"], period=parse_period(entry["period"]))
        got = _got(report)
        assert report.error_count + report.warning_count == len(got) == len(expected), (
            entry["path"], got, expected,
        )  # fmt: skip
        for want in expected:
            match = [g for g in got if _same(g, want)]
            assert match, (entry["path"], want, got)


def test_clean_and_corrected_submissions_have_no_problems_at_all(initiative, manifest, validate):
    """One clean submission per partner, and every corrected twin of a messy one."""
    out, _ = initiative
    chosen: dict[str, dict[str, Any]] = {}
    for entry in manifest["submissions"]:
        if entry["kind"] == "clean":
            chosen.setdefault(entry["org"], entry)
    paths = [(e["path"], e["period"]) for e in chosen.values()]
    paths += [(e["corrected"], e["period"]) for e, _ in _messy(initiative, manifest)]
    for path, period in paths:
        report = validate(out / path, period=parse_period(period))
        assert _got(report) == [], path
