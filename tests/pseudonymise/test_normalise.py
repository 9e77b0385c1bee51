"""Normalisation: the recording differences it removes, and the alternatives it keeps."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest

from needle.errors import NeedleInputError
from needle.pseudonymise import (
    canonical_given_name,
    nickname_table,
    normalise_name_value,
    normalise_people,
    normalise_postcode,
)


def one(**columns: object) -> dict[str, object]:
    schema = {k: (pl.Date if k == "date_of_birth" else pl.String) for k in columns}
    frame = pl.DataFrame({k: [v] for k, v in columns.items()}, schema=schema)
    return normalise_people(frame).row(0, named=True)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Zoë", "zoe"),
        ("ZOE", "zoe"),
        ("  Mary   Jane ", "mary jane"),
        ("ŁUKASZ", "lukasz"),
        ("Straße", "strasse"),
        ("Ødegård", "odegard"),
        ("Æsa", "aesa"),
        ("Dvořák", "dvorak"),
        ("Siobhán", "siobhan"),
        ("Ｊｏｈｎ", "john"),  # full-width letters
        ("Smith-Jones", "smith jones"),
        ("O'Neill", "oneill"),
        ("O’Neill", "oneill"),  # typographic apostrophe
        ("D'Souza", "dsouza"),
        ("McDonald", "mcdonald"),
        ("MacDonald", "macdonald"),  # Mc and Mac are kept as written
        ("Jean-Luc.", "jean luc"),
        ("J0hn", "j hn"),  # digits are not letters
        ("张伟", "张伟"),  # other scripts kept, not deleted
        ("Unknown", None),
        ("N/A", None),
        ("---", None),
        ("", None),
        (None, None),
    ],
)
def test_names_are_folded(raw: str | None, expected: str | None) -> None:
    assert normalise_name_value(raw) == expected


def test_given_name_forms() -> None:
    row = one(given_name="Mr Bill")
    assert row["given"] == "bill"  # title removed, the name as written kept
    assert row["given_canonical"] == "william"  # the nickname only as an alternative
    assert row["given_initial"] == "b"

    row = one(given_name="Mary-Jane")
    assert (row["given"], row["given_compact"], row["given_first"]) == (
        "mary jane",
        "maryjane",
        "mary",
    )


def test_family_name_forms() -> None:
    row = one(family_name="Smith-Jones")
    assert row["family"] == "smith jones"
    assert row["family_compact"] == "smithjones"
    assert (row["family_first"], row["family_last"]) == ("smith", "jones")
    assert one(family_name="Smith Jnr")["family"] == "smith"
    assert one(family_name="Mac Donald")["family_compact"] == "macdonald"


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("Bill", "william"),
        ("Billy", "william"),
        ("Will", "william"),
        ("William", "william"),
        ("Liz", "elizabeth"),
        ("Beth", "elizabeth"),
        ("Mohammed", "muhammad"),
        ("Muhammad", "muhammad"),
        ("Mohamed", "muhammad"),
        ("Mohammad", "muhammad"),
        ("Kasia", "katherine"),  # Kasia -> Katarzyna -> Katherine
        ("Katarzyna", "katherine"),
        ("Ola", "alexandra"),  # Ola -> Aleksandra -> Alexandra
        ("Xin Yi", "xinyi"),  # a two-word name is one name
        ("Xinyi", "xinyi"),
        ("Muhammad Ali", "muhammad"),
        ("Mohamed Ali", "muhammad"),
        ("Kyle", "kyle"),  # not in the table: itself
    ],
)
def test_nicknames_are_kept_as_an_alternative(variant: str, canonical: str) -> None:
    assert canonical_given_name(variant) == canonical


def test_nickname_table_is_consistent() -> None:
    table = nickname_table()
    assert len(table) >= 300
    for variant, canonical in table.items():
        assert variant and canonical and " " not in canonical
        # Chains are resolved: a canonical name is its own canonical form.
        assert table.get(canonical, canonical) == canonical, variant


@pytest.mark.parametrize("raw", ["M32 0AB", "m320ab", " m32  0ab ", "M32-0AB", "M320A B"])
def test_postcode_spacing_and_case(raw: str) -> None:
    assert normalise_postcode(raw) == {
        "postcode": "M320AB",
        "postcode_valid": True,
        "postcode_outward": "M32",
        "postcode_sector": "M32 0",
    }


def test_postcode_shapes() -> None:
    assert normalise_postcode("SW1A 1AA")["postcode_sector"] == "SW1A 1"
    assert normalise_postcode("B1 1AA")["postcode_outward"] == "B1"
    foreign = normalise_postcode("4223")  # kept for exact comparison, no coarse parts
    assert foreign == {
        "postcode": "4223",
        "postcode_valid": False,
        "postcode_outward": None,
        "postcode_sector": None,
    }
    for placeholder in ["NFA", "Unknown", "ZZ99 3VZ", "", None]:
        assert normalise_postcode(placeholder)["postcode"] is None, placeholder


def test_dates_of_birth() -> None:
    row = one(date_of_birth=date(2009, 5, 17))
    assert (row["dob_year"], row["dob_month"], row["dob_day"]) == (2009, 5, 17)
    assert one(date_of_birth=date(1900, 1, 1))["dob"] is None  # spreadsheet artefact
    frame = pl.DataFrame({"date_of_birth": [datetime(2009, 5, 17, 0, 0)]})
    assert normalise_people(frame)["dob"].item() == date(2009, 5, 17)


def test_text_dates_are_refused_without_echoing_them() -> None:
    frame = pl.DataFrame({"date_of_birth": ["17/05/2009"]})
    with pytest.raises(NeedleInputError) as caught:
        normalise_people(frame)
    assert "17/05/2009" not in str(caught.value)


def test_missing_columns_are_null() -> None:
    row = normalise_people(pl.DataFrame({"person_ref": ["a"]})).row(0, named=True)
    assert row["given"] is None and row["dob"] is None and row["postcode"] is None
