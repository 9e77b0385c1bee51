"""Small submissions built in code, so each test shows the data it is about.

``clean_rows()`` is a valid submission: a few young people, provisions, sessions,
attendance, measurements, referrals and milestones, all in the 2025-Q1 period and judged
on ``TODAY``. Tests copy it, plant one problem, and write it out as a folder, zip, single
CSV or workbook.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl

from needle.periods import parse_period
from needle.standard import load_standard
from needle.validation import Problem, Report

TODAY = date(2025, 6, 1)
PERIOD = parse_period("2025-Q1")

# Distinctive personal identifiers: tests assert none of them ever reaches a report.
SECRET_NAME = "Zebedeeqx"
SECRET_FAMILY = "Quillfeatherby"
SECRET_POSTCODE = "ZZ9 9ZZ"

Rows = dict[str, list[dict[str, Any]]]


def clean_rows() -> Rows:
    return {
        "young_people": [
            _person("YP-001", "Sam", "Taylor", "2010-05-17", "M32 0AA", "female", "yes"),
            _person("YP-002", "Ali", "Khan", "12/03/2011", "m41 0aa", "Male", "yes"),
            _person("YP-003", "Jo", "Smith", "2009-11-30", "SW1A 1AA", "non_binary", "no"),
            _person("YP-004", "Kim", "Lee", "2012-01-08", "WA141AA", "prefer_not_to_say", "Yes"),
        ],
        "provisions": [
            {
                "provision_ref": "PRV-01",
                "name": "Tuesday Youth Club",
                "category": "open_access_youth_club",
                "outcome_areas": "wellbeing;participation",
                "min_age": "11",
                "max_age": "19",
                "postcode": "M41 0AA",
                "delivery_mode": "in_person",
                "access": "open_access",
                "cost": "free",
                "capacity": "30",
                "start_date": "2024-09-01",
                "end_date": "2026-07-31",
            },
            {
                "provision_ref": "PRV-02",
                "name": "Mentoring",
                "category": "Mentoring",
                "outcome_areas": "",
                "min_age": "",
                "max_age": "",
                "postcode": "",
                "delivery_mode": "hybrid",
                "access": "referral_only",
                "cost": "free",
                "capacity": "",
                "start_date": "2024-01-01",
                "end_date": "",
            },
        ],
        "sessions": [
            _session("S-001", "PRV-01", "2025-01-07", "18:30", "120"),
            _session("S-002", "PRV-01", "14/01/2025", "18:30:00", "120"),
            _session("S-003", "PRV-02", "2025-03-31", "", "60"),
        ],
        "attendance": [
            {"session_ref": "S-001", "person_ref": "YP-001"},
            {"session_ref": "S-001", "person_ref": "YP-002"},
            {"session_ref": "S-002", "person_ref": "YP-001"},
            {"session_ref": "S-002", "person_ref": "YP-003"},
            {"session_ref": "S-003", "person_ref": "YP-004"},
        ],
        "measurements": [
            _measurement("YP-001", "swemwbs", "2025-01-07", "baseline", [3, 4, 3, 2, 3, 4, 3]),
            _measurement("YP-001", "SWEMWBS", "2025-03-25", "exit", [4, 4, 4, 3, 3, 4, 4]),
            _measurement("YP-002", "ons4", "2025-02-01", "baseline", [7, 6, 0, 10]),
        ],
        "referrals": [
            {
                "referral_ref": "REF-1",
                "person_ref": "YP-003",
                "direction": "out",
                "partner_org": "MENTOR",
                "provision_ref": "",
                "referred_on": "2025-02-01",
                "reason": "Wants help finding an apprenticeship",
                "status": "accepted",
                "status_date": "2025-02-10",
            }
        ],
        "milestones": [
            {
                "person_ref": "YP-002",
                "milestone": "entered_training",
                "achieved_on": "2025-03-01",
                "evidence": "verified",
            }
        ],
    }


def _person(ref, given, family, dob, postcode, gender, consent) -> dict[str, Any]:
    return {
        "person_ref": ref,
        "given_name": given,
        "family_name": family,
        "date_of_birth": dob,
        "postcode": postcode,
        "gender": gender,
        "ethnicity": "white_british",
        "disability": "no",
        "send": "none",
        "free_school_meals": "not_known",
        "care_experienced": "no",
        "young_carer": "no",
        "education_employment_status": "in_education",
        "first_contact_date": "2024-10-01",
        "consent_to_share": consent,
    }


def _session(ref, provision, day, start, minutes) -> dict[str, Any]:
    return {
        "session_ref": ref,
        "provision_ref": provision,
        "session_date": day,
        "start_time": start,
        "duration_minutes": minutes,
        "postcode": "",
        "staff_count": "2",
        "volunteer_count": "1",
        "anonymous_attendance": "4",
    }


def _measurement(person, instrument, day, timepoint, items) -> dict[str, Any]:
    row: dict[str, Any] = {
        "person_ref": person,
        "instrument": instrument,
        "administered_on": day,
        "timepoint": timepoint,
    }
    for i in range(1, 15):
        row[f"q{i}"] = str(items[i - 1]) if i <= len(items) else ""
    return row


def csv_text(rows: list[dict[str, Any]], headers: list[str] | None = None, sep: str = ",") -> str:
    headers = headers or (list(rows[0]) if rows else [])
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if row.get(h) is None else row.get(h) for h in headers])
    return out.getvalue()


def headers_for(entity: str, rows: list[dict[str, Any]]) -> list[str]:
    """The rows' own keys, or the standard's columns for a sheet with no rows."""
    if rows:
        return list(rows[0])
    return [n for n, c in load_standard().entities[entity].columns.items() if not c.deprecated]


def write_folder(folder: Path, rows: Rows) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for entity, entity_rows in rows.items():
        text = csv_text(entity_rows, headers_for(entity, entity_rows))
        (folder / f"{entity}.csv").write_text(text, encoding="utf-8")
    return folder


def write_zip(path: Path, rows: Rows, extra: dict[str, str | bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for entity, entity_rows in rows.items():
            text = csv_text(entity_rows, headers_for(entity, entity_rows))
            archive.writestr(f"{entity}.csv", text)
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return path


def write_workbook(path: Path, rows: Rows, version: Any = None) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    if version is not None:
        info = book.create_sheet("instructions")
        info.append(["About this workbook", "Fill one sheet per entity."])
        info.append(["Standard version", version])
    for entity, entity_rows in rows.items():
        sheet = book.create_sheet(entity)
        headers = headers_for(entity, entity_rows)
        sheet.append(headers)
        for row in entity_rows:
            sheet.append([row.get(h) if row.get(h) != "" else None for h in headers])
    book.save(path)
    return path


def only(report: Report, rule: str) -> list[Problem]:
    """The listed problems of one rule."""
    return [p for p in report.problems if p.rule == rule]


def one(report: Report, rule: str) -> Problem:
    """The single problem of ``rule``; fails with the whole report otherwise."""
    found = only(report, rule)
    assert len(found) == 1, report.render_text(first=20)
    return found[0]


def rules(report: Report) -> set[str]:
    return {rule for (_, rule) in report.counts}
