"""The demo: a synthetic initiative, every submission sent to the pool, a readable summary.

It is also an end-to-end check: the synthetic generator plants known problems in some
submissions, and the demo shows whether the validator found each of them and nothing else,
and that exactly the clean submissions were pooled.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from needle.periods import parse_period
from needle.standard import load_standard

ProblemKey = tuple[str, str | None, int | None, str | None]  # rule, entity, row, column


def problem_keys(report: dict[str, Any]) -> set[ProblemKey]:
    return {(p["rule"], p["entity"], p["row"], p["column"]) for p in report["problems"]}


@dataclass
class Checked:
    """One submission of the synthetic initiative, as the pool received it, against its plan."""

    org: str
    period: str
    path: str
    kind: str  # clean or messy
    state: str  # the pool's verdict: accepted or invalid
    report: dict[str, Any]
    planted: set[ProblemKey] = field(default_factory=set)

    @property
    def missing(self) -> set[ProblemKey]:
        return self.planted - problem_keys(self.report)

    @property
    def unexpected(self) -> set[ProblemKey]:
        return problem_keys(self.report) - self.planted

    @property
    def as_planned(self) -> bool:
        if self.kind == "clean":
            return self.state == "accepted" and not self.report["problems"]
        return self.state == "invalid" and not self.missing and not self.unexpected


def run_demo(workdir: Path, *, seed: int = 2026, echo: Callable[[str], None] = print) -> bool:
    """Build the synthetic initiative (once per seed) and a fresh home, submit everything."""
    from needle.synth import generate

    initiative = workdir / "initiative"
    manifest = initiative / "initiative.json"
    if not manifest.exists() or json.loads(manifest.read_text())["seed"] != seed:
        echo(f"Building the synthetic initiative in {initiative} (seed {seed}) ...")
        echo(generate(initiative, seed=seed).describe())
    else:
        echo(f"Using the synthetic initiative already in {initiative}.")
    results, pool_summary = submit_initiative(
        initiative, workdir / "home", workdir / "reports", echo=echo
    )
    echo(summarise(results))
    echo(pool_summary)
    show_indicators(workdir / "home", workdir, echo=echo)
    ok = all(r.as_planned for r in results)
    echo("\nAll as planned." if ok else "\nSome submissions did not go as planned.")
    # Printed last, on a line of its own: bin/demo reads it to serve this home next.
    echo(f"\nDemo home: {(workdir / 'home').resolve()}")
    return ok


def submit_initiative(
    initiative: Path, home_dir: Path, reports: Path, *, echo: Callable[[str], None]
) -> tuple[list[Checked], str]:
    """Create the initiative's home and submit every file in the order partners would.

    Each messy submission goes first and is rejected with its report; its corrected
    version follows and is accepted.
    """
    from needle.ingest import submit_path
    from needle.initiative import init_home, open_home, trafford_demo_config

    if (home_dir / "needle.toml").exists():
        shutil.rmtree(home_dir)  # the demo starts its pool afresh each run
    echo(f"\nCreating the initiative's home in {home_dir} ...")
    init_home(home_dir, trafford_demo_config())
    home = open_home(home_dir)
    manifest = json.loads((initiative / "initiative.json").read_text(encoding="utf-8"))
    order = sorted(
        manifest["submissions"], key=lambda e: (e["period"], e["org"], e["kind"] != "messy")
    )
    secret, reference = home.linkage_secret(), home.open_reference()
    echo(f"Submitting {len(order)} files (validate, pseudonymise, pool); reports in {reports}/")
    results = []
    with home.open_pool() as pool:
        for entry in order:
            result = submit_path(
                pool,
                initiative / entry["path"],
                org=entry["org"],
                period=parse_period(entry["period"]),
                secret=secret,
                reference=reference,
            )
            checked = Checked(
                entry["org"],
                entry["period"],
                entry["path"],
                entry["kind"],
                result.submission.state,
                result.report,
            )
            if entry["kind"] == "messy":
                planned = json.loads((initiative / entry["expected"]).read_text("utf-8"))
                checked.planted = {
                    (e["rule"], e.get("entity"), e.get("row"), e.get("column")) for e in planned
                }
            _write_report(reports, entry, result.report)
            results.append(checked)
        summary = describe_pool(pool)
    return results, summary


def _write_report(reports: Path, entry: dict[str, Any], report: dict[str, Any]) -> None:
    name = Path(entry["path"]).name.split(".")[0]
    folder = reports / entry["org"]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def summarise(results: list[Checked]) -> str:
    clean = [r for r in results if r.kind == "clean"]
    messy = [r for r in results if r.kind == "messy"]
    rows = sum(sum(r.report["summary"]["rows"].values()) for r in clean)
    lines = [
        "",
        f"{len(clean)} submissions from {len({r.org for r in clean})} partners, "
        f"{rows:,} rows: {sum(r.state == 'accepted' for r in clean)} accepted.",
    ]
    for r in clean:
        if not r.as_planned:
            summary = r.report["summary"]
            lines.append(
                f"  UNEXPECTED: {r.path} was {r.state} with {summary['errors']} error(s) and "
                f"{summary['warnings']} warning(s)"
            )
    lines.append(f"\n{len(messy)} deliberately messy submissions, each sent before its fix:")
    for r in messy:
        summary = r.report["summary"]
        status = "every planted problem found" if r.as_planned else "MISMATCH"
        lines.append(
            f"  {r.org:<9} {r.period}  {r.state:<8} {summary['errors']} error(s), "
            f"{summary['warnings']} warning(s); {status} ({len(r.planted)} planted)"
        )
        lines += [f"    missed:     {k}" for k in sorted(r.missing, key=str)]
        lines += [f"    unexpected: {k}" for k in sorted(r.unexpected, key=str)]
    return "\n".join(lines)


def describe_pool(pool) -> str:
    """What the pool holds now: row counts per entity and submissions per state."""
    states: dict[str, int] = {}
    for submission in pool.submissions():
        states[submission.state] = states.get(submission.state, 0) + 1
    lines = ["", "The pool now holds (current versions only):"]
    for entity in load_standard().entities:
        count = pool.read(entity).select(pl.len()).collect().item()
        lines.append(f"  {entity:<14} {count:>8,} rows")
    people = pool.read("young_people").select("org", "person_ref").unique().collect().height
    lines.append(f"  {people:,} young people as recorded by partners (before linking)")
    lines.append("  submissions: " + ", ".join(f"{n} {s}" for s, n in sorted(states.items())))
    lines.append("  No name, date of birth or postcode is stored (docs/guides/pool.md).")
    return "\n".join(lines)


def show_indicators(home_dir: Path, workdir: Path, *, echo: Callable[[str], None]) -> list[Path]:
    """Compute the indicators, print the headlines the steering group sees, show the
    population indicators' curves, and write the HTML summaries."""
    from datetime import UTC, datetime

    from needle.indicators.html import render_summary
    from needle.indicators.population import (
        BUNDLED_TRAFFORD_SERIES,
        curve_summary,
        load_population_series,
        save_population_series,
        turn_the_curve,
    )
    from needle.indicators.refresh import current_run, load_results, refresh, registry_for
    from needle.indicators.summary import format_headlines, headline
    from needle.initiative import open_home
    from needle.linkage import link

    home = open_home(home_dir)
    config = home.config
    series = load_population_series(BUNDLED_TRAFFORD_SERIES, config.population_indicators)
    save_population_series(home.root, series)
    echo("\nLinking young people across partners (keyed encodings only) ...")
    echo(link(home).describe())
    echo("\nComputing the shared indicators ...")
    echo(refresh(home).describe())
    registry = registry_for(home)
    results = load_results(home.root, "steering_group")
    echo(
        f"\nHeadline indicators for the steering group (counts under "
        f"{config.disclosure.steering_group} suppressed):"
    )
    echo(format_headlines(headline(results, registry)))
    if config.population_indicators:
        echo("\nPopulation indicators (illustrative series, not official statistics):")
        for definition in config.population_indicators:
            curve = turn_the_curve(series, definition)
            echo(f"  {definition.title}: {curve_summary(curve, definition)['summary']}")
    run = current_run(home.root)
    provenance = (
        f"Run {run['run_id'][:12]} from {len(run['submissions'])} submission versions; "
        "synthetic data."
    )
    written = []
    for audience in ("steering_group", "public"):
        path = workdir / f"summary-{audience.replace('_', '-')}.html"
        path.write_text(
            render_summary(
                load_results(home.root, audience),
                registry,
                title=f"{config.name}: shared indicators",
                audience=audience,
                generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                provenance=provenance,
                agenda=config.agenda,
                outcomes=config.outcomes,
                curves=[(d, turn_the_curve(series, d)) for d in config.population_indicators],
            ),
            encoding="utf-8",
        )
        written.append(path)
    echo("\nHTML summaries: " + ", ".join(str(p) for p in written))
    return written
