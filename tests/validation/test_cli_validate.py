"""`needle validate`: exit status 0 valid, 1 invalid, 2 unreadable; text or JSON."""

from __future__ import annotations

import json

from click.testing import CliRunner
from submission_builders import write_folder

from needle.cli import main


def _run(*args: str):
    return CliRunner().invoke(main, ["validate", *map(str, args)])


def test_valid_submission_exits_0(rows, tmp_path):
    folder = write_folder(tmp_path / "s", rows)
    result = _run(folder, "--period", "2025-Q1")
    assert result.exit_code == 0, result.output
    assert "VALID: 0 error(s), 0 warning(s)" in result.output


def test_invalid_submission_exits_1_with_locations(rows, tmp_path):
    rows["sessions"][1]["duration_minutes"] = "lots"
    result = _run(write_folder(tmp_path / "s", rows), "--period", "2025-Q1")
    assert result.exit_code == 1
    assert "ERROR [type_integer] x1" in result.output
    assert "sessions.csv, row 3, column duration_minutes: 'lots'" in result.output


def test_unreadable_submission_exits_2(tmp_path):
    path = tmp_path / "attendance.csv"
    path.write_bytes(b"")
    result = _run(path)
    assert result.exit_code == 2
    assert "COULD NOT BE READ" in result.output
    assert "Traceback" not in result.output


def test_json_format_and_output_file(rows, tmp_path):
    rows["attendance"][0]["person_ref"] = "YP-404"
    out = tmp_path / "report.json"
    result = _run(write_folder(tmp_path / "s", rows), "--format", "json", "-o", out)
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data == json.loads(out.read_text(encoding="utf-8"))
    assert data["valid"] is False and data["readable"] is True
    assert data["summary"]["by_rule"]["reference_missing"]["count"] == 1
    (problem,) = [p for p in data["problems"] if p["rule"] == "reference_missing"]
    assert problem["entity"] == "attendance" and problem["row"] == 2
    assert problem["column"] == "person_ref" and problem["source"] == "attendance.csv"
