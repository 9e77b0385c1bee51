"""The loader: versions, code lists, personal identifiers, and a definition that is broken
must stop Needle rather than produce a quietly wrong standard."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path
from typing import Any

import pytest
import yaml

from needle.standard import (
    CURRENT_VERSION,
    Standard,
    available_versions,
    load_standard,
    load_standard_file,
    normalise_token,
)
from needle.standard.model import StandardDefinitionError, parse_standard

#: Census 2021 ethnic group per Trafford LSOA, bundled with Needle (needle/reference/data).
TRAFFORD_ETHNICITY = (
    Path(__file__).resolve().parents[2]
    / "needle/reference/data/trafford_population_ethnic_group_lsoa_2021.csv.gz"
)

#: A broken definition is a bug in Needle: the loader raises one of these, never returns.
BROKEN = StandardDefinitionError



# --- versions -----------------------------------------------------------------------------


def test_current_version_is_available_and_is_the_default():
    assert CURRENT_VERSION in available_versions()
    assert load_standard() == load_standard(CURRENT_VERSION)
    assert load_standard().version == CURRENT_VERSION


def test_versions_are_sorted_numerically():
    versions = available_versions()
    keys = [tuple(int(p) for p in v.split(".")) for v in versions]
    assert keys == sorted(keys)


def test_unknown_version_raises_key_error():
    with pytest.raises(KeyError):
        load_standard("0.9")


def test_entities_are_those_of_the_product_design(standard: Standard):
    assert tuple(standard.entities) == (
        "young_people",
        "provisions",
        "sessions",
        "attendance",
        "measurements",
        "referrals",
        "milestones",
    )


# --- personal identifiers -----------------------------------------------------------------


def test_personal_identifiers_are_exactly_names_birth_date_and_postcode(standard: Standard):
    assert standard.pi_columns == {
        ("young_people", "given_name"),
        ("young_people", "family_name"),
        ("young_people", "date_of_birth"),
        ("young_people", "postcode"),
    }
    assert standard.entities["young_people"].pi_columns == (
        "given_name",
        "family_name",
        "date_of_birth",
        "postcode",
    )


def test_no_personal_identifier_is_required(standard: Standard):
    """A partner who cannot share identifiers still submits: they are always optional."""
    for entity, column in standard.pi_columns:
        assert not standard.entities[entity].columns[column].required


# --- code lists ---------------------------------------------------------------------------


def test_codes_and_labels_lookup_is_case_and_punctuation_insensitive(standard: Standard):
    lookup = standard.codelists["ethnicity"].lookup()
    assert lookup[normalise_token("WHITE: Irish")] == "white_irish"
    british = "white: english, welsh, scottish, northern irish or british"
    assert lookup[normalise_token(british)] == "white_british"
    assert lookup[normalise_token(" White_British ")] == "white_british"
    gender = standard.codelists["gender"].lookup()
    assert gender[normalise_token("non binary")] == "non_binary"
    assert gender[normalise_token("Non-Binary")] == "non_binary"


@pytest.mark.parametrize("name", list(load_standard().codelists))
def test_every_code_and_label_finds_its_own_code(standard: Standard, name: str):
    """No label may be shadowed by another code that normalises the same way."""
    codelist = standard.codelists[name]
    lookup = codelist.lookup()
    for code in codelist.codes:
        assert lookup[normalise_token(code.code)] == code.code
        assert lookup[normalise_token(code.label)] == code.code, code.label
    assert len(set(codelist.values)) == len(codelist.values)
    assert len({normalise_token(label) for label in codelist.labels}) == len(codelist.labels)


def test_codelist_for_a_column(standard: Standard):
    column = standard.entities["young_people"].columns["send"]
    assert standard.codelist_for(column).values == ("ehcp", "sen_support", "none", "not_known")
    with pytest.raises(KeyError):
        standard.codelist_for(standard.entities["young_people"].columns["person_ref"])


def test_ethnicity_has_the_19_ons_2021_categories(standard: Standard):
    ethnicity = standard.codelists["ethnicity"]
    categories = [c for c in ethnicity.codes if c.group]
    assert len(categories) == 19
    assert {c.group for c in categories} == {"asian", "black", "mixed", "white", "other"}
    not_recorded = {c.code for c in ethnicity.codes if not c.group}
    assert not_recorded == {"prefer_not_to_say", "not_known"}


def test_ethnicity_labels_match_census_2021(standard: Standard):
    """The labels are those ONS publishes with Census 2021, so population data joins."""
    with gzip.open(TRAFFORD_ETHNICITY, "rt", encoding="utf-8", newline="") as stream:
        census = {row["ethnic_group"] for row in csv.DictReader(stream)}
    ours = {c.label for c in standard.codelists["ethnicity"].codes if c.group}
    assert ours == census


def test_neet_label_is_complete(standard: Standard):
    codes = standard.codelists["education_employment_status"].codes
    labels = {c.code: c.label for c in codes}
    assert labels["neet"] == "Not in education, employment or training"


def test_code_list_entries_have_only_known_keys(raw_definition: dict[str, Any]):
    """An unquoted comma in a YAML flow mapping silently splits a label into a new key."""
    for name, codes in raw_definition["codelists"].items():
        for entry in codes:
            assert set(entry) <= {"code", "label", "group"}, (name, entry)
            assert isinstance(entry["code"], str) and isinstance(entry["label"], str), entry


# --- the definition is consistent ---------------------------------------------------------


def test_instrument_code_list_matches_the_instruments(standard: Standard):
    assert set(standard.codelists["instrument"].values) == set(standard.instruments)
    items = standard.entities["measurements"].columns
    for instrument in standard.instruments.values():
        assert instrument.min <= instrument.max
        for n in range(1, instrument.items + 1):
            assert f"q{n}" in items


def test_references_point_at_a_primary_key(standard: Standard):
    for entity in standard.entities.values():
        for column in entity.columns.values():
            if column.references:
                target, target_column = column.references
                assert standard.entities[target].primary_key == (target_column,)


def test_activity_dates_and_checks_name_real_columns(standard: Standard):
    for entity in standard.entities.values():
        if entity.activity_date:
            assert entity.columns[entity.activity_date].type == "date"
        for check in entity.checks:
            for key, value in check.items():
                if key != "rule":
                    assert value in entity.columns, (entity.name, check)


def test_ranges_are_ordered_and_only_on_numbers(standard: Standard):
    for entity in standard.entities.values():
        for column in entity.columns.values():
            if column.min is not None or column.max is not None:
                assert column.type in ("integer", "number"), column.name
            if column.min is not None and column.max is not None:
                assert column.min <= column.max, column.name


def test_rules_used_by_the_generators_exist(standard: Standard):
    """Templates quote these hints rather than writing their own."""
    for rule in ("type_date", "type_time", "type_integer", "type_number", "postcode_format",
                 "code_unknown", "cell_formula"):
        assert rule in standard.rules


# --- a broken definition fails loudly -----------------------------------------------------


def _set_type(d: dict[str, Any]) -> None:
    d["entities"]["sessions"]["columns"]["duration_minutes"]["type"] = "minutes"


def _unknown_codelist(d: dict[str, Any]) -> None:
    d["entities"]["young_people"]["columns"]["gender"]["codelist"] = "genders"


def _reference_to_unknown_column(d: dict[str, Any]) -> None:
    d["entities"]["attendance"]["columns"]["session_ref"]["references"] = "sessions.id"


def _reference_to_unknown_entity(d: dict[str, Any]) -> None:
    d["entities"]["attendance"]["columns"]["session_ref"]["references"] = "events.session_ref"


def _unknown_primary_key(d: dict[str, Any]) -> None:
    d["entities"]["sessions"]["primary_key"] = ["session_id"]


def _unknown_rule(d: dict[str, Any]) -> None:
    d["entities"]["milestones"]["checks"] = [{"rule": "no_such_rule"}]


def _bad_severity(d: dict[str, Any]) -> None:
    d["rules"]["required"]["severity"] = "fatal"


def _column_without_type(d: dict[str, Any]) -> None:
    del d["entities"]["attendance"]["columns"]["person_ref"]["type"]


@pytest.mark.parametrize(
    "breakage",
    [
        _set_type,
        _unknown_codelist,
        _reference_to_unknown_column,
        _reference_to_unknown_entity,
        _unknown_primary_key,
        _unknown_rule,
        _bad_severity,
        _column_without_type,
    ],
)
def test_a_broken_definition_fails_loudly(raw_definition: dict[str, Any], breakage):
    breakage(raw_definition)
    with pytest.raises(BROKEN):
        parse_standard(raw_definition)


def test_a_definition_file_loads_and_a_broken_one_fails(
    raw_definition: dict[str, Any], tmp_path: Path
):
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(raw_definition), encoding="utf-8")
    assert load_standard_file(good).entities.keys() == load_standard().entities.keys()

    _unknown_codelist(raw_definition)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(raw_definition), encoding="utf-8")
    with pytest.raises(BROKEN, match="gender"):
        load_standard_file(bad)
