"""Benchmark: the whole ingest (validate, pseudonymise, pool) against validation alone.

Why: the pool must not make submitting slow. Target: end to end at most 3x validation
alone, measured in the same run, under 2 GB peak memory.

    .venv/bin/python bench/ingest.py                 # 100k people, 1M attendance
    .venv/bin/python bench/ingest.py --smoke         # tiny, for CI

Each end-to-end run uses a fresh initiative home (an identical re-send would be recognised
and skipped), so every run really validates, encodes and writes. Peak memory is measured
in a fresh child process doing one end-to-end ingest.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from validate import PERIOD, child_peak_memory_mb, make_submission, timed

from needle.initiative import InitiativeConfig, PartnerConfig, PeriodsConfig

CONFIG = InitiativeConfig(
    name="Benchmark initiative",
    periods=PeriodsConfig(first="2024-Q4", frequency="quarter"),
    partners=(PartnerConfig("BIG", "A very large partner"),),
)


def validate_only(folder: Path):
    from needle.periods import parse_period
    from needle.validation import validate_path

    return validate_path(folder, period=parse_period(PERIOD))


def ingest_once(folder: Path, workdir: Path):
    """Init a fresh home (not timed), then validate + pseudonymise + pool (timed)."""
    from needle.ingest import submit_path
    from needle.initiative import init_home, open_home
    from needle.periods import parse_period

    home_dir = Path(tempfile.mkdtemp(dir=workdir))
    init_home(home_dir / "home", CONFIG)
    home = open_home(home_dir / "home")
    secret, reference = home.linkage_secret(), home.open_reference()
    with home.open_pool() as pool:
        start = time.perf_counter()
        result = submit_path(
            pool, folder, org="BIG", period=parse_period(PERIOD), secret=secret, reference=reference
        )
        seconds = time.perf_counter() - start
    return seconds, result.submission


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--attendance", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        ingest_once(args.child, args.workdir)
        return {}
    if args.smoke:
        args.people, args.attendance, args.repeat = 500, 5_000, 1

    folder = make_submission(args.people, args.attendance, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        t_validate, report = timed(lambda: validate_only(folder), args.repeat)
        runs = [ingest_once(folder, workdir) for _ in range(args.repeat)]
        t_ingest = min(seconds for seconds, _ in runs)
        submission = runs[0][1]
        peak_mb = child_peak_memory_mb(__file__, str(folder), "--workdir", str(workdir))
    rows = submission.total_rows
    figures = {
        "rows": rows,
        "validate_seconds": t_validate,
        "ingest_seconds": t_ingest,
        "ingest_rows_per_second": rows / t_ingest,
        "ingest_over_validate": t_ingest / t_validate,
        "ingest_peak_mb": peak_mb,
        "accepted": submission.state == "accepted",
    }
    print(f"Submission: {folder} ({rows:,} rows), valid={report.valid}, {submission.state}")
    for label, value in [
        ("validation alone", f"{t_validate:8.2f} s"),
        ("validate + pseudonymise + pool", f"{t_ingest:8.2f} s ({rows / t_ingest:,.0f} rows/s)"),
        ("ingest / validation", f"{t_ingest / t_validate:8.1f} x (target <= 3)"),
        ("ingest peak memory, child process", f"{peak_mb:8.0f} MB (target < 2048)"),
    ]:
        print(f"  {label:<34}: {value}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return figures


if __name__ == "__main__":
    main()
