"""From a partner's file to the pool: validate, pseudonymise, pool. One path for everyone.

The CLI (``needle submit``, ``needle prepare``), the demo and later the web app's worker all
call these two functions, so a workbook is treated the same whichever door it came through.
Raw identifiers exist only in memory here: they are dropped by ``pseudonymise_tables``
before anything is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from needle.errors import NeedleInputError
from needle.periods import Period
from needle.pseudonymise.encode import DEFAULT_PARAMS
from needle.pseudonymise.package import is_package, read_package, write_package
from needle.pseudonymise.submission import pseudonymise_tables
from needle.reference import Reference
from needle.standard import CURRENT_VERSION, Standard, available_versions, load_standard
from needle.validation import load_submission
from needle.validation.report import Report

if TYPE_CHECKING:
    from needle.pool import Pool, Submission

Step = Callable[[str], None]


def _no_progress(_: str) -> None:
    return None


def content_sha256(path: Path) -> str:
    """A hash of what was sent: the file's bytes, or a folder's files and their names.

    Recognises a re-sent identical submission before any work is done.
    """
    path = Path(path)
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    if not files or not all(p.exists() for p in files):
        raise NeedleInputError(f"{path.name}: no such file or folder, or it is empty.")
    for file in files:
        if path.is_dir():
            digest.update(file.relative_to(path).as_posix().encode() + b"\0")
        with file.open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def standard_with(
    instruments: Mapping[str, Any] | None, version: str | None = None
) -> Standard | None:
    """The standard extended with an initiative's own ``instruments``
    (:func:`needle.indicators.instruments.home_instruments`), for validating its partners'
    files; None when they add nothing to it (only built-ins), so that the version a file
    states chooses the standard as usual.

    An extended standard is ``version`` (default: the current one) whatever the file
    says: an initiative's instruments extend one version, the one it validates against.
    """
    if not instruments:
        return None
    version = version or CURRENT_VERSION
    if version not in available_versions():
        raise NeedleInputError(
            f"Standard version {version!r} is not one this Needle knows "
            f"({', '.join(available_versions())})."
        )
    base = load_standard(version)
    extended = base.with_instruments(instruments)
    return None if extended is base else extended


@dataclass(frozen=True)
class SubmitResult:
    submission: Submission
    report: dict[str, Any]
    created: bool  # False when an identical file had already been received
    notes: tuple[str, ...] = ()


def submit_path(
    pool: Pool,
    path: Path,
    *,
    org: str,
    period: Period,
    secret: bytes,
    reference: Reference,
    progress: Step = _no_progress,
    instruments: Mapping[str, Any] | None = None,
) -> SubmitResult:
    """Receive one submission: a raw workbook/CSVs (pseudonymised in memory) or a package.

    ``instruments`` are the initiative's questionnaires
    (:func:`needle.indicators.instruments.home_instruments`): a raw file is validated
    against the standard extended with those it adds (see :func:`standard_with`).
    """
    path = Path(path)
    standard = standard_with(instruments)
    pool.partner(org)  # an unknown partner is a clean error before any work
    progress("hashing")
    sha = content_sha256(path)
    existing = pool.identical(org, period, sha)
    if existing is not None:
        return SubmitResult(existing, existing.report, created=False)
    if is_package(path):
        progress("reading the prepared package")
        package = read_package(path, standard or load_standard(), scheme=DEFAULT_PARAMS.scheme)
        if package.manifest.get("period") != period.label:
            raise NeedleInputError(
                f"{path.name} was prepared for {package.manifest.get('period')}, "
                f"not {period.label}."
            )
        sha = package.source_sha256
        existing = pool.identical(org, period, sha)
        if existing is not None:
            return SubmitResult(existing, existing.report, created=False)
        tables, report = package.tables, package.manifest["report"]
        standard_version, by = package.manifest["standard_version"], "partner"
        notes: tuple[str, ...] = ()
    else:
        progress("validating")
        loaded = load_submission(path, period=period, standard=standard)
        report, standard_version, by = loaded.report.to_dict(), loaded.standard.version, "pool"
        tables, notes = None, ()
        if loaded.report.valid:
            progress("pseudonymising")
            done = pseudonymise_tables(
                loaded.tables,
                standard=loaded.standard,
                secret=secret,
                reference=reference,
                period=period,
            )
            tables, notes = done.tables, _notes(done.postcodes_not_found, done.not_consented)
        del loaded
    progress("pooling")
    submission = pool.receive(
        org=org,
        period=period,
        standard_version=standard_version,
        content_sha256=sha,
        tables=tables,
        report=report,
        source_name=path.name,
        pseudonymised_by=by,
    )
    return SubmitResult(submission, report, created=True, notes=notes)


def _notes(not_found: int, not_consented: int) -> tuple[str, ...]:
    notes = []
    if not_found:
        noun = "postcode was" if not_found == 1 else "postcodes were"
        notes.append(
            f"{not_found:,} {noun} not in the reference data: those rows have no area or "
            "deprivation decile."
        )
    if not_consented:
        noun = "young person" if not_consented == 1 else "young people"
        notes.append(
            f"{not_consented:,} {noun} did not consent to sharing: counted in anonymous "
            "totals only, never linked across partners."
        )
    return tuple(notes)


@dataclass(frozen=True)
class PrepareResult:
    report: Report
    package: Path | None  # None when the submission is not valid


def prepare_path(
    path: Path,
    output: Path,
    *,
    period: Period,
    secret: bytes,
    reference: Reference,
    org: str | None = None,
) -> PrepareResult:
    """On the partner's machine: validate and pseudonymise, write a package with no identifiers."""
    path = Path(path)
    sha = content_sha256(path)
    loaded = load_submission(path, period=period)
    if not loaded.report.valid:
        return PrepareResult(loaded.report, None)
    done = pseudonymise_tables(
        loaded.tables, standard=loaded.standard, secret=secret, reference=reference, period=period
    )
    package = write_package(
        output,
        done.tables,
        standard_version=loaded.standard.version,
        scheme=done.scheme,
        period=period.label,
        source_sha256=sha,
        source_name=path.name,
        report=loaded.report.to_dict(),
        org=org,
    )
    return PrepareResult(loaded.report, package)
