"""Whole-file problems: each gets a clear message and no traceback."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from submission_builders import PERIOD, TODAY, csv_text, one, write_folder, write_zip

from needle.validation import Limits, load_submission, validate_path
from needle.validation.report import EXIT_INVALID, EXIT_UNREADABLE, EXIT_VALID


def _validate(path: Path, **kwargs):
    kwargs.setdefault("today", TODAY)
    return validate_path(path, **kwargs)


def _unreadable(report, rule: str):
    problem = one(report, rule)
    assert report.unreadable and report.exit_code == EXIT_UNREADABLE
    assert "Traceback" not in report.render_text()
    return problem


def test_empty_file(tmp_path):
    path = tmp_path / "attendance.csv"
    path.write_bytes(b"")
    problem = _unreadable(_validate(path), "file_empty")
    assert problem.source == "attendance.csv"
    assert "attendance.csv is empty" in problem.message


def test_whitespace_only_csv_in_a_folder_is_empty(rows, tmp_path):
    folder = write_folder(tmp_path / "s", rows)
    (folder / "milestones.csv").write_text("\n  \r\n", encoding="utf-8")
    problem = _unreadable(_validate(folder, period=PERIOD), "file_empty")
    assert problem.source == "milestones.csv"


def test_missing_path(tmp_path):
    problem = _unreadable(_validate(tmp_path / "nowhere.xlsx"), "file_unreadable")
    assert "nowhere.xlsx" in problem.message


def test_unknown_file_type(tmp_path):
    path = tmp_path / "attendance.pdf"
    path.write_bytes(b"%PDF-1.4 not a table")
    _unreadable(_validate(path), "file_type")


def test_ods_is_an_unsupported_spreadsheet(tmp_path):
    path = tmp_path / "submission.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    _unreadable(_validate(path), "file_type")


# --- encodings and delimiters -------------------------------------------------------


def _provisions_csv(rows, **kwargs) -> str:
    rows["provisions"][0]["name"] = "Café Club – Tuesdays"
    return csv_text(rows["provisions"], **kwargs)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_unicode_encodings_are_read_silently(rows, tmp_path, encoding):
    path = tmp_path / "provisions.csv"
    path.write_bytes(_provisions_csv(rows).encode(encoding))
    sub = load_submission(path, today=TODAY)
    assert sub.report.problems == [], sub.report.render_text()
    assert sub.tables["provisions"]["name"][0] == "Café Club – Tuesdays"


def test_windows_1252_is_read_with_a_warning(rows, tmp_path):
    path = tmp_path / "provisions.csv"
    path.write_bytes(_provisions_csv(rows).encode("cp1252"))
    sub = load_submission(path, today=TODAY)
    problem = one(sub.report, "file_encoding_legacy")
    assert (problem.severity, problem.source) == ("warning", "provisions.csv")
    assert sub.report.valid
    assert sub.tables["provisions"]["name"][0] == "Café Club – Tuesdays"


@pytest.mark.parametrize(
    "content",
    [
        b"provision_ref,name\nPRV-1,\x81\x8d\x8f\x90\x9d\xff\xfe\n",  # neither UTF-8 nor cp1252
        b"p\x00r\x00o\x00v\x00,\x00n\x00\n\x00",  # UTF-16 without a byte-order mark
    ],
)
def test_undecodable_text(tmp_path, content):
    path = tmp_path / "provisions.csv"
    path.write_bytes(content)
    _unreadable(_validate(path), "file_encoding")


@pytest.mark.parametrize(("sep", "word"), [(";", "semicolon"), ("\t", "tab")])
def test_other_delimiters_are_read_with_a_warning(rows, tmp_path, sep, word):
    path = tmp_path / "sessions.csv"
    path.write_text(csv_text(rows["sessions"], sep=sep), encoding="utf-8")
    sub = load_submission(path, today=TODAY)
    problem = one(sub.report, "file_delimiter")
    assert word in problem.message and problem.severity == "warning"
    assert sub.tables["sessions"]["duration_minutes"].to_list() == [120, 120, 60]


def test_blank_lines_keep_row_numbers_as_seen(tmp_path):
    text = "session_ref,person_ref\nS-1,YP-1\n\n\nS-2,\n"
    report = _validate(_write(tmp_path, "attendance.csv", text))
    problem = one(report, "required")
    assert problem.row == 5
    assert report.rows["attendance"] == 2


def test_quoted_newlines_count_as_one_row(tmp_path):
    text = 'provision_ref,name,category\nPRV-1,"Two\nlines",other\nPRV-2,Club,nonsense\n'
    problem = one(_validate(_write(tmp_path, "provisions.csv", text)), "code_unknown")
    assert problem.row == 3  # Excel's row, not the text editor's line


def test_unbalanced_quote_does_not_crash(tmp_path):
    text = 'session_ref,person_ref\nS-1,"YP-1\nS-2,YP-2\n'
    report = _validate(_write(tmp_path, "attendance.csv", text))
    assert report.exit_code in (EXIT_VALID, EXIT_INVALID, EXIT_UNREADABLE)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- legacy, encrypted and damaged workbooks -----------------------------------------


def test_legacy_xls(tmp_path):
    import xlwt

    book = xlwt.Workbook()
    book.add_sheet("young_people").write(0, 0, "person_ref")
    path = tmp_path / "submission.xls"
    book.save(str(path))
    problem = _unreadable(_validate(path), "file_legacy_xls")
    assert "97-2003" in problem.message


def test_password_protected_workbook(rows, tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = io.BytesIO()
    openpyxl.Workbook().save(plain)
    plain.seek(0)
    path = tmp_path / "submission.xlsx"
    with path.open("wb") as out:
        OOXMLFile(plain).encrypt("s3cret", out)
    _unreadable(_validate(path), "file_password")


def test_password_protected_zip(tmp_path):
    path = tmp_path / "submission.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("attendance.csv", "session_ref,person_ref\n")
    data = bytearray(path.read_bytes())
    # set the "encrypted" flag bit in the local and central headers
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        data[at + offset] |= 0x01
    path.write_bytes(bytes(data))
    _unreadable(_validate(path), "file_password")


def test_truncated_workbook(rows, tmp_path):
    from submission_builders import write_workbook

    whole = write_workbook(tmp_path / "whole.xlsx", rows).read_bytes()
    path = tmp_path / "broken.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    problem = _unreadable(_validate(path), "file_unreadable")
    assert "broken.xlsx" in problem.message


def test_workbook_with_damaged_xml(tmp_path):
    path = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook><sheets><sheet")
    _unreadable(_validate(path), "file_unreadable")


def test_renamed_text_file_posing_as_a_workbook(tmp_path):
    _unreadable(_validate(_write(tmp_path, "submission.xlsx", "a,b\n1,2\n")), "file_unreadable")


# --- sizes and archives ---------------------------------------------------------------


def test_zip_bomb_is_refused_before_unpacking(tmp_path):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("attendance.csv", b"session_ref,person_ref\n" + b"0" * 2_000_000)
    limits = Limits(ratio_floor_bytes=100_000, max_compression_ratio=100)
    problem = _unreadable(_validate(path, limits=limits), "file_archive_suspicious")
    assert "times" in problem.message


def test_workbook_is_judged_as_an_archive_too(rows, tmp_path):
    from submission_builders import write_workbook

    path = write_workbook(tmp_path / "w.xlsx", rows)
    _unreadable(_validate(path, limits=Limits(max_uncompressed_bytes=1000)), "file_too_large")


def test_file_too_large(rows, tmp_path):
    folder = write_folder(tmp_path / "s", rows)
    report = _validate(folder / "attendance.csv", limits=Limits(max_file_bytes=20))
    _unreadable(report, "file_too_large")


def test_too_many_rows(rows, tmp_path):
    folder = write_folder(tmp_path / "s", rows)
    report = _validate(folder, limits=Limits(max_rows=4), period=PERIOD)
    problem = _unreadable(report, "file_too_large")
    assert problem.source == "attendance.csv"  # the only file with five rows
    assert "attendance" not in report.rows


def test_too_many_archive_members(rows, tmp_path):
    path = write_zip(tmp_path / "s.zip", rows)
    _unreadable(_validate(path, limits=Limits(max_members=3)), "file_archive_suspicious")


# --- which sheets and files count ---------------------------------------------------


def test_unknown_files_are_warned_about_and_notes_ignored(rows, tmp_path):
    folder = write_folder(tmp_path / "s", rows)
    (folder / "notes.csv").write_text("anything\n1\n", encoding="utf-8")
    (folder / "README.md").write_text("# notes for people\n", encoding="utf-8")
    (folder / "instructions.txt").write_text("Fill the template.\n", encoding="utf-8")
    (folder / ".DS_Store").write_bytes(b"\x00\x01")
    report = _validate(folder, period=PERIOD)
    problem = one(report, "sheet_unknown")
    assert problem.source == "notes.csv" and problem.severity == "warning"
    assert report.valid


def test_zip_with_a_top_folder_and_mac_debris(rows, tmp_path):
    path = tmp_path / "s.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for entity, entity_rows in rows.items():
            archive.writestr(f"Q1 data/{entity}.csv", csv_text(entity_rows))
        archive.writestr("__MACOSX/Q1 data/._attendance.csv", b"\x00\x05\x16\x07")
    report = _validate(path, period=PERIOD)
    assert report.problems == [], report.render_text()


def test_no_recognised_entity(tmp_path):
    report = _validate(_write(tmp_path, "data.csv", "a,b\n1,2\n"))
    assert one(report, "submission_empty").severity == "error"
    assert one(report, "sheet_unknown").source == "data.csv"
    assert report.exit_code == EXIT_INVALID


def test_entity_given_twice(rows, tmp_path):
    folder = write_folder(tmp_path / "s", rows)
    (folder / "Young People.csv").write_text(csv_text(rows["young_people"]), encoding="utf-8")
    problem = one(_validate(folder, period=PERIOD), "sheet_duplicate")
    assert problem.entity == "young_people"


def test_csv_named_with_spaces_and_capitals_is_recognised(rows, tmp_path):
    path = _write(tmp_path, "Young People.csv", csv_text(rows["young_people"]))
    report = _validate(path, period=PERIOD)
    assert report.rows == {"young_people": 4} and report.valid


# --- standard version ---------------------------------------------------------------


def test_version_from_instructions_txt(rows, tmp_path):
    path = write_zip(
        tmp_path / "s.zip", rows, extra={"instructions.txt": "Standard version: 1.0\n"}
    )
    report = _validate(path, period=PERIOD)
    assert report.standard_version == "1.0" and report.valid


def test_unknown_version_is_unreadable(rows, tmp_path):
    path = write_zip(tmp_path / "s.zip", rows, extra={"instructions.txt": "Standard version: 9.9"})
    problem = _unreadable(_validate(path, period=PERIOD), "standard_version")
    assert "9.9" in problem.message


def test_version_argument_overrides_the_file(rows, tmp_path):
    path = write_zip(tmp_path / "s.zip", rows, extra={"instructions.txt": "Standard version: 9.9"})
    assert _validate(path, period=PERIOD, standard_version="1.0").valid
    report = _validate(path, period=PERIOD, standard_version="0.1")
    _unreadable(report, "standard_version")


@pytest.mark.parametrize("pad", [" ", "\t", "\u00a0", "\u2003", "  \r"])
def test_cells_are_trimmed_of_any_whitespace(tmp_path, pad):
    text = f"session_ref,person_ref\nS-1{pad},{pad}YP-1\n{pad},YP-2\n"
    sub = load_submission(_write(tmp_path, "attendance.csv", text), today=TODAY)
    table = sub.tables["attendance"]
    assert table["session_ref"].to_list() == ["S-1", None]
    assert table["person_ref"].to_list() == ["YP-1", "YP-2"]
    assert one(sub.report, "required").row == 3
