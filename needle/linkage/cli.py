"""`needle link ...`: run linkage, show its quality report, decide the review queue.

Thin commands over :mod:`needle.linkage`. The review list shows only what is safe: which
partners, their pseudonymous references, similarity levels, gender and ward.
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import click

from needle.cli_errors import CleanCommand, CleanGroup

_HOME_HELP = "The initiative's home folder. Default: NEEDLE_HOME, else the current folder."


def _home_option(command):
    return click.option(
        "--home", type=click.Path(path_type=Path, file_okay=False), help=_HOME_HELP
    )(command)


def _open_home(home: Path | None):
    from needle.initiative import open_home

    return open_home(home)


@click.group(cls=CleanGroup)
def link() -> None:
    """Link young people across partners from the pseudonymised encodings."""


@link.command("run", cls=CleanCommand)
@click.option("--full", is_flag=True, help="Retrain the model and rescore every pair.")
@_home_option
def run_command(full: bool, home: Path | None) -> None:
    """Link new and changed records (all of them with --full) and update person ids."""
    from needle.linkage import link as run_link

    click.echo(run_link(_open_home(home), full=full).describe())


@link.command("status", cls=CleanCommand)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@_home_option
def status_command(as_json: bool, home: Path | None) -> None:
    """The last run's quality report: match rate, person ids, cluster sizes, backlog."""
    from needle.linkage import link_status

    report = link_status(_open_home(home).root)
    if as_json:
        click.echo(json.dumps(report, indent=1))
        return
    sizes = ", ".join(f"{size}: {count:,}" for size, count in report["cluster_sizes"].items())
    click.echo(
        f"Last run {report['linked_at']} ({report['mode']}, "
        f"{'trained model' if report['model_trained'] else 'starting values: pool too small'})\n"
        f"Records: {report['records']:,} ({report['linkable_records']:,} with encodings)\n"
        f"Young people (person ids): {report['person_ids']:,}; "
        f"with several records: {report['persons_with_several_records']:,}; "
        f"across partners: {report['persons_across_partners']:,}\n"
        f"Match rate (records linked to another): {report['match_rate']:.1%}\n"
        f"Cluster sizes (records per person): {sizes}\n"
        f"Links: {report['links']:,}; review backlog: {report['review_backlog']:,}; "
        f"merges: {report['merges']:,}; splits: {report['splits']:,}"
    )


@link.group("review", cls=CleanGroup)
def review() -> None:
    """Pairs the model is unsure about: list them, confirm or reject one."""


@review.command("list", cls=CleanCommand)
@click.option("--first", default=20, show_default=True, help="How many pairs to show.")
@_home_option
def review_list(first: int, home: Path | None) -> None:
    """Pairs waiting for a decision, most likely matches first."""
    from needle.linkage import review_queue

    queue = review_queue(_open_home(home).root)
    if queue.height == 0:
        click.echo("No pairs waiting for review.")
        return
    levels = [c for c in queue.columns if c.endswith("_level")]
    for row in queue.head(first).iter_rows(named=True):
        similar = ", ".join(f"{c.removesuffix('_level')} {row[c]}" for c in levels)
        click.echo(
            f"{row['pair_id']}  {row['org_l']}/{row['person_ref_l']} ~ "
            f"{row['org_r']}/{row['person_ref_r']}  weight {row['match_weight']:.1f} "
            f"(p {row['match_probability']:.2f})  {similar}"
        )
    click.echo(f"{queue.height:,} pair(s) waiting. Decide with `needle link review confirm PAIR`.")


def _decide(pair: str, decision: str, by: str | None, home: Path | None) -> None:
    from needle.linkage import decide_pair

    decide_pair(_open_home(home).root, pair, decision, by=by or getpass.getuser())
    click.echo(f"Pair {pair} {decision}. It applies from the next `needle link run`.")


@review.command("confirm", cls=CleanCommand)
@click.argument("pair")
@click.option("--by", help="Who decides (default: your user name).")
@_home_option
def review_confirm(pair: str, by: str | None, home: Path | None) -> None:
    """The two records are the same young person: link them."""
    _decide(pair, "confirmed", by, home)


@review.command("reject", cls=CleanCommand)
@click.argument("pair")
@click.option("--by", help="Who decides (default: your user name).")
@_home_option
def review_reject(pair: str, by: str | None, home: Path | None) -> None:
    """The two records are different young people: never link them."""
    _decide(pair, "rejected", by, home)
