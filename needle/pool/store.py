"""Parquet files of pooled data: written atomically, never changed, deleted on purpose only.

Why files at all: pooled data is columnar and large (a million attendance rows per
partner per quarter is realistic), read by Polars for indicators, and immutable once
written; Parquet on disk is the fastest, smallest and most portable home for it, and the
metadata database only has to say which files count.

Atomic write: the table goes to a hidden temporary file in the destination folder, which
is flushed and fsync'ed, then renamed over the final name with ``os.replace`` (atomic
within one file system) and the folder itself fsync'ed so the rename survives a power
cut. A reader therefore sees either no file or the whole file; a crash leaves at most a
temporary file or a complete file nobody lists, both of which ``Pool.vacuum`` removes.

Paths handed around are relative to the store's root, in POSIX form, because they are
stored in the database and the root may move (a home copied to another machine).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

TEMP_SUFFIX = ".tmp"
PARQUET_SUFFIX = ".parquet"


@dataclass(frozen=True)
class StoredFile:
    """A file found on disk under the store, for vacuuming."""

    relative: str
    path: Path
    size: int
    mtime: float
    temporary: bool


def fsync_dir(path: Path) -> None:
    """Make a rename or unlink in ``path`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ParquetStore:
    """The folder of pooled data: ``<root>/<entity>/<org>/<period>/<file>.parquet``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def relative_path(
        entity: str, org: str, period: str, submission_id: str, generation: str | None = None
    ) -> str:
        """Where a submission's table lives. An erasure writes a new ``generation`` under a
        new name, so the file a reader has open is never changed underneath it."""
        name = submission_id if generation is None else f"{submission_id}-{generation}"
        return f"{entity}/{org}/{period}/{name}{PARQUET_SUFFIX}"

    def absolute(self, relative: str) -> Path:
        return self.root.joinpath(*relative.split("/"))

    def _ensure_dir(self, folder: Path) -> None:
        """Create ``folder`` and make each newly created level durable in its parent."""
        missing = []
        current = folder
        while not current.exists():
            missing.append(current)
            current = current.parent
        for path in reversed(missing):
            path.mkdir(exist_ok=True)
            fsync_dir(path.parent)

    def write(self, relative: str, frame: pl.DataFrame) -> int:
        """Write ``frame`` atomically at ``relative``; returns the file's size in bytes.

        zstd level 1 with column statistics on: level 1 writes twice as fast as the
        default level for files a few percent larger (most bytes are Bloom filters, which
        do not compress), and statistics let filtered reads (one partner, one person for
        an erasure) skip row groups.
        """
        path = self.absolute(relative)
        self._ensure_dir(path.parent)
        temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}{TEMP_SUFFIX}")
        try:
            frame.write_parquet(temp, compression="zstd", compression_level=1, statistics=True)
            _fsync_file(temp)
            os.replace(temp, path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        fsync_dir(path.parent)
        return path.stat().st_size

    def delete(self, relatives: Iterable[str]) -> int:
        """Delete files (already gone is fine); returns the bytes freed."""
        freed = 0
        folders = set()
        for relative in relatives:
            path = self.absolute(relative)
            try:
                size = path.stat().st_size
                path.unlink()
            except FileNotFoundError:
                continue
            freed += size
            folders.add(path.parent)
        for folder in folders:
            fsync_dir(folder)
        return freed

    def scan(self, relative: str) -> pl.LazyFrame:
        return pl.scan_parquet(self.absolute(relative), glob=False)

    def schema(self, relative: str) -> pl.Schema:
        return pl.read_parquet_schema(self.absolute(relative))

    def walk(self) -> Iterator[StoredFile]:
        """Every Parquet or temporary file under the root (nothing else is touched)."""
        for folder, _dirs, files in os.walk(self.root):
            for name in files:
                temporary = name.startswith(".") and name.endswith(TEMP_SUFFIX)
                if not (temporary or name.endswith(PARQUET_SUFFIX)):
                    continue
                path = Path(folder) / name
                try:
                    stat = path.stat()
                except FileNotFoundError:  # removed meanwhile
                    continue
                relative = path.relative_to(self.root).as_posix()
                yield StoredFile(relative, path, stat.st_size, stat.st_mtime, temporary)
