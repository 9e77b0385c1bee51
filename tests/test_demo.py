"""The demo end to end: the issue's definition of done for the foundation.

Every clean submission of the synthetic initiative validates with no problem at all and is
pooled; every messy one is rejected reporting exactly the problems planted in it.
"""

import json
import re

import pytest
from click.testing import CliRunner

from needle.cli import main


@pytest.mark.slow
def test_demo_validates_every_submission_as_planned(tmp_path):
    result = CliRunner().invoke(main, ["demo", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "All as planned." in result.output
    manifest = json.loads((tmp_path / "initiative" / "initiative.json").read_text())
    kinds = [s["kind"] for s in manifest["submissions"]]
    assert kinds.count("clean") >= 80 and kinds.count("messy") >= 8
    reports = list((tmp_path / "reports").rglob("*.json"))
    assert len(reports) == len(kinds)
    messy = [json.loads(p.read_text()) for p in reports if "_messy" in p.name]
    assert messy and all(not r["valid"] for r in messy)
    clean = kinds.count("clean")
    assert f"{clean} accepted" in result.output
    assert f"submissions: {clean} accepted, {len(messy)} invalid" in result.output
    # The indicators: headlines printed, consistent with the pool, HTML summaries written.
    recorded = re.search(r"([\d,]+) young people as recorded by partners", result.output)
    reached = re.search(
        r"Young people reached\s+\S+: [\d,]+\s+all periods: ([\d,]+)", result.output
    )
    linked = re.search(r"Linked ([\d,]+) record\(s\) into ([\d,]+) young people", result.output)
    assert recorded and reached and linked, result.output

    def number(text: str) -> int:
        return int(text.replace(",", ""))

    # Linked: a young person known to several partners counts once, so fewer are reached
    # than partners recorded; the truth is in the synthetic initiative's ground truth.
    truth = (tmp_path / "initiative" / "ground_truth" / "person_records.csv").read_text()
    true_people = len({line.rsplit(",", 1)[1] for line in truth.splitlines()[1:]})
    assert number(reached.group(1)) <= number(linked.group(2)) < number(recorded.group(1))
    assert true_people <= number(linked.group(2))
    assert "Change in wellbeing (SWEMWBS)" in result.output
    for audience in ("steering-group", "public"):
        page = (tmp_path / f"summary-{audience}.html").read_text(encoding="utf-8")
        assert page.startswith("<!DOCTYPE html>") and "<h1>" in page
        assert 'src="http' not in page and 'href="http' not in page
