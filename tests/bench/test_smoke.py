"""Benchmarks are not timed in CI; this only proves each one still runs end to end."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[2] / "bench"


@pytest.mark.slow
def test_validate_benchmark_runs(tmp_path):
    out = tmp_path / "figures.json"
    subprocess.run(
        [sys.executable, str(BENCH / "validate.py"), "--smoke", "--json", str(out)],
        check=True,
        capture_output=True,
    )
    figures = json.loads(out.read_text())
    assert figures["needle_valid"] is True
    assert figures["rows"] > 5_000
    assert figures["needle_seconds"] > 0 and figures["frictionless_attendance_seconds"] > 0


@pytest.mark.slow
def test_ingest_benchmark_runs(tmp_path):
    out = tmp_path / "figures.json"
    subprocess.run(
        [sys.executable, str(BENCH / "ingest.py"), "--smoke", "--json", str(out)],
        check=True,
        capture_output=True,
    )
    figures = json.loads(out.read_text())
    assert figures["accepted"] is True
    assert figures["rows"] > 5_000 and figures["ingest_seconds"] > 0


@pytest.mark.slow
def test_indicators_benchmark_runs(tmp_path):
    out = tmp_path / "figures.json"
    subprocess.run(
        [sys.executable, str(BENCH / "indicators.py"), "--smoke", "--cache", str(tmp_path),
         "--json", str(out)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    figures = json.loads(out.read_text())
    assert figures["numbers_agree"] is True
    assert figures["rows"]["attendance"] == 50_000
    assert figures["incremental_read_again"] == 1
    assert figures["full_seconds"] > 0 and figures["floor_seconds"] > 0


@pytest.mark.slow
def test_web_benchmark_runs(tmp_path):
    out = tmp_path / "figures.json"
    # wrk where it is installed (as on CI); the small Python client where it is not.
    client = "wrk" if shutil.which("wrk") else "python"
    subprocess.run(
        [sys.executable, str(BENCH / "web.py"), "--smoke", "--client", client, "--cache",
         str(tmp_path), "--json", str(out)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    figures = json.loads(out.read_text())
    for name in ("trivial", "trivial_signed_in", "public", "steering", "dashboard"):
        page = figures["pages"][name]
        assert page["requests"] > 0 and page["errors"]["total"] == 0, name
        assert 0 < page["p50_ms"] <= page["p95_ms"] <= page["p99_ms"], name
    assert figures["dashboard_over_floor_p95"] > 0
    assert figures["profile"]["results_rows"] > 0
    assert figures["profile"]["render_ms"] > 0 and figures["profile"]["read_ms"] > 0


@pytest.mark.slow
def test_linkage_benchmark_runs(tmp_path):
    out = tmp_path / "figures.json"
    subprocess.run(
        [sys.executable, str(BENCH / "linkage.py"), "--smoke", "--json", str(out)],
        check=True,
        capture_output=True,
    )
    figures = json.loads(out.read_text())
    assert figures["dataset"] == "synthetic (smoke)" and figures["true_links"] > 300
    assert figures["needle"]["f1"] > 0.9  # twins and heavy errors included
    assert figures["needle"]["link_seconds"] > 0 and figures["splink_plaintext"]["f1"] > 0


@pytest.mark.slow
def test_linkage_truth_benchmark_runs(tmp_path):
    out = tmp_path / "figures.json"
    subprocess.run(
        [sys.executable, str(BENCH / "linkage_truth.py"), "--smoke", "--cache", str(tmp_path),
         "--json", str(out)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    scale = json.loads(out.read_text())["scale"]
    assert scale["records"] == 5_000 and scale["partners"] == 200
    assert scale["true_people"] < scale["records"]  # duplicates across partners
    for side in ("needle", "splink"):
        assert scale[side]["finished"] and scale[side]["peak_rss_mb"] > 0, side
        assert scale[side]["accuracy"]["precision"] > 0.8, side
        assert scale[side]["accuracy"]["true_pairs"] > 1_000, side
    assert scale["privacy"]["encoded_rows"] > 4_000
    assert scale["privacy"]["worst"]["share"] <= 0.01
