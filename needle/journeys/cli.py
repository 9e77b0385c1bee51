"""`needle journeys ...`: pathways, referral funnels, disengagement, typical journeys and
one young person's timeline, from the pool of the initiative's home.

Thin commands over :mod:`needle.journeys`: each builds the journey tables once, computes
one aggregate and prints it protected for ``--audience`` (default the backbone, who see
every number). Whoever can run the CLI can read the pool, so the CLI is the backbone's
tool: ``timeline`` shows one young person and exists only here and on the backbone's
web pages.
"""

from __future__ import annotations

from pathlib import Path

import click
import polars as pl

from needle.cli_errors import CleanCommand, CleanGroup
from needle.indicators.schema import AUDIENCES
from needle.journeys.data import COHORTS
from needle.journeys.disengagement import DEFAULT_GAP_DAYS
from needle.journeys.pathways import DEFAULT_STEPS
from needle.journeys.referrals import FUNNEL_BY
from needle.journeys.typical import DEFAULT_COHORT

_HOME_HELP = "The initiative's home folder. Default: NEEDLE_HOME, else the current folder."


def _common(command):
    """--audience, --format and --home, shared by the aggregate commands."""
    command = click.option(
        "--home", type=click.Path(path_type=Path, file_okay=False), help=_HOME_HELP
    )(command)
    command = click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "csv"]),
        default="text",
        show_default=True,
        help="A table to read, or CSV for a spreadsheet.",
    )(command)
    return click.option(
        "--audience",
        type=click.Choice(AUDIENCES),
        default="backbone",
        show_default=True,
        help="Whose view: small numbers are suppressed for this audience's threshold.",
    )(command)


def _by_option(default: str | None, choices: list[str], what: str):
    return click.option(
        "--by",
        type=click.Choice(choices),
        default=default,
        show_default=default is not None,
        help=f"Break {what} down by this attribute.",
    )


def _open(home: Path | None):
    from needle.initiative import open_home
    from needle.journeys import open_journeys

    the_home = open_home(home)
    return the_home, open_journeys(the_home)


def _show(frame: pl.DataFrame, fmt: str, title: str) -> None:
    if fmt == "csv":
        click.echo(frame.write_csv(), nl=False)
        return
    click.echo(title)
    if frame.height == 0:
        click.echo("Nothing to show: the pool has no rows for this yet.")
        return
    text = frame.with_columns(pl.all().cast(pl.String).fill_null("-"))
    widths = [max(len(c), *(len(v) for v in text[c])) for c in text.columns]
    for line in [text.columns, *text.rows()]:
        click.echo("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())


def _protected(table: pl.DataFrame, audience: str, the_home) -> pl.DataFrame:
    from needle.journeys import protected

    return protected(table, audience, the_home.config)


@click.group(cls=CleanGroup)
def journeys() -> None:
    """What happens to young people across the initiative's services (linked young
    people once linkage has run; before that, each partner's young people apart).

    For the backbone team, who hold the pool: numbers are unprotected unless --audience
    says otherwise, and `timeline` shows one young person."""


@journeys.command("pathways", cls=CleanCommand)
@click.option(
    "--steps", default=DEFAULT_STEPS, show_default=True, help="Provision categories to follow."
)
@_common
def pathways_command(steps: int, audience: str, fmt: str, home: Path | None) -> None:
    """Flows between provision categories, step by step (what a Sankey diagram draws)."""
    from needle.journeys import pathways

    the_home, data = _open(home)
    with data:
        table = _protected(pathways(data, steps), audience, the_home)
    _show(table, fmt, f"Pathways between provision categories ({audience})")


@journeys.command("funnel", cls=CleanCommand)
@_by_option(None, list(FUNNEL_BY), "the referrals")
@_common
def funnel_command(by: str | None, audience: str, fmt: str, home: Path | None) -> None:
    """Referrals made, accepted, started and completed, and the days from referral to
    first attendance at the receiving partner (median and quartiles)."""
    from needle.journeys import funnel, referral_outcomes, referral_waits

    the_home, data = _open(home)
    with data:
        outcomes = _protected(referral_outcomes(data, by), audience, the_home)
        waits = _protected(referral_waits(data, by), audience, the_home)
    _show(funnel(outcomes), fmt, f"Referral funnel ({audience}; rate: % of referrals made)")
    if fmt == "text":
        click.echo()
    _show(waits, fmt, f"Days from referral to first attendance ({audience})")


@journeys.command("disengagement", cls=CleanCommand)
@click.option(
    "--gap-days",
    default=DEFAULT_GAP_DAYS,
    show_default=True,
    help="Days without any attendance after which a young person has stopped.",
)
@_by_option(None, list(COHORTS), "young people")
@_common
def disengagement_command(
    gap_days: int, by: str | None, audience: str, fmt: str, home: Path | None
) -> None:
    """Where young people stop: the category they were last seen in and their sessions."""
    from needle.journeys import disengagement

    the_home, data = _open(home)
    with data:
        table = _protected(disengagement(data, gap_days, by), audience, the_home)
    _show(table, fmt, f"Stopped ({gap_days} days without attending) or attending ({audience})")


@journeys.command("typical", cls=CleanCommand)
@_by_option(DEFAULT_COHORT, list(COHORTS), "the cohorts")
@click.option("--steps", default=DEFAULT_STEPS, show_default=True, help="Categories to follow.")
@_common
def typical_command(by: str, steps: int, audience: str, fmt: str, home: Path | None) -> None:
    """The most common sequence of provision categories in each cohort, and its share."""
    from needle.journeys import journey_counts, typical_journeys

    the_home, data = _open(home)
    with data:
        counts = _protected(journey_counts(data, by, steps), audience, the_home)
    _show(typical_journeys(counts), fmt, f"Typical journey by {by} ({audience}; share in %)")


@journeys.command("timeline", cls=CleanCommand)
@click.argument("person_id")
@click.option("--format", "fmt", type=click.Choice(["text", "csv"]), default="text")
@click.option("--home", type=click.Path(path_type=Path, file_okay=False), help=_HOME_HELP)
def timeline_command(person_id: str, fmt: str, home: Path | None) -> None:
    """One young person's timeline across partners, by month (backbone only).

    PERSON_ID is a linked person's id, or PARTNER:reference for a record linkage has not
    placed. A timeline describes one young person: it is for the backbone team, who hold
    the pool, and must not be shared with anyone else."""
    from needle.journeys import timeline

    _, data = _open(home)
    with data:
        table = timeline(data, person_id)
    _show(table, fmt, "Timeline of one young person (backbone only; months)")
