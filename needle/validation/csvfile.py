"""Read one CSV file into a text table, whatever Excel or another tool saved it as.

Partners save CSVs from Excel in several encodings and, in some locales, with semicolons.
Refusing those would cost them a round trip for no gain in data quality, so Needle reads
what it can recognise with certainty and warns, and refuses only what it cannot decode.
Every cell is read as text: type inference would silently turn "007" into 7.
"""

from __future__ import annotations

import codecs
import csv
import io

import polars as pl

from needle.validation.limits import Limits
from needle.validation.raw import ROW, FileProblem, RawTable, Strip, position, tidy

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
_SNIFF_BYTES = 64 * 1024


def read_csv_bytes(data: bytes, *, name: str, source: str, limits: Limits) -> RawTable:
    """Parse the bytes of one CSV file named ``source``; raise ``FileProblem`` if impossible."""
    if len(data) > limits.max_file_bytes:
        raise FileProblem(
            "file_too_large",
            f"{source} is {len(data):,} bytes, more than the limit of {limits.max_file_bytes:,}.",
            source,
        )
    if _blank(data):
        raise FileProblem("file_empty", f"{source} is empty.", source)
    notes: list[tuple[str, str]] = []
    data = _from_utf16(data, source)
    if _blank(data):
        raise FileProblem("file_empty", f"{source} is empty.", source)
    delimiter = _sniff_delimiter(data)
    if delimiter != ",":
        notes.append(
            (
                "file_delimiter",
                f"{source} is separated by {DELIMITERS[delimiter]}s, not commas; "
                "Needle read it anyway.",
            )
        )
    try:
        # The parser checks UTF-8 as it goes, so valid files are never decoded twice.
        frame = _parse_fast(data, delimiter, limits)
    except pl.exceptions.PolarsError:
        data = _as_utf8(data, source, notes)
        frame = _parse(data, delimiter, source, limits)
    if frame.height > limits.max_rows + 1:
        raise FileProblem(
            "file_too_large",
            f"{source} has more than {limits.max_rows:,} rows, the most Needle reads from "
            "one file.",
            source,
        )
    cells = [c for c in frame.columns if c != ROW]
    header_row = frame.head(1)
    headers = [header_row[c][0] if header_row.height else None for c in cells]
    body = tidy(frame.slice(1), strip=_padding(data, delimiter))
    return RawTable(name=name, source=source, headers=headers, data=body, notes=notes)


# Lead bytes of whitespace beyond space and tab: ASCII controls and every Unicode space
# (U+0085, U+00A0, U+1680, U+2000-U+205F, U+3000).
_OTHER_SPACE_BYTES = (b"\x0b", b"\x0c", b"\xc2", b"\xe1", b"\xe2", b"\xe3")


def _padding(data: bytes, delimiter: str) -> Strip:
    """Which whitespace cells could start or end with: none, only spaces, or any.

    Searching the bytes for single characters runs at memory speed, far faster than
    stripping every cell; files of identifiers and codes usually hold no space at all.
    A false "maybe" only costs time. Carriage returns count only outside CRLF line ends,
    which the parser removes.
    """
    if any(b in data for b in _OTHER_SPACE_BYTES):
        return "any"
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
        return "any"
    if delimiter != "\t" and b"\t" in data:
        return "any"
    return "space" if b" " in data else "none"


def _blank(data: bytes) -> bool:
    """Only whitespace (or a byte-order mark); cheap for big files, which never are."""
    if data[:4096].lstrip(b"\xef\xbb\xbf\xff\xfe").strip():
        return False
    return not data.lstrip(b"\xef\xbb\xbf\xff\xfe").strip()


def _from_utf16(data: bytes, source: str) -> bytes:
    """UTF-16 (Excel's "Unicode Text") as UTF-8; it needs its byte-order mark to be
    recognised with certainty. NUL bytes without one mean UTF-16 without a mark, or
    not text at all."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise _encoding_problem(source) from None
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise _encoding_problem(source)
    return data


def _as_utf8(data: bytes, source: str, notes: list[tuple[str, str]]) -> bytes:
    """The bytes unchanged if they are UTF-8, else read as cp1252, with a warning.

    cp1252 (what Excel on Windows calls "CSV (Comma delimited)") is the only 8-bit
    encoding tried, because any byte soup decodes as Latin-1 and guessing between 8-bit
    encodings is unreliable.
    """
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise _encoding_problem(source) from None
    notes.append(
        (
            "file_encoding_legacy",
            f"{source} is not UTF-8; Needle read it as Windows-1252 (Western European).",
        )
    )
    return text.encode("utf-8")


def _encoding_problem(source: str) -> FileProblem:
    return FileProblem(
        "file_encoding",
        f"Needle cannot tell how the text in {source} is encoded (it is not UTF-8, UTF-16 "
        "with a byte-order mark, or Windows-1252), or it is not a text file.",
        source,
    )


def _sniff_delimiter(data: bytes) -> str:
    """The separator of the header line: whichever of comma, semicolon or tab is most used.

    Only the first line is inspected: it holds column names, which contain none of these
    characters, so counting outside quotes is reliable. A tie goes to the comma.
    """
    first = data[:_SNIFF_BYTES].split(b"\n", 1)[0].decode("utf-8", errors="replace")
    outside, in_quotes = [], False
    for char in first:
        if char == '"':
            in_quotes = not in_quotes
        elif not in_quotes:
            outside.append(char)
    text = "".join(outside)
    counts = {d: text.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _parse_fast(data: bytes, delimiter: str, limits: Limits) -> pl.DataFrame:
    """Every record as text, the header included as row 1, columns named by position."""
    frame = pl.read_csv(
        io.BytesIO(data),
        has_header=False,
        infer_schema=False,
        separator=delimiter,
        truncate_ragged_lines=True,
        row_index_name=ROW,
        row_index_offset=1,
        n_rows=limits.max_rows + 2,
        raise_if_empty=False,
    )
    return _by_position(frame)


def _parse(data: bytes, delimiter: str, source: str, limits: Limits) -> pl.DataFrame:
    """As ``_parse_fast``, falling back to Python's csv module for files Polars rejects.

    The csv module is slower but forgiving (an unbalanced quote, say), so the user still
    gets a full report rather than "unreadable".
    """
    try:
        return _parse_fast(data, delimiter, limits)
    except pl.exceptions.PolarsError:
        return _by_position(_parse_slowly(data, delimiter, source, limits))


def _by_position(frame: pl.DataFrame) -> pl.DataFrame:
    cells = [c for c in frame.columns if c != ROW]
    return frame.rename({c: position(i) for i, c in enumerate(cells)})


def _parse_slowly(data: bytes, delimiter: str, source: str, limits: Limits) -> pl.DataFrame:
    text = data.decode("utf-8-sig")
    try:
        records = []
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            records.append(record)
            if len(records) > limits.max_rows + 1:
                break
    except csv.Error:
        raise FileProblem(
            "file_unreadable",
            f"{source} is not a CSV file Needle can read: its quotes or line endings are damaged.",
            source,
        ) from None
    width = len(records[0]) if records else 0
    columns = {f"column_{i}": [r[i] if i < len(r) else None for r in records] for i in range(width)}
    frame = pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.String))
    return frame.with_row_index(ROW, offset=1)
