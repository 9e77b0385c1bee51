"""The `needle` command: thin commands over the core library.

Each command parses its options, calls one library function and prints the result. Errors
in the user's input (``NeedleInputError``) are printed as a message, never a traceback.
"""

from __future__ import annotations

import sys
from importlib.metadata import entry_points
from pathlib import Path

import click

from needle.cli_errors import CleanGroup


@click.group(cls=CleanGroup)
@click.version_option(package_name="needle")
def main() -> None:
    """Needle: shared measurement for collective impact initiatives."""


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--period", help="Reporting period the activity must fall in, e.g. 2026-Q3.")
@click.option(
    "--standard-version",
    help="Standard version the submission uses (default: as stated in the file, else current).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--first", default=5, show_default=True, help="Problems shown per rule in the text report."
)
@click.option(
    "--output", "-o", type=click.Path(path_type=Path), help="Also write the report to this file."
)
@click.option(
    "--home",
    type=click.Path(path_type=Path),
    help="An initiative's home folder: also accept the questionnaires in its instruments/.",
)
def validate(
    path: Path,
    period: str | None,
    standard_version: str | None,
    fmt: str,
    first: int,
    output: Path | None,
    home: Path | None,
) -> None:
    """Validate a submission: an .xlsx workbook, a .zip or folder of CSVs, or one CSV.

    Exit status: 0 valid, 1 invalid, 2 could not be read.
    """
    from needle.periods import parse_period
    from needle.validation import validate_path

    standard = None
    if home is not None:
        from needle.indicators.instruments import home_instruments
        from needle.ingest import standard_with
        from needle.initiative import open_home

        instruments = home_instruments(open_home(home).root)
        standard = standard_with(instruments, standard_version)
    report = validate_path(
        path,
        period=parse_period(period) if period else None,
        standard_version=standard_version,
        standard=standard,
    )
    text = report.to_json() if fmt == "json" else report.render_text(first=first)
    click.echo(text)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
    sys.exit(report.exit_code)


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(["xlsx", "csv"]), default="xlsx", show_default=True
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    help="File to write (default: needle-template-<version>.xlsx or .zip).",
)
@click.option("--standard-version", help="Standard version (default: current).")
def template(fmt: str, output: Path | None, standard_version: str | None) -> None:
    """Write a blank submission template: an XLSX workbook or a zip of CSV files."""
    from needle.standard import load_standard
    from needle.standard.templates import write_template

    standard = load_standard(standard_version)
    suffix = "xlsx" if fmt == "xlsx" else "zip"
    output = output or Path(f"needle-template-{standard.version}.{suffix}")
    write_template(output, fmt=fmt, standard=standard)
    click.echo(f"Wrote {output}")


@main.group()
def standard() -> None:
    """The Needle Youth Data Standard."""


@standard.command("export")
@click.argument("outdir", type=click.Path(path_type=Path))
@click.option("--standard-version", help="Standard version (default: current).")
def standard_export(outdir: Path, standard_version: str | None) -> None:
    """Write the standard as a Frictionless Data Package, a JSON Schema and a reference page."""
    from needle.standard import load_standard
    from needle.standard.export import write_exports

    for path in write_exports(outdir, load_standard(standard_version)):
        click.echo(f"Wrote {path}")


_HOME = click.option(
    "--home",
    type=click.Path(path_type=Path),
    help="The initiative's home folder (default: $NEEDLE_HOME, else the current folder).",
)


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--org", required=True, help="The partner's code, e.g. TYC.")
@click.option("--period", required=True, help="The reporting period, e.g. 2026-Q3.")
@_HOME
def submit(path: Path, org: str, period: str, home: Path | None) -> None:
    """Submit a workbook, CSVs or a prepared package to the pool.

    A raw file is validated and pseudonymised in memory on arrival; an invalid one is kept
    with its report and not pooled. Exit status: 0 accepted (or already received), 1 invalid.
    """
    from needle.indicators.instruments import home_instruments
    from needle.ingest import submit_path
    from needle.initiative import open_home
    from needle.periods import parse_period

    the_home = open_home(home)
    parsed = parse_period(period)
    instruments = home_instruments(the_home.root)
    pool = the_home.open_pool()
    label = f"{org.upper()} {parsed.label}"
    try:
        with click.progressbar(length=4, label=label, show_percent=False) as bar:

            def step(name: str) -> None:
                bar.label = f"{label}: {name}"
                bar.update(1)

            result = submit_path(
                pool,
                path,
                org=org.upper(),
                period=parsed,
                secret=the_home.linkage_secret(),
                reference=the_home.open_reference(),
                progress=step,
                instruments=instruments,
            )
    finally:
        pool.close()
    sub = result.submission
    if not result.created:
        click.echo(f"Already received: identical to version {sub.version} ({sub.state}).")
    elif sub.state == "accepted":
        rows = ", ".join(f"{k} {v:,}" for k, v in sub.rows.items() if v)
        click.echo(f"Accepted as version {sub.version} of {sub.org} {sub.period}: {rows}.")
    else:
        errors = result.report["summary"]["errors"]
        click.echo(f"Not accepted: {errors:,} error(s). Fix them and submit again.")
    for note in result.notes:
        click.echo(f"Note: {note}")
    if sub.state == "invalid":
        again = f"needle validate {path} --period {parsed.label} --home {the_home.root}"
        click.echo(f"Run `{again}` to see every problem.")
        sys.exit(1)
    if result.created:
        from needle.indicators.refresh import refresh

        click.echo(refresh(the_home).describe())


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--period", required=True, help="The reporting period, e.g. 2026-Q3.")
@click.option("--org", help="Your partner code, recorded in the package.")
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    help="Package file (default: PATH.needle.zip).",
)
@click.option(
    "--secret-file",
    type=click.Path(path_type=Path),
    help="The linkage secret the backbone gave you (or set NEEDLE_LINKAGE_SECRET).",
)
@click.option(
    "--reference",
    "reference_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="A reference store from `needle reference load` (default: the bundled Trafford data).",
)
def prepare(
    path: Path,
    period: str,
    org: str | None,
    output: Path | None,
    secret_file: Path | None,
    reference_dir: Path | None,
) -> None:
    """Pseudonymise a submission on your own machine, so no identifier leaves it.

    Writes a package with no names, dates of birth or postcodes, to send with
    `needle submit`. Exit status: 0 written, 1 invalid (nothing written).
    """
    from needle.ingest import prepare_path
    from needle.periods import parse_period
    from needle.pseudonymise import load_secret
    from needle.reference import build_reference, bundled_sources, open_reference

    parsed = parse_period(period)
    output = output or path.with_name(f"{path.stem}.needle.zip")
    result = prepare_path(
        path,
        output,
        period=parsed,
        secret=load_secret(secret_file),
        reference=(
            open_reference(reference_dir) if reference_dir else build_reference(bundled_sources())
        ),
        org=org.upper() if org else None,
    )
    if result.package is None:
        click.echo(result.report.render_text())
        sys.exit(1)
    click.echo(f"Wrote {result.package}: no names, dates of birth or postcodes inside.")


@main.command()
@click.argument("outdir", type=click.Path(path_type=Path))
@click.option("--seed", default=2026, show_default=True, help="Same seed, same initiative.")
@click.option("--scale", default=1.0, show_default=True, help="Multiply volumes (for benchmarks).")
def synth(outdir: Path, seed: int, scale: float) -> None:
    """Create a realistic synthetic initiative set in Trafford (synthetic people only)."""
    from needle.synth import generate

    summary = generate(outdir, seed=seed, scale=scale)
    click.echo(summary.describe())


@main.command()
@click.argument("workdir", type=click.Path(path_type=Path), default=Path("needle-demo"))
@click.option("--seed", default=2026, show_default=True)
def demo(workdir: Path, seed: int) -> None:
    """Run the demo: build the synthetic initiative and validate every submission."""
    from needle.demo import run_demo

    if not run_demo(workdir, seed=seed, echo=click.echo):
        sys.exit(1)


def _register_groups() -> None:
    """Command groups that live beside the code they drive, and commands other packages
    contribute through the ``needle.commands`` entry points (the web platform's ``serve``),
    so that the core never imports them."""
    from needle.indicators.cli import indicators
    from needle.indicators.population_cli import population
    from needle.initiative.cli import init
    from needle.journeys.cli import journeys
    from needle.linkage.cli import link
    from needle.pool.cli import COMMANDS
    from needle.reference.cli import reference

    main.add_command(init)
    main.add_command(reference)
    for command in COMMANDS:
        main.add_command(command)
    main.add_command(indicators)
    main.add_command(link)
    main.add_command(population)
    main.add_command(journeys)
    for entry in entry_points(group="needle.commands"):
        main.add_command(entry.load(), entry.name)


_register_groups()


if __name__ == "__main__":  # pragma: no cover
    main()
