"""`needle indicators ...`: refresh, list, show, export, peers and an HTML summary.

Thin commands over :mod:`needle.indicators`: every number shown comes from the stored
results of the current run, protected for the audience asked for (``--audience``,
default the backbone). A partner's view (``--audience partner --partner CODE``) holds the
collective numbers at the partner threshold and, of the per-partner numbers, only its own.
"""

from __future__ import annotations

import math
from pathlib import Path

import click
import polars as pl

from needle.cli_errors import CleanCommand, CleanGroup
from needle.errors import NeedleInputError
from needle.indicators.schema import ALL_PERIODS, AUDIENCES, DIMENSIONS, HEADLINE, PUBLISHED

_HOME_HELP = "The initiative's home folder. Default: NEEDLE_HOME, else the current folder."
FORMATS = ("csv", "parquet", "xlsx")  # needle.indicators.export.FORMATS (tested to agree)


def _home_option(command):
    return click.option(
        "--home", type=click.Path(path_type=Path, file_okay=False), help=_HOME_HELP
    )(command)


def _audience_options(command):
    command = click.option(
        "--partner", help="With --audience partner: the partner whose view this is."
    )(command)
    return click.option(
        "--audience",
        type=click.Choice(AUDIENCES),
        default="backbone",
        show_default=True,
        help="Whose view: numbers are protected for this audience.",
    )(command)


def _open_home(home: Path | None):
    from needle.initiative import open_home

    return open_home(home)


@click.group(cls=CleanGroup)
def indicators() -> None:
    """The initiative's shared indicators: compute, show and export them."""


@indicators.command("refresh", cls=CleanCommand)
@click.option("--full", is_flag=True, help="Recompute every submission's facts, not only changes.")
@_home_option
def refresh_command(full: bool, home: Path | None) -> None:
    """Recompute the indicators from the pool (only changed submissions are read again)."""
    from needle.indicators.refresh import refresh

    result = refresh(_open_home(home), full=full)
    click.echo(result.describe())


@indicators.command("list", cls=CleanCommand)
@_home_option
def list_command(home: Path | None) -> None:
    """List every indicator: its id, theme, unit and title."""
    from needle.indicators.refresh import registry_for

    registry = registry_for(_open_home(home))
    width = max(len(d.id) for d in registry)
    for d in registry:
        click.echo(f"{d.id.ljust(width)}  {d.theme:<10}  {d.unit:<11}  {d.title}")


def _parse_by(by: str) -> tuple[bool, str]:
    """``--by ward,period`` -> (per period?, breakdown)."""
    names = [b.strip() for b in by.split(",") if b.strip()]
    unknown = [b for b in names if b not in DIMENSIONS]
    if unknown:
        raise NeedleInputError(
            f"--by: {', '.join(unknown)} is not a breakdown. Use: {', '.join(DIMENSIONS)}."
        )
    others = [b for b in names if b != "period"]
    if len(others) > 1:
        raise NeedleInputError(
            "--by: one breakdown at a time besides period, e.g. --by ward,period."
        )
    return "period" in names, others[0] if others else HEADLINE


def format_value(value: float | None, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if unit in ("people", "count"):
        return f"{value:,.0f}"
    if unit == "percent":
        return f"{value:.1f}%"
    if unit in ("hours", "days"):
        return f"{value:,.1f}"
    return f"{value:.2f}"


@indicators.command("show", cls=CleanCommand)
@click.argument("indicator")
@click.option(
    "--by",
    default="period",
    show_default=True,
    help="Breakdown, optionally with period: e.g. ward,period or gender.",
)
@_audience_options
@_home_option
def show_command(
    indicator: str, by: str, audience: str, partner: str | None, home: Path | None
) -> None:
    """Show one INDICATOR, broken down as --by asks, for an audience."""
    from needle.indicators.refresh import registry_for, results_for

    the_home = _open_home(home)
    definition = registry_for(the_home).get(indicator)
    per_period, breakdown = _parse_by(by)
    if breakdown and breakdown not in definition.breakdowns:
        raise NeedleInputError(
            f"{indicator} has no {breakdown} breakdown. It has: {', '.join(definition.breakdowns)}."
        )
    frame = results_for(the_home.root, audience, partner).filter(
        (pl.col("indicator") == indicator) & (pl.col("breakdown") == breakdown)
    )
    frame = frame.filter(
        pl.col("period") != ALL_PERIODS if per_period else pl.col("period") == ALL_PERIODS
    )
    click.echo(f"{definition.title} ({definition.unit}; {audience})")
    if frame.is_empty():
        click.echo("No results for this breakdown (nothing computed or none this audience sees).")
        return
    rows = []
    for r in frame.sort("period", "group").iter_rows(named=True):
        shown = (
            format_value(r["value"], definition.unit)
            if r["status"] == PUBLISHED
            else r["status"].replace("_", " ")
        )
        ci = ""
        if r["status"] == PUBLISHED and r["lower"] is not None and r["upper"] is not None:
            ci = f"[{r['lower']:.2f}, {r['upper']:.2f}]"
        n = "" if r["n"] is None or r["status"] != PUBLISHED else f"{r['n']:,}"
        rows.append([r["period"], r["group"] or "(all)", shown, ci, n])
    header = ["period", breakdown or "headline", "value", "95% CI", "n"]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    for line in [header, *rows]:
        click.echo("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
    if definition.note:
        click.echo(f"Note: {definition.note}")


@indicators.command("export", cls=CleanCommand)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    help="File to write (default: stdout for csv).",
)
@_audience_options
@_home_option
def export_command(
    fmt: str, output: Path | None, audience: str, partner: str | None, home: Path | None
) -> None:
    """Export every result the audience may see, with titles and units."""
    from needle.indicators.export import export_frame, write_export
    from needle.indicators.refresh import registry_for, results_for

    the_home = _open_home(home)
    frame = export_frame(results_for(the_home.root, audience, partner), registry_for(the_home))
    if output is None and fmt != "csv":
        raise NeedleInputError(f"--format {fmt} needs --output FILE.")
    if output is None:
        click.echo(frame.write_csv(), nl=False)
        return
    write_export(frame, fmt, output)
    click.echo(f"Wrote {frame.height:,} results for {audience} to {output}.")


@indicators.command("peers", cls=CleanCommand)
@click.option("--partner", required=True, help="The partner whose benchmarks to show.")
@click.option("--period", help="One period (default: the latest).")
@_home_option
def peers_command(partner: str, period: str | None, home: Path | None) -> None:
    """A partner's measures beside the anonymous distribution of similar partners."""
    from needle.indicators.peers import for_partner
    from needle.indicators.refresh import load_results, registry_for

    the_home = _open_home(home)
    registry = registry_for(the_home)
    frame = for_partner(load_results(the_home.root, "peers"), partner.upper())
    if frame.is_empty():
        click.echo(
            f"No peer benchmarks for {partner.upper()}: too few similar partners contribute."
        )
        return
    periods = sorted(p for p in frame["period"].unique() if p != ALL_PERIODS)
    chosen = period or (periods[-1] if periods else ALL_PERIODS)
    frame = frame.filter(pl.col("period") == chosen)
    click.echo(f"{partner.upper()} beside similar partners, {chosen}")
    for r in frame.iter_rows(named=True):
        d = registry.get(r["indicator"]) if r["indicator"] in registry else None
        unit = d.unit if d else "count"
        own = format_value(r["value"], unit) or "too few to show"
        click.echo(
            f"  {(d.title if d else r['indicator'])}: you {own}; peers ({r['peers']}, "
            f"{r['peer_group'].replace('_', ' ')}) median {format_value(r['median'], unit)}, "
            f"middle half {format_value(r['p25'], unit)} to {format_value(r['p75'], unit)}"
        )


COMMANDS = (indicators,)
