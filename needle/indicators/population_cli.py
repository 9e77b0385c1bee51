"""`needle population`: load the population indicator series into a home, and show how each
curve is doing.

Thin commands over :mod:`needle.indicators.population`. Each opens one home (``--home``,
else ``NEEDLE_HOME``, else the current folder) with :func:`needle.initiative.open_home`,
so a wrong home or a bad ``needle.toml`` is a clean message. The group turns a
``NeedleInputError`` into ``Error: ...`` and exit status 2, on its own or registered in
``needle.cli``.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from needle.cli_errors import CleanGroup
from needle.errors import NeedleInputError

_HOME_HELP = "The initiative's home folder. Default: NEEDLE_HOME, else the current folder."


def _home_option(command):
    return click.option(
        "--home", type=click.Path(path_type=Path, file_okay=False), help=_HOME_HELP
    )(command)


def _home_with_population_indicators(home: Path | None):
    """The home, which must define population indicators for these commands to mean much."""
    from needle.initiative import open_home

    opened = open_home(home)
    if not opened.config.population_indicators:
        raise NeedleInputError(
            f"{opened.config_path} has no [[population_indicators]]: add one table for each "
            "indicator (id, title, unit, direction, and a baseline and target if agreed), "
            "as in docs/guides/outcomes-framework.md."
        )
    return opened


@click.group(cls=CleanGroup)
def population() -> None:
    """Population indicators: load public statistics, see if the curves turn.

    Population indicators are about every young person in the area, from public
    statistics; the initiative works to turn their curves (docs/guides/outcomes-framework.md).
    """


@population.command("load")
@click.argument("file", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--bundled-trafford",
    is_flag=True,
    help="Load the illustrative synthetic Trafford series bundled with Needle (the demo; "
    "not official statistics).",
)
@_home_option
def load(file: Path | None, bundled_trafford: bool, home: Path | None) -> None:
    """Check a population series CSV and keep it in the home (HOME/indicators).

    FILE has the columns indicator, area_code, period, value and optionally numerator,
    denominator, source; each indicator must be a [[population_indicators]] table of
    needle.toml. Without FILE, the file of indicators.population_file in needle.toml is
    read. The series replaces the one already in the home.
    """
    import polars as pl

    from needle.indicators.population import (
        BUNDLED_TRAFFORD_SERIES,
        load_population_series,
        save_population_series,
    )

    opened = _home_with_population_indicators(home)
    config = opened.config
    if bundled_trafford and file is not None:
        raise NeedleInputError("Give FILE or --bundled-trafford, not both.")
    if bundled_trafford:
        file = BUNDLED_TRAFFORD_SERIES
    elif file is None:
        configured = Path(config.indicators.population_file).expanduser()
        file = configured if configured.is_absolute() else opened.root / configured
        if not file.exists():
            raise NeedleInputError(
                f"No FILE given and {file} (indicators.population_file in needle.toml) does "
                "not exist. Give the series CSV: `needle population load FILE`."
            )
    series = load_population_series(file, config.population_indicators)
    saved = save_population_series(opened.root, series)
    click.echo(f"Loaded {series.height} values from {file}:")
    by_time = pl.col("period").sort_by("time")
    stats = series.group_by("indicator", "area_code", maintain_order=True).agg(
        n=pl.len(), first=by_time.first(), last=by_time.last()
    )
    for indicator, area, n, first, last in stats.iter_rows():
        click.echo(f"  {indicator}  {area}  {n} periods, {first} to {last}")
    loaded = set(series["indicator"].to_list())
    missing = [d.id for d in config.population_indicators if d.id not in loaded]
    if missing:
        click.echo(f"No values for {', '.join(missing)}: add their rows to the file.")
    if config.area:
        others = sorted(set(series["area_code"].to_list()) - set(config.area))
        if others:
            click.echo(
                f"Areas outside initiative.area (comparators): {', '.join(others)}; "
                "`needle population show` shows the initiative's areas unless given --area."
            )
    if bundled_trafford:
        click.echo("This is an illustrative synthetic series for the demo, not official data.")
    click.echo(f"Saved to {saved}.")


@population.command("show")
@click.option("--area", help="Show this area (a GSS code); default: the initiative's areas.")
@click.option("--json", "as_json", is_flag=True, help="Print the summaries as JSON.")
@_home_option
def show(area: str | None, as_json: bool, home: Path | None) -> None:
    """Show how each population indicator's curve is doing: the latest value against the
    baseline, the target path and the forecast (the trend if nothing changes)."""
    from needle.indicators.population import (
        curve_summary,
        read_population_series,
        turn_the_curve,
    )

    opened = _home_with_population_indicators(home)
    config = opened.config
    series = read_population_series(opened.root)
    summaries: list[dict] = []
    empty: list[str] = []
    for definition in config.population_indicators:
        rows = series.filter(series["indicator"] == definition.id)
        present = sorted(set(rows["area_code"].to_list()))
        if area is not None:
            areas = [area] if area in present else []
        else:
            areas = [a for a in config.area if a in present] or present
        if not areas:
            empty.append(definition.id)
            continue
        for code in areas:
            curve = turn_the_curve(series, definition, code)
            summaries.append(curve_summary(curve, definition))
    if as_json:
        click.echo(json.dumps({"indicators": summaries, "no_data": empty}, indent=2))
        return
    if not summaries and area is not None:
        raise NeedleInputError(f"No population series for area {area} in this home.")
    for i, summary in enumerate(summaries):
        if i:
            click.echo("")
        click.echo(_describe(summary))
    if empty:
        where = f" for {area}" if area else ""
        click.echo(f"\nNo data{where}: {', '.join(empty)}.")


def _describe(s: dict) -> str:
    from needle.indicators.population import format_value

    unit = s["unit"]
    lines = [f"{s['indicator']} ({s['area_code']}): {s['title']}"]
    lines.append(f"  latest    {s['latest_period']:<8} {format_value(s['latest_value'], unit)}")
    if s["baseline_period"] is not None:
        change = s["change_since_baseline"]
        verdict = "better" if s["better_than_baseline"] else "not better"
        lines.append(
            f"  baseline  {s['baseline_period']:<8} {format_value(s['baseline_value'], unit)}"
            f"  (change {change:+.1f}: {verdict})"
        )
    if s["target_period"] is not None:
        track = {True: "on track", False: "not on track", None: "-"}[s["on_track"]]
        lines.append(
            f"  target    {s['target_period']:<8} {format_value(s['target_value'], unit)}"
            f"  (path at {s['latest_period']}: {format_value(s['target_at_latest'], unit, 2)}:"
            f" {track})"
        )
    if s["forecast_at_latest"] is not None:
        verdict = "better" if s["better_than_forecast"] else "not better"
        lines.append(
            f"  forecast  {s['latest_period']:<8} "
            f"{format_value(s['forecast_at_latest'], unit, 2)}  (if nothing had changed: "
            f"{verdict})"
        )
    lines.append(f"  status    {s['status'].replace('_', ' ')}: {s['summary']}")
    return "\n".join(lines)
