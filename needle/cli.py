"""The `needle` command: thin commands over the core library.

Each command parses its options, calls one library function and prints the result. Errors
in the user's input (``NeedleInputError``) are printed as a message, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from needle.errors import NeedleInputError


class _Group(click.Group):
    """Turn user-input errors into a clean message and exit status 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except NeedleInputError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(2)


@click.group(cls=_Group)
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
def validate(
    path: Path,
    period: str | None,
    standard_version: str | None,
    fmt: str,
    first: int,
    output: Path | None,
) -> None:
    """Validate a submission: an .xlsx workbook, a .zip or folder of CSVs, or one CSV.

    Exit status: 0 valid, 1 invalid, 2 could not be read.
    """
    from needle.periods import parse_period
    from needle.validation import validate_path

    report = validate_path(
        path,
        period=parse_period(period) if period else None,
        standard_version=standard_version,
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
    """Command groups that live beside the code they drive."""
    from needle.reference.cli import reference

    main.add_command(reference)


_register_groups()


if __name__ == "__main__":  # pragma: no cover
    main()
