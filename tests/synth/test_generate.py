"""The synthetic initiative: reproducible, the right size, with a manifest and ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner
from synth_helpers import SCALE, SEED

from needle.cli import main
from needle.synth import SynthSummary, generate


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_same_seed_gives_byte_identical_files(initiative, tmp_path: Path):
    first, _ = initiative
    again = tmp_path / "again"
    generate(again, seed=SEED, scale=SCALE)
    a, b = _files(first), _files(again)
    assert a.keys() == b.keys()
    different = [name for name in a if a[name] != b[name]]
    assert different == []


def test_counts_are_in_the_right_ballpark(initiative):
    _, summary = initiative
    assert summary.organisations == 12
    assert summary.submissions == 12 * 8 - 2  # the outdoor partner joins in the third quarter
    assert 8 <= summary.messy_submissions <= 10
    people = 4000 * SCALE
    assert 0.9 * people <= summary.young_people <= 1.02 * people
    assert summary.young_people < summary.records < 2 * summary.young_people
    assert summary.attendance > 5 * summary.young_people
    assert summary.sessions > summary.attendance / 40
    assert summary.measurements > 0 and summary.referrals > 0 and summary.milestones > 0


def test_summary_describes_itself(initiative):
    _, summary = initiative
    text = summary.describe()
    assert f"{summary.attendance:,}" in text and "Synthetic" in text


def test_manifest_lists_partners_periods_and_every_submission(initiative, manifest):
    out, summary = initiative
    assert manifest["synthetic"] is True
    assert manifest["periods"][0] == "2024-Q4" and manifest["periods"][-1] == "2026-Q3"
    assert len(manifest["periods"]) == 8
    codes = {p["code"] for p in manifest["partners"]}
    assert {"TYC", "DETACH", "MENTOR", "EARLYHELP"} <= codes and len(codes) == 12
    formats = {p["format"] for p in manifest["partners"]}
    assert formats == {"xlsx", "zip", "folder"}
    clean = [s for s in manifest["submissions"] if s["kind"] == "clean"]
    messy = [s for s in manifest["submissions"] if s["kind"] == "messy"]
    assert len(clean) == summary.submissions and len(messy) == summary.messy_submissions
    for entry in manifest["submissions"]:
        assert (out / entry["path"]).exists(), entry
        assert entry["period"] in manifest["periods"] and entry["org"] in codes
    for entry in messy:
        assert (out / entry["expected"]).is_file()
        assert (out / entry["corrected"]).exists()
        assert Path(entry["corrected"]).parent == Path(entry["path"]).parent


def test_partners_send_what_they_said_they_would(initiative, manifest):
    out, _ = initiative
    fmt = {p["code"]: p["format"] for p in manifest["partners"]}
    for entry in manifest["submissions"]:
        path = out / entry["path"]
        expected = {"xlsx": ".xlsx", "zip": ".zip", "folder": ""}[fmt[entry["org"]]]
        assert path.suffix == expected
        if fmt[entry["org"]] == "folder":
            assert path.is_dir() and (path / "attendance.csv").is_file()


def test_every_young_person_in_a_submission_is_in_the_ground_truth(initiative, clean_tables):
    out, _ = initiative
    truth = pl.read_csv(out / "ground_truth/person_records.csv")
    assert truth["true_person_id"].null_count() == 0
    known = set(truth.select("org", "period", "person_ref").iter_rows())
    for entry, tables in clean_tables:
        for ref in tables["young_people"]["person_ref"]:
            assert (entry["org"], entry["period"], ref) in known
    people = pl.read_csv(out / "ground_truth/people.csv")
    assert set(truth["true_person_id"]) == set(people["true_person_id"])


def test_ground_truth_is_never_inside_a_submission(initiative, clean_tables):
    out, _ = initiative
    ids = set(pl.read_csv(out / "ground_truth/people.csv")["true_person_id"])
    for _, tables in clean_tables:
        for table in tables.values():
            assert "true_person_id" not in table.columns
            for column in table.columns:
                assert not ids & set(table[column].drop_nulls().to_list())
    assert not any((out / "submissions").rglob("*ground*"))


def test_references_hold_within_each_submission(clean_tables):
    for entry, t in clean_tables:
        people = set(t["young_people"]["person_ref"])
        sessions = set(t["sessions"]["session_ref"])
        provisions = set(t["provisions"]["provision_ref"])
        assert set(t["attendance"]["session_ref"]) <= sessions, entry
        assert set(t["sessions"]["provision_ref"]) <= provisions, entry
        for name in ("attendance", "measurements", "referrals", "milestones"):
            if name in t:
                assert set(t[name]["person_ref"]) <= people, (entry, name)
        assert t["young_people"]["person_ref"].is_unique().all(), entry


def test_consent_is_mostly_yes(clean_tables):
    tables = [t["young_people"] for _, t in clean_tables]
    values = pl.concat([t.select("consent_to_share") for t in tables if "consent_to_share" in t])
    share_no = (values["consent_to_share"].str.to_lowercase() == "no").mean()
    assert 0.02 < share_no < 0.1


def test_the_command_prints_the_summary_and_another_seed_gives_other_people(
    initiative, tmp_path: Path
):
    first, _ = initiative
    other = tmp_path / "cli"
    args = ["synth", str(other), "--seed", str(SEED + 1), "--scale", "0.05"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "attendance rows" in result.output
    a = pl.read_csv(first / "ground_truth/people.csv")
    b = pl.read_csv(other / "ground_truth/people.csv")
    assert a.head(20)["family_name"].to_list() != b.head(20)["family_name"].to_list()


def _summary_fields() -> set[str]:
    return set(SynthSummary.__dataclass_fields__)


@pytest.mark.parametrize(
    "field", ["organisations", "submissions", "messy_submissions", "young_people", "records",
              "sessions", "attendance", "measurements"],
)  # fmt: skip
def test_summary_has_the_counts_benchmarks_need(field: str, initiative: Any):
    _, summary = initiative
    assert field in _summary_fields()
    assert getattr(summary, field) > 0
