"""Find out what a submission is and list its sheets or files, refusing what cannot be read.

A partner may send a workbook, a zip or folder of CSVs, or one CSV. The file's first bytes
decide what it is, not its extension: people rename files, and an encrypted workbook is
an OLE2 container whatever it is called. Archives are judged from their directory before
anything is decompressed, so a zip bomb costs nothing.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from needle.standard.model import normalise_token
from needle.standard.templates import INSTRUCTIONS_SHEET, LISTS_SHEET
from needle.validation.csvfile import read_csv_bytes
from needle.validation.limits import Limits
from needle.validation.raw import FileProblem, Member, RawSubmission, RawTable
from needle.validation.workbook import read_workbook

OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")
# The template's own sheets and files for people, skipped without a warning.
NOTES_FOR_PEOPLE = (INSTRUCTIONS_SHEET, LISTS_SHEET, "readme", "read_me")
_JUNK = ("__macosx", ".ds_store", "thumbs.db", "desktop.ini")
_VERSION_LINE = re.compile(r"^\s*standard[\s_-]*version\s*[:=]\s*(\S+)", re.I | re.M)
_MAX_INSTRUCTIONS_BYTES = 1024 * 1024
# What zipfile raises for a damaged or unusual archive (NotImplementedError: a compression
# method it lacks; RuntimeError: encryption).
_DAMAGED_ZIP = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    OSError,
    EOFError,
    ValueError,
    KeyError,
    NotImplementedError,
    RuntimeError,
)


def read_submission(path: Path, limits: Limits) -> RawSubmission:
    """List the sheets or files of the submission at ``path``; raise ``FileProblem`` if none
    can be read at all."""
    source = path.name or str(path)
    try:
        return _read_path(path, source, limits)
    except OSError:
        raise _os_problem(source) from None


def _os_problem(source: str) -> FileProblem:
    return FileProblem(
        "file_unreadable",
        f"Needle could not open {source}: the file may be in use, moved, or not shared with you.",
        source,
    )


def _read_path(path: Path, source: str, limits: Limits) -> RawSubmission:
    if path.is_dir():
        return _read_folder(path, limits)
    if not path.is_file():
        raise FileProblem("file_unreadable", f"There is no file or folder at {path}.", source)
    size = path.stat().st_size
    if size == 0:
        raise FileProblem("file_empty", f"{source} is empty.", source)
    if size > limits.max_file_bytes:
        raise _too_large(source, size, limits)
    with path.open("rb") as stream:
        head = stream.read(8)
    suffix = path.suffix.lower()
    if head.startswith(OLE2_SIGNATURE):
        return _refuse_ole2(path, source)
    if head.startswith(ZIP_SIGNATURES):
        return _read_zip(path, source, limits)
    if suffix in CSV_SUFFIXES:
        return RawSubmission(
            kind="csv",
            members=[
                Member(name=path.stem, source=source, load=_file_loader(path, limits), size=size)
            ],
        )
    if suffix in (*WORKBOOK_SUFFIXES, ".zip", ".xls"):
        raise FileProblem(
            "file_unreadable",
            f"{source} is not a valid {suffix.lstrip('.')} file: it looks damaged or is "
            "another kind of file renamed.",
            source,
        )
    raise FileProblem(
        "file_type", f"Needle cannot read {source}: it is not a kind of file it knows.", source
    )


def _too_large(source: str, size: int, limits: Limits) -> FileProblem:
    return FileProblem(
        "file_too_large",
        f"{source} is {size:,} bytes, more than the limit of {limits.max_file_bytes:,}.",
        source,
    )


def _refuse_ole2(path: Path, source: str) -> RawSubmission:
    """OLE2 is either a legacy .xls or an encrypted OOXML package (which holds an
    "EncryptedPackage" stream, its name stored in UTF-16 in the directory)."""
    if ENCRYPTED_PACKAGE in path.read_bytes():
        raise FileProblem(
            "file_password",
            f"{source} is protected with a password, so Needle cannot open it.",
            source,
        )
    raise FileProblem(
        "file_legacy_xls",
        f"{source} is in the old Excel 97-2003 (.xls) format, which Needle does not read.",
        source,
    )


def check_archive(archive: zipfile.ZipFile, source: str, limits: Limits) -> None:
    """Refuse an archive from its directory alone, before decompressing anything.

    zipfile stops each member at its declared size, so checking declared sizes bounds
    what can ever be unpacked.
    """
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise FileProblem(
            "file_archive_suspicious",
            f"{source} holds {len(infos):,} files, more than the {limits.max_members:,} "
            "Needle accepts.",
            source,
        )
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.ratio_floor_bytes and ratio > limits.max_compression_ratio:
            raise FileProblem(
                "file_archive_suspicious",
                f"{source} expands {ratio:,.0f} times when unpacked, which only deliberately "
                "crafted archives do.",
                source,
            )
    if total > limits.max_uncompressed_bytes:
        raise FileProblem(
            "file_too_large",
            f"{source} unpacks to {total:,} bytes, more than the limit of "
            f"{limits.max_uncompressed_bytes:,}.",
            source,
        )
    if any(info.flag_bits & 0x1 for info in infos):
        raise FileProblem(
            "file_password",
            f"{source} is protected with a password, so Needle cannot open it.",
            source,
        )


def _read_zip(path: Path, source: str, limits: Limits) -> RawSubmission:
    try:
        with zipfile.ZipFile(path) as archive:
            check_archive(archive, source, limits)
            names = set(archive.namelist())
            if "xl/workbook.xml" in names:
                return read_workbook(path, archive, limits)
            if "xl/workbook.bin" in names or "mimetype" in names:
                raise FileProblem(
                    "file_type",
                    f"{source} is a spreadsheet in a format Needle does not read (such as "
                    ".xlsb or .ods).",
                    source,
                )
            return _zip_members(path, archive, limits)
    except FileProblem:
        raise
    except _DAMAGED_ZIP:
        raise FileProblem(
            "file_unreadable",
            f"Needle could not open {source}: the file looks damaged.",
            source,
        ) from None


def _is_junk(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return any(p.lower() in _JUNK or p.startswith(".") for p in parts)


def _zip_members(path: Path, archive: zipfile.ZipFile, limits: Limits) -> RawSubmission:
    members: list[Member] = []
    version = None
    for info in archive.infolist():
        if info.is_dir() or _is_junk(info.filename):
            continue
        inner = PurePosixPath(info.filename)
        label = info.filename
        suffix = inner.suffix.lower()
        key = normalise_token(inner.stem)
        if key == INSTRUCTIONS_SHEET and suffix == ".txt":
            version = _version_in(archive.open(info).read(_MAX_INSTRUCTIONS_BYTES))
            continue
        if suffix in CSV_SUFFIXES and key not in NOTES_FOR_PEOPLE:
            members.append(
                Member(
                    name=inner.stem,
                    source=label,
                    load=_zip_loader(path, info.filename, limits),
                    size=info.file_size,
                )
            )
        else:
            members.append(Member(name=inner.stem, source=label, load=None))
    return RawSubmission(kind="csv-zip", members=members, stated_version=version)


def _read_folder(folder: Path, limits: Limits) -> RawSubmission:
    members: list[Member] = []
    version = None
    total = 0
    for entry in sorted(folder.iterdir()):
        if _is_junk(entry.name):
            continue
        suffix = entry.suffix.lower()
        key = normalise_token(entry.stem)
        if entry.is_file() and key == INSTRUCTIONS_SHEET and suffix == ".txt":
            with entry.open("rb") as stream:
                version = _version_in(stream.read(_MAX_INSTRUCTIONS_BYTES))
            continue
        if entry.is_file() and suffix in CSV_SUFFIXES and key not in NOTES_FOR_PEOPLE:
            size = entry.stat().st_size
            total += size
            members.append(
                Member(
                    name=entry.stem, source=entry.name, load=_file_loader(entry, limits), size=size
                )
            )
        else:
            members.append(Member(name=entry.stem, source=entry.name, load=None))
    if total > limits.max_uncompressed_bytes:
        raise FileProblem(
            "file_too_large",
            f"The CSV files in {folder.name} add up to {total:,} bytes, more than the limit "
            f"of {limits.max_uncompressed_bytes:,}.",
            folder.name,
        )
    return RawSubmission(kind="csv-folder", members=members, stated_version=version)


def _version_in(data: bytes) -> str | None:
    text = data.decode("utf-8", errors="replace")
    match = _VERSION_LINE.search(text)
    return match.group(1).strip() if match else None


def _file_loader(path: Path, limits: Limits):
    def load() -> RawTable:
        try:
            size = path.stat().st_size
            if size > limits.max_file_bytes:
                raise _too_large(path.name, size, limits)
            data = path.read_bytes()
        except OSError:
            raise _os_problem(path.name) from None
        return read_csv_bytes(data, name=path.stem, source=path.name, limits=limits)

    return load


def _zip_loader(path: Path, member: str, limits: Limits):
    def load() -> RawTable:
        try:
            with zipfile.ZipFile(path) as archive:
                data = archive.read(member)
        except _DAMAGED_ZIP:
            raise FileProblem(
                "file_unreadable",
                f"Needle could not unpack {member}: the zip file looks damaged.",
                member,
            ) from None
        return read_csv_bytes(data, name=PurePosixPath(member).stem, source=member, limits=limits)

    return load
