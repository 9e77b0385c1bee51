"""`needle reference`: load reference data into an initiative's home, and show what is there.

Thin commands over :mod:`needle.reference`: each builds a ``Sources`` or opens a store and
calls one function. Registered in ``needle.cli``; usable on its own (the group turns a
``NeedleInputError`` into a message and exit status 2, like the main command).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from needle.cli_errors import CleanGroup
from needle.errors import NeedleInputError

_FILE = click.Path(path_type=Path, dir_okay=False)


@click.group(cls=CleanGroup)
def reference() -> None:
    """Reference data: postcodes to LSOA, ward, local authority and IMD 2019 decile."""


@reference.command("load")
@click.option(
    "--home",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="The initiative's home folder; the store is written to HOME/reference.",
)
@click.option(
    "--bundled-trafford",
    is_flag=True,
    help="Use the Trafford extracts bundled with Needle (the demo area). Any file option "
    "given as well replaces the bundled file.",
)
@click.option("--postcodes", type=_FILE, help="ONS Postcode Directory CSV (or Trafford format).")
@click.option("--imd", type=_FILE, help="IoD 2019 File 1 (XLSX or CSV) or mySociety composite.")
@click.option("--lsoa2011-boundaries", type=_FILE, help="LSOA 2011 boundaries, GeoJSON (WGS84).")
@click.option("--lsoa2021-boundaries", type=_FILE, help="LSOA 2021 boundaries, GeoJSON (WGS84).")
@click.option("--lsoa-lookup", type=_FILE, help="ONS LSOA (2011) to LSOA (2021) lookup CSV.")
@click.option("--population", type=_FILE, help="Census 2021 population by LSOA and age CSV.")
@click.option(
    "--ethnicity", type=_FILE, help="Census 2021 population by LSOA and ethnic group CSV."
)
@click.option(
    "--names",
    type=_FILE,
    multiple=True,
    help="ONS names-and-codes CSV (wards, local authorities); repeatable.",
)
def load(
    home: Path,
    bundled_trafford: bool,
    postcodes: Path | None,
    imd: Path | None,
    lsoa2011_boundaries: Path | None,
    lsoa2021_boundaries: Path | None,
    lsoa_lookup: Path | None,
    population: Path | None,
    ethnicity: Path | None,
    names: tuple[Path, ...],
) -> None:
    """Read reference files, bridge IMD 2019 onto LSOA 2021, and write HOME/reference.

    Replaces the store already there. See docs/guides/reference-data.md for the files to
    download for an area other than Trafford.
    """
    from needle.reference import Sources, bundled_sources, load_reference, reference_store_dir

    given = {
        "postcodes": postcodes,
        "imd": imd,
        "lsoa2011_boundaries": lsoa2011_boundaries,
        "lsoa2021_boundaries": lsoa2021_boundaries,
        "lsoa_lookup": lsoa_lookup,
        "population": population,
        "ethnicity": ethnicity,
    }
    given = {k: v for k, v in given.items() if v is not None}
    if bundled_trafford:
        sources = replace(bundled_sources(), **given, names=names)
        if given:
            sources = replace(sources, note=f"{sources.note} Replaced: {', '.join(given)}.")
    elif postcodes is None:
        raise NeedleInputError(
            "Give --postcodes FILE (the ONS Postcode Directory CSV), or --bundled-trafford "
            "for the demo data."
        )
    else:
        sources = Sources(**given, names=names)  # type: ignore[arg-type]
    ref = load_reference(reference_store_dir(home), sources)
    click.echo(ref.describe())


@reference.command("show")
@click.option(
    "--home",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="The initiative's home folder (the store is HOME/reference).",
)
def show(home: Path) -> None:
    """Summarise the loaded reference data: sources, licences, counts, bridge methods."""
    from needle.reference import open_reference, reference_store_dir

    click.echo(open_reference(reference_store_dir(home)).describe())
