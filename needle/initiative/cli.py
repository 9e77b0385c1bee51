"""`needle init`: create an initiative's home.

A thin command: it builds an :class:`InitiativeConfig` from the options and calls
:func:`init_home`. Registered in ``needle.cli``; usable on its own (the command turns a
``NeedleInputError`` into a message and exit status 2, like the main command).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import click

from needle.cli_errors import CleanCommand
from needle.errors import NeedleInputError
from needle.initiative.config import FREQUENCIES

__all__ = ["init"]


def _partner(text: str) -> tuple[str, str]:
    code, sep, name = text.partition("=")
    if not sep:
        raise NeedleInputError(
            f"--partner {text!r}: give the code and the name, e.g. --partner 'TYC=Trafford "
            "Youth Clubs'."
        )
    return code.strip(), name.strip()


@click.command(cls=CleanCommand)
@click.argument("directory", metavar="DIR", type=click.Path(path_type=Path, file_okay=False))
@click.option("--name", help="The initiative's name (default: the folder's name).")
@click.option(
    "--area",
    "areas",
    multiple=True,
    metavar="CODE",
    help="GSS code of a local authority the initiative covers, e.g. E08000009; repeatable.",
)
@click.option(
    "--first-period",
    metavar="PERIOD",
    help="The first reporting period, e.g. 2024-Q4 (default: the current one).",
)
@click.option(
    "--frequency",
    type=click.Choice(FREQUENCIES),
    help="How often partners submit (default: quarter).",
)
@click.option(
    "--partner",
    "partners",
    multiple=True,
    metavar="CODE=NAME",
    help="A partner to register, e.g. 'TYC=Trafford Youth Clubs'; repeatable.",
)
@click.option(
    "--trafford-demo",
    is_flag=True,
    help="Configure the demo initiative: Trafford, quarterly from 2024-Q4, with the partners "
    "of the synthetic data (`needle synth`). Other options override it.",
)
@click.option(
    "--reference/--no-reference",
    default=None,
    help="Load the bundled Trafford reference data into DIR/reference, or not (default: "
    "load it when the area includes Trafford or is not given).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Create the home in a folder that is not empty (nothing there is changed). A "
    "folder that already holds needle.toml is always refused.",
)
def init(
    directory: Path,
    name: str | None,
    areas: tuple[str, ...],
    first_period: str | None,
    frequency: str | None,
    partners: tuple[str, ...],
    trafford_demo: bool,
    reference: bool | None,
    force: bool,
) -> None:
    """Create an initiative's home in DIR: needle.toml, the linkage secret, reference data
    and the embedded database.

    The linkage secret is written to DIR/secrets/linkage.key (mode 0600) unless
    NEEDLE_LINKAGE_SECRET is set. See docs/guides/initiative.md.
    """
    from needle.initiative import (
        InitiativeConfig,
        PartnerConfig,
        PeriodsConfig,
        init_home,
        period_containing,
        trafford_demo_config,
    )

    try:
        extra = tuple(PartnerConfig(*_partner(p)) for p in partners)
    except NeedleInputError as exc:
        raise NeedleInputError(str(exc).replace("partners[]", "--partner", 1)) from None
    if trafford_demo:
        config = trafford_demo_config()
        freq = frequency or config.periods.frequency
        first = first_period or (config.periods.first if freq == config.periods.frequency else None)
    else:
        config = None
        freq = frequency or "quarter"
        first = first_period
    periods = PeriodsConfig(
        first=first or period_containing(freq, date.today()).label, frequency=freq
    )
    if config is None:
        config = InitiativeConfig(
            name=name or directory.expanduser().resolve().name,
            area=areas,
            periods=periods,
            partners=extra,
        )
    else:
        config = replace(
            config,
            name=name or config.name,
            area=areas or config.area,
            periods=periods,
            partners=config.partners + extra,
        )
    result = init_home(directory, config, reference=reference, force=force)
    click.echo(result.describe())
