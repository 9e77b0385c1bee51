"""Size limits that keep one bad upload from exhausting the machine.

A validator runs on files from outside the initiative, often in a web worker shared with
other partners. A zip that expands a thousand-fold, or a workbook claiming a million rows,
must be refused from its directory entries before anything is decompressed. The defaults
are generous for a national programme's quarterly CSVs; a deployment can tighten them.
"""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Upper bounds applied while reading a submission, before and during decompression."""

    max_file_bytes: int = 1024 * MIB
    """Largest single file: the uploaded file, or any one CSV in a folder."""

    max_uncompressed_bytes: int = 4096 * MIB
    """Largest total size once a zip or workbook is unpacked (or a folder's CSVs summed)."""

    max_compression_ratio: float = 200.0
    """Largest uncompressed/compressed ratio of one archive member (zip bombs exceed 1000)."""

    ratio_floor_bytes: int = 8 * MIB
    """Members smaller than this are never judged by their ratio: tiny XML parts of a
    workbook compress extremely well and are harmless."""

    max_members: int = 10_000
    """Most entries an archive may list."""

    max_rows: int = 20_000_000
    """Most data rows read from one sheet or CSV file."""
