"""`needle partners`, `needle submissions`, `needle withdraw`, `needle erase`: thin commands
over :class:`needle.pool.Pool`.

Each command opens the pool of one home (``--home``, else the ``NEEDLE_HOME`` setting, else
the current folder) and calls one method. The commands are registered in ``needle.cli``
and also work on their own: a ``NeedleInputError`` becomes a message and exit status 2,
never a traceback. Nothing here prints a young person's reference, not even the one being
erased.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from needle.cli_errors import CleanCommand, CleanGroup
from needle.pool.model import Submission
from needle.pool.pool import Pool
from needle.settings import get_setting

_HOME_HELP = (
    "The initiative's home folder (metadata in HOME/needle.sqlite unless DATABASE_URL is "
    "set, pooled data in HOME/pool). Default: NEEDLE_HOME, else the current folder."
)


def _home_option(command):
    return click.option(
        "--home", type=click.Path(path_type=Path, file_okay=False), help=_HOME_HELP
    )(command)


def _open(home: Path | None) -> Pool:
    return Pool.open(home or Path(get_setting("NEEDLE_HOME") or "."))


def _refresh_indicators(home: Path | None) -> None:
    """Indicators follow the pool: a withdrawal or erasure takes effect in them at once
    (and an erased young person leaves no derived row behind)."""
    from needle.indicators.refresh import refresh_after_change

    result = refresh_after_change(home or Path(get_setting("NEEDLE_HOME") or "."))
    if result is not None:
        click.echo(result.describe())


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def _table(header: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        out = [
            str(c).rjust(w) if i in right else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(out).rstrip()

    return "\n".join([line(header), *(line(r) for r in rows)])


# -- partners -------------------------------------------------------------------------


@click.group(cls=CleanGroup)
def partners() -> None:
    """The organisations that submit data to the pool."""


@partners.command("add", cls=CleanCommand)
@click.argument("code")
@click.option("--name", required=True, help="The organisation's name, as people know it.")
@_home_option
def partners_add(code: str, name: str, home: Path | None) -> None:
    """Add a partner with CODE (2-16 letters, digits, '_' or '-'; stored upper-case)."""
    with _open(home) as pool:
        partner = pool.add_partner(code, name)
    click.echo(f"Added partner {partner.code}: {partner.name}")


@partners.command("list", cls=CleanCommand)
@click.option("--all", "include_removed", is_flag=True, help="Include removed partners.")
@_home_option
def partners_list(include_removed: bool, home: Path | None) -> None:
    """List the partners."""
    with _open(home) as pool:
        found = pool.partners(include_removed=include_removed)
    if not found:
        click.echo("No partners yet. Add one with `needle partners add CODE --name NAME`.")
        return
    header = ["CODE", "NAME", "ADDED (UTC)"] + (["REMOVED (UTC)"] if include_removed else [])
    rows = [
        [p.code, p.name, _when(p.added_at)] + ([_when(p.removed_at)] if include_removed else [])
        for p in found
    ]
    click.echo(_table(header, rows))


@partners.command("remove", cls=CleanCommand)
@click.argument("code")
@_home_option
def partners_remove(code: str, home: Path | None) -> None:
    """Remove the partner CODE: it can no longer submit; its history stays."""
    with _open(home) as pool:
        pool.remove_partner(code)
    click.echo(f"Removed partner {code.strip().upper()}; its submissions and history are kept.")


# -- submissions ----------------------------------------------------------------------


def _as_dict(s: Submission) -> dict:
    out = {k: getattr(s, k) for k in Submission.__dataclass_fields__ if k != "report"}
    for key in ("received_at", "decided_at", "superseded_at", "withdrawn_at"):
        out[key] = out[key].isoformat() if out[key] else None
    return out


@click.command(cls=CleanCommand)
@click.option("--org", help="Only this partner's submissions.")
@click.option("--period", help="Only this reporting period, e.g. 2026-Q3.")
@click.option(
    "--as-at",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]),
    help="Show the submissions and their states as they were then (UTC).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@_home_option
def submissions(
    org: str | None, period: str | None, as_at: datetime | None, fmt: str, home: Path | None
) -> None:
    """List every version of every submission: state, version and rows pooled."""
    with _open(home) as pool:
        found = pool.submissions(org=org, period=period, as_at=as_at)
    if fmt == "json":
        click.echo(json.dumps([_as_dict(s) for s in found], indent=2))
        return
    if not found:
        click.echo("No submissions.")
        return
    header = ["ORG", "PERIOD", "VERSION", "STATE", "ROWS", "RECEIVED (UTC)", "ID"]
    rows = [
        [s.org, s.period, str(s.version), s.state, f"{s.total_rows:,}", _when(s.received_at),
         s.id[:8]]
        for s in found
    ]  # fmt: skip
    click.echo(_table(header, rows, right={2, 4}))


@click.command(cls=CleanCommand)
@click.argument("org")
@click.argument("period")
@click.option("--reason", default="", help="Why, for the audit trail (no personal details).")
@_home_option
def withdraw(org: str, period: str, reason: str, home: Path | None) -> None:
    """Withdraw ORG's current submission for PERIOD: its data leaves the pool (history keeps
    it), until ORG submits again."""
    with _open(home) as pool:
        s = pool.withdraw(org, period, reason=reason)
    click.echo(
        f"Withdrew {s.org} {s.period} version {s.version}; no data is pooled for "
        f"{s.org} {s.period} until a new submission is accepted."
    )
    _refresh_indicators(home)


@click.command(cls=CleanCommand)
@click.argument("org")
@click.argument("person_ref")
@click.option("--reason", default="", help="Why, for the audit trail (never the person's details).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@_home_option
def erase(org: str, person_ref: str, reason: str, yes: bool, home: Path | None) -> None:
    """Erase the young person PERSON_REF (ORG's own reference) from all of ORG's pooled
    data, current and past versions alike (UK GDPR right to erasure). Cannot be undone.

    The audit trail records that an erasure happened and how many rows it removed, never
    whom it was for.
    """
    if not yes:
        click.confirm(
            f"Erase this young person from every submission of {org.strip().upper()}, "
            "past and current? This cannot be undone",
            abort=True,
        )
    with _open(home) as pool:
        erasure = pool.erase(org, person_ref, reason=reason)
    detail = ", ".join(f"{entity} {n:,}" for entity, n in erasure.rows.items()) or "no rows"
    click.echo(
        f"Erased {erasure.total_rows:,} row(s) ({detail}) from {erasure.submissions} "
        f"submission(s) of {erasure.org}; {erasure.reports_redacted} stored report(s) "
        f"redacted. Erasure id {erasure.id} is in the audit trail."
    )
    _refresh_indicators(home)


COMMANDS = (partners, submissions, withdraw, erase)
