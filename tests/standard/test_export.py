"""The Frictionless Data Package, the Table Schemas and the JSON Schema: valid in their own
languages, faithful to the definition, and accepted by the real tools."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import frictionless
import jsonschema
import pytest
from click.testing import CliRunner

from needle.cli import main
from needle.standard import Standard, load_standard
from needle.standard.export import datapackage, json_schema, table_schema, write_exports
from needle.standard.facts import POSTCODE_PATTERN, export_filenames

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "docs" / "reference"
REGENERATE = "needle standard export docs/reference"


def _fields(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in schema["fields"]}


def _write_csv(path: Path, rows: list[dict[str, Any]], header: list[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _validate_table(tmp_path: Path, standard: Standard, entity: str, rows: list[dict]):
    """Validate rows as ``<entity>.csv`` alone against the exported Table Schema, as the
    benchmark does."""
    header = list(standard.entities[entity].columns)
    path = _write_csv(tmp_path / f"{entity}.csv", rows, header)
    schema = frictionless.Schema.from_descriptor(table_schema(standard, entity))
    # Relative path plus basepath: frictionless refuses absolute paths as "not safe".
    resource = frictionless.Resource(path=path.name, basepath=str(tmp_path), schema=schema)
    return frictionless.validate(resource)


def _errors(report) -> list[tuple[str | None, str]]:
    return [(fieldname, kind) for fieldname, kind in report.flatten(["fieldName", "type"])]


# --- the data package ---------------------------------------------------------------------


def test_one_tabular_resource_per_entity(standard: Standard):
    package = datapackage(standard)
    assert package["profile"] == "tabular-data-package"
    assert package["version"] == standard.version
    assert [r["name"] for r in package["resources"]] == list(standard.entities)
    for resource in package["resources"]:
        assert resource["path"] == f"{resource['name']}.csv"
        assert resource["profile"] == "tabular-data-resource"
        entity = standard.entities[resource["name"]]
        assert [f["name"] for f in resource["schema"]["fields"]] == list(entity.columns)
        assert resource["schema"].get("primaryKey", []) == list(entity.primary_key)


def test_the_package_descriptor_is_valid_for_frictionless(standard: Standard):
    report = frictionless.Package.validate_descriptor(datapackage(standard))
    assert report.valid, report.flatten(["type", "note"])


@pytest.mark.parametrize("entity", list(load_standard().entities))
def test_every_table_schema_is_valid_for_frictionless(standard: Standard, entity: str):
    report = frictionless.Schema.validate_descriptor(table_schema(standard, entity))
    assert report.valid, report.flatten(["type", "note"])


def test_field_types_and_constraints_follow_the_definition(standard: Standard):
    young = _fields(table_schema(standard, "young_people"))
    assert young["person_ref"]["constraints"]["required"] is True
    assert young["given_name"]["constraints"]["required"] is False
    assert young["date_of_birth"]["type"] == "date"
    assert young["postcode"]["type"] == "string"
    assert young["postcode"]["constraints"]["pattern"] == POSTCODE_PATTERN
    assert young["ethnicity"]["constraints"]["enum"] == list(
        standard.codelists["ethnicity"].values
    )
    assert young["ethnicity"]["needle:labels"]["white_irish"] == "White: Irish"
    assert young["ethnicity"]["needle:groups"]["white_irish"] == "white"

    sessions = _fields(table_schema(standard, "sessions"))
    assert sessions["duration_minutes"]["type"] == "integer"
    assert sessions["duration_minutes"]["constraints"] == {
        "required": True,
        "minimum": 1,
        "maximum": 1440,
    }
    assert sessions["start_time"]["type"] == "time"
    assert sessions["start_time"]["format"] == "%H:%M"

    outcome_areas = _fields(table_schema(standard, "provisions"))["outcome_areas"]
    assert outcome_areas["type"] == "string"
    assert re.fullmatch(outcome_areas["constraints"]["pattern"], "wellbeing; safety")
    assert not re.fullmatch(outcome_areas["constraints"]["pattern"], "wellbeing;happiness")


def test_personal_identifiers_are_marked(standard: Standard):
    marked = {
        (resource["name"], field["name"])
        for resource in datapackage(standard)["resources"]
        for field in resource["schema"]["fields"]
        if field["needle:personalIdentifier"]
    }
    assert marked == standard.pi_columns


def test_foreign_keys_come_from_references(standard: Standard):
    package = {r["name"]: r["schema"] for r in datapackage(standard)["resources"]}
    assert package["attendance"]["foreignKeys"] == [
        {
            "fields": ["session_ref"],
            "reference": {"resource": "sessions", "fields": ["session_ref"]},
        },
        {
            "fields": ["person_ref"],
            "reference": {"resource": "young_people", "fields": ["person_ref"]},
        },
    ]
    references = sum(
        1 for e in standard.entities.values() for c in e.columns.values() if c.references
    )
    assert sum(len(s.get("foreignKeys", [])) for s in package.values()) == references
    # A lone table cannot see the tables it refers to, so its schema leaves them out.
    assert "foreignKeys" not in table_schema(standard, "attendance")
    assert "foreignKeys" in table_schema(standard, "attendance", foreign_keys=True)


def test_deprecated_columns_are_marked(deprecated_standard: Standard):
    field = _fields(table_schema(deprecated_standard, "attendance"))["attendee_ref"]
    assert field["needle:deprecated"] == {
        "since": "1.0",
        "use": "person_ref",
        "message": "Renamed.",
    }
    row = json_schema(deprecated_standard)["$defs"]["attendance"]["properties"]["attendee_ref"]
    assert row["deprecated"] is True


# --- frictionless accepts good data and rejects bad data ----------------------------------


def test_frictionless_accepts_a_good_attendance_csv(standard: Standard, tmp_path: Path):
    rows = [
        {"session_ref": "S-1", "person_ref": "YP-1"},
        {"session_ref": "S-1", "person_ref": "YP-2"},
        {"session_ref": "S-2", "person_ref": "YP-1"},
    ]
    report = _validate_table(tmp_path, standard, "attendance", rows)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type"])


@pytest.mark.parametrize(
    ("bad_row", "error"),
    [
        ({"session_ref": "S-1", "person_ref": ""}, ("person_ref", "constraint-error")),
        ({"session_ref": "S-1", "person_ref": "YP-1"}, (None, "primary-key")),
    ],
    ids=["missing-required", "duplicate-key"],
)
def test_frictionless_rejects_a_bad_attendance_csv(
    standard: Standard, tmp_path: Path, bad_row: dict, error: tuple
):
    rows = [{"session_ref": "S-1", "person_ref": "YP-1"}, bad_row]
    report = _validate_table(tmp_path, standard, "attendance", rows)
    assert not report.valid
    assert error in _errors(report)


@pytest.mark.parametrize(
    ("column", "value", "kind"),
    [
        ("duration_minutes", "0", "constraint-error"),
        ("duration_minutes", "ninety", "type-error"),
        ("start_time", "25:00", "type-error"),
        ("session_date", "31/13/2025", "type-error"),
        ("postcode", "M32", "constraint-error"),
    ],
)
def test_frictionless_rejects_a_planted_bad_value(
    standard: Standard, examples: dict, tmp_path: Path, column: str, value: str, kind: str
):
    good = dict(examples["sessions"][0])
    bad = {**good, "session_ref": "S-bad", column: value}
    report = _validate_table(tmp_path, standard, "sessions", [good, bad])
    assert _errors(report) == [(column, kind)]


def test_the_examples_make_a_valid_package_and_a_broken_reference_is_found(
    standard: Standard, examples: dict, tmp_path: Path
):
    """The whole package with foreign keys, run by frictionless as a downstream user would."""
    descriptor = tmp_path / "datapackage.json"
    descriptor.write_text(json.dumps(datapackage(standard)), encoding="utf-8")
    for name, entity in standard.entities.items():
        _write_csv(tmp_path / f"{name}.csv", examples[name], list(entity.columns))
    report = frictionless.validate(str(descriptor))
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type"])

    attendance = [*examples["attendance"], {"session_ref": "S-nowhere", "person_ref": "YP-00123"}]
    _write_csv(tmp_path / "attendance.csv", attendance, ["session_ref", "person_ref"])
    report = frictionless.validate(str(descriptor))
    assert [e[-1] for e in report.flatten(["resourceName", "type"])] == ["foreign-key"]


@pytest.mark.parametrize(
    "postcode", ["M32 0AA", "m32 0aa", "M320AA", "SW1A 1AA", "EC1A 1BB", "W1A 0AX", "GIR 0AA"]
)
def test_postcode_pattern_accepts_uk_postcodes(postcode: str):
    assert re.fullmatch(POSTCODE_PATTERN, postcode)


@pytest.mark.parametrize("postcode", ["M32", "M32 0A", "M32 0AAA", "32M 0AA", "M32  0AA", ""])
def test_postcode_pattern_rejects_other_text(postcode: str):
    assert not re.fullmatch(POSTCODE_PATTERN, postcode)


# --- JSON Schema --------------------------------------------------------------------------


def _typed(standard: Standard, entity: str, row: dict[str, str]) -> dict[str, Any]:
    """A CSV-like row as JSON: numbers as numbers, blanks left out."""
    columns = standard.entities[entity].columns
    out: dict[str, Any] = {}
    for name, value in row.items():
        if value == "":
            continue
        kind = columns[name].type
        out[name] = int(value) if kind == "integer" else float(value) if kind == "number" else value
    return out


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json_schema(load_standard())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def test_json_schema_is_draft_2020_12(standard: Standard):
    schema = json_schema(standard)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert set(schema["properties"]) == set(schema["$defs"]) == set(standard.entities)
    young = schema["$defs"]["young_people"]
    assert young["required"] == ["person_ref", "consent_to_share"]
    assert young["properties"]["given_name"]["needle:personalIdentifier"] is True
    assert young["properties"]["date_of_birth"]["format"] == "date"


def test_the_examples_are_a_valid_json_submission(standard: Standard, examples: dict, validator):
    submission = {
        name: [_typed(standard, name, row) for row in rows] for name, rows in examples.items()
    }
    assert list(validator.iter_errors(submission)) == []
    assert list(validator.iter_errors({})) == []  # an empty submission is valid


def test_optional_values_may_be_null(validator):
    row = {"person_ref": "YP-1", "consent_to_share": "yes", "gender": None, "postcode": None}
    assert list(validator.iter_errors({"young_people": [row]})) == []


@pytest.mark.parametrize(
    ("entity", "change", "keyword"),
    [
        ("young_people", {"consent_to_share": "maybe"}, "enum"),
        ("milestones", {"achieved_on": None}, "type"),
        ("young_people", {"person_ref": ""}, "minLength"),
        ("young_people", {"date_of_birth": "17/05/2009"}, "format"),
        ("young_people", {"postcode": "nowhere"}, "pattern"),
        ("sessions", {"duration_minutes": 0}, "minimum"),
        ("sessions", {"duration_minutes": "120"}, "type"),
        ("sessions", {"start_time": "6.30pm"}, "pattern"),
        ("provisions", {"outcome_areas": "wellbeing;joy"}, "pattern"),
        ("attendance", {"person_ref": None}, "type"),
    ],
)
def test_json_schema_rejects_bad_values(
    standard: Standard, examples: dict, validator, entity: str, change: dict, keyword: str
):
    row = {**_typed(standard, entity, examples[entity][0]), **change}
    errors = list(validator.iter_errors({entity: [row]}))
    assert [e.validator for e in errors] == [keyword]


def test_json_schema_requires_required_columns(standard: Standard, examples: dict, validator):
    row = _typed(standard, "milestones", examples["milestones"][0])
    del row["achieved_on"]
    errors = list(validator.iter_errors({"milestones": [row]}))
    assert [e.validator for e in errors] == ["required"]


# --- files --------------------------------------------------------------------------------


def test_write_exports_is_deterministic(standard: Standard, tmp_path: Path):
    first = write_exports(tmp_path / "a", standard)
    second = write_exports(tmp_path / "b", standard)
    names = export_filenames(standard.version)
    assert [p.name for p in first] == [
        names["datapackage"],
        names["json_schema"],
        names["reference"],
    ]
    for one, two in zip(first, second, strict=True):
        data = one.read_bytes()
        assert data == two.read_bytes()
        assert data.endswith(b"\n") and not data.endswith(b"\n\n")
        assert b"\r\n" not in data
    assert json.loads(first[0].read_text(encoding="utf-8")) == datapackage(standard)
    assert json.loads(first[1].read_text(encoding="utf-8")) == json_schema(standard)


def test_cli_standard_export(tmp_path: Path):
    result = CliRunner().invoke(main, ["standard", "export", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        export_filenames(load_standard().version).values()
    )


def test_committed_reference_files_are_current(standard: Standard, tmp_path: Path):
    """docs/reference holds generated copies; they must match the definition."""
    for fresh in write_exports(tmp_path, standard):
        committed = REFERENCE_DIR / fresh.name
        assert committed.exists(), f"{committed} is missing: run `{REGENERATE}`"
        assert committed.read_text(encoding="utf-8") == fresh.read_text(encoding="utf-8"), (
            f"{committed} is stale: the standard changed since it was generated. "
            f"Run `{REGENERATE}` and commit the result."
        )
