"""needle.toml: written with comments, read back equal, and every mistake named and fixable."""

from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from needle.errors import NeedleInputError
from needle.initiative import (
    DisclosureConfig,
    InitiativeConfig,
    LinkageConfig,
    PartnerConfig,
    PeriodsConfig,
    config_to_toml,
    load_config,
    parse_config,
    period_containing,
    trafford_demo_config,
    write_config,
)

EXAMPLE = """
[initiative]
name = "Trafford Youth Collective"
area = ["E08000009"]
[periods]
frequency = "quarter"
first = "2024-Q4"
[disclosure]
public = 10
steering_group = 5
partner = 5
[linkage]
secret_file = "secrets/linkage.key"
[[partners]]
code = "TYC"
name = "Trafford Youth Clubs"
"""


def _with(**changes: str) -> dict:
    """The example, parsed, with ``table.key`` replaced by a TOML value (or removed: None)."""
    data = tomllib.loads(EXAMPLE)
    for dotted, value in changes.items():
        *path, key = dotted.split(".")
        target = data
        for part in path:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is None:
            del target[key]
        else:
            target[key] = tomllib.loads(f"v = {value}")["v"]
    return data


def test_the_issue_example_reads_as_expected() -> None:
    config = parse_config(tomllib.loads(EXAMPLE))
    assert config == InitiativeConfig(
        name="Trafford Youth Collective",
        area=("E08000009",),
        periods=PeriodsConfig(first="2024-Q4", frequency="quarter"),
        disclosure=DisclosureConfig(public=10, steering_group=5, partner=5),
        linkage=LinkageConfig(secret_file="secrets/linkage.key"),
        partners=(PartnerConfig("TYC", "Trafford Youth Clubs"),),
    )
    assert config.periods.first_period.start == date(2024, 10, 1)
    assert config.disclosure.threshold("steering_group") == 5
    assert config.partner("TYC").name == "Trafford Youth Clubs"


def test_defaults_fill_what_is_left_out() -> None:
    config = parse_config({"initiative": {"name": "X"}, "periods": {"first": "2025-Q1"}})
    assert config.area == ()
    assert config.periods.frequency == "quarter"
    assert config.disclosure == DisclosureConfig(public=10, steering_group=5, partner=5)
    assert config.linkage.secret_file == "secrets/linkage.key"
    assert config.partners == ()


@pytest.mark.parametrize(
    "config",
    [
        trafford_demo_config(),
        InitiativeConfig(name="Minimal", periods=PeriodsConfig(first="2026", frequency="year")),
        InitiativeConfig(
            name='Quotes " and \\ backslashes, tabs\tand\nnew lines, Łódź, 東京',
            area=("E08000009", "E08000003"),
            periods=PeriodsConfig(first="2025-07", frequency="month"),
            disclosure=DisclosureConfig(public=0, steering_group=3, partner=11),
            linkage=LinkageConfig(secret_file="/srv/secrets/needle.key"),
            partners=(PartnerConfig("A-1", "x"), PartnerConfig("B_2", 'y = "z"')),
        ),
    ],
    ids=["demo", "minimal", "awkward"],
)
def test_round_trip(tmp_path: Path, config: InitiativeConfig) -> None:
    path = write_config(config, tmp_path / "needle.toml")
    assert load_config(path) == config


@given(st.text(min_size=1).filter(str.strip))
def test_any_name_round_trips(name: str) -> None:
    config = InitiativeConfig(name=name, periods=PeriodsConfig(first="2024-Q4"))
    assert parse_config(tomllib.loads(config_to_toml(config))) == config


def test_every_key_is_explained_in_the_written_file() -> None:
    text = config_to_toml(InitiativeConfig(name="X", periods=PeriodsConfig(first="2024-Q1")))
    assert text.count("#") >= 10
    assert "[[partners]]" in text  # an example, commented out, when there are none
    assert parse_config(tomllib.loads(text)).partners == ()


def test_write_refuses_to_replace(tmp_path: Path, config: InitiativeConfig) -> None:
    path = write_config(config, tmp_path / "needle.toml")
    with pytest.raises(NeedleInputError, match=r"will not replace"):
        write_config(config, path)
    write_config(config, path, overwrite=True)


def test_period_labels_are_made_canonical() -> None:
    assert PeriodsConfig(first="2024q4").first == "2024-Q4"


@pytest.mark.parametrize(
    ("changes", "key", "fix"),
    [
        ({"initiative.name": None}, "initiative.name", 'add name = "'),
        ({"initiative.name": '"  "'}, "initiative.name", "give the initiative's name"),
        ({"initiative.name": "3"}, "initiative.name", "must be text in quotes"),
        ({"initiative.area": '"E08000009"'}, "initiative.area", 'area = ["E08000009"]'),
        ({"initiative.area": '["Trafford"]'}, "initiative.area[0]", "E08000009 for Trafford"),
        ({"initiative.area": '["E08000009", "E08000009"]'}, "initiative.area", "once"),
        ({"initiative.title": '"x"'}, "initiative.title", "known keys: name, area"),
        ({"periods.first": None}, "periods.first", 'add first = "2024-Q4"'),
        ({"periods.first": '"2024-Q5"'}, "periods.first", "a quarter such as 2026-Q3"),
        ({"periods.first": '"2024-10"'}, "periods.first", "is a month but"),
        ({"periods.first": "2024"}, "periods.first", "must be text in quotes"),
        ({"periods.frequency": '"weekly"'}, "periods.frequency", "quarter, month, year"),
        ({"periods.frequncy": '"month"'}, "periods.frequncy", "did you mean 'frequency'"),
        ({"disclosure.public": "-1"}, "disclosure.public", "0 or more"),
        ({"disclosure.partner": '"5"'}, "disclosure.partner", "whole number such as 5"),
        ({"disclosure.partner": "2.5"}, "disclosure.partner", "whole number"),
        ({"disclosure.partner": "true"}, "disclosure.partner", "not true/false"),
        ({"disclosure.funders": "5"}, "disclosure.funders", "known keys: public"),
        ({"linkage.secret_file": '""'}, "linkage.secret_file", "secrets/linkage.key"),
        ({"partners.0.code": '"tyc"'}, "partners[0].code", "'TYC' would do"),
        ({"partners.0.code": '"T/C"'}, "partners[0].code", "2 to 16 upper case"),
        ({"partners.0.name": None}, "partners[0].name", "needs a code and a name"),
        ({"partners.0.name": '""'}, "partners[0].name", "give its full name"),
        ({"partners.0.name": '"' + "x" * 201 + '"'}, "partners[0].name", "200 at most"),
        ({"partner": '"TYC"'}, "partner", "did you mean 'partners'"),
        ({"partners": '"TYC"'}, "partners", "[[partners]] tables"),
        ({"periods": '"quarter"'}, "periods", "must be a table ([periods])"),
    ],
)
def test_each_mistake_names_the_key_and_the_fix(changes: dict, key: str, fix: str) -> None:
    with pytest.raises(NeedleInputError) as caught:
        parse_config(_with(**changes))
    message = str(caught.value)
    assert message.startswith(f"{key}: "), message
    assert fix in message, message


def test_duplicate_partner_codes() -> None:
    data = _with()
    data["partners"].append({"code": "TYC", "name": "Another"})
    with pytest.raises(NeedleInputError, match=r"partners\[1\]\.code: TYC is already used"):
        parse_config(data)


def test_a_config_built_in_python_is_checked_too() -> None:
    with pytest.raises(NeedleInputError, match=r"disclosure.public: -3 is negative"):
        DisclosureConfig(public=-3)
    with pytest.raises(NeedleInputError, match=r"periods.first"):
        PeriodsConfig(first="2024", frequency="quarter")
    with pytest.raises(NeedleInputError, match=r"partners"):
        PartnerConfig("x", "y")


def test_load_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "needle.toml"
    path.write_text(EXAMPLE.replace('"2024-Q4"', '"2024-Q9"'), encoding="utf-8")
    with pytest.raises(NeedleInputError, match=rf"^{re.escape(str(path))}: periods\.first: "):
        load_config(path)


def test_load_invalid_toml(tmp_path: Path) -> None:
    path = tmp_path / "needle.toml"
    path.write_text("[initiative]\nname = Trafford\n", encoding="utf-8")
    with pytest.raises(NeedleInputError, match=r"not valid TOML.*line 2"):
        load_config(path)


def test_load_not_utf8_and_missing(tmp_path: Path) -> None:
    path = tmp_path / "needle.toml"
    path.write_bytes(b'[initiative]\nname = "Caf\xe9"\n')
    with pytest.raises(NeedleInputError, match=r"not UTF-8"):
        load_config(path)
    with pytest.raises(NeedleInputError, match=r"not found"):
        load_config(tmp_path / "absent.toml")


def test_period_containing() -> None:
    day = date(2026, 5, 17)
    assert period_containing("quarter", day).label == "2026-Q2"
    assert period_containing("month", day).label == "2026-05"
    assert period_containing("year", day).label == "2026"
    with pytest.raises(NeedleInputError, match=r"periods.frequency"):
        period_containing("week", day)


def test_the_demo_matches_the_synthetic_initiative() -> None:
    from needle.synth.generate import FIRST_PERIOD
    from needle.synth.partners import load_partners

    demo = trafford_demo_config()
    assert demo.periods.first == FIRST_PERIOD
    assert [p.code for p in demo.partners] == [p.code for p in load_partners()]


def test_partner_codes_follow_the_pool_register_rule() -> None:
    model = pytest.importorskip("needle.pool.model")
    for code in ("TYC", "EARLYHELP", "A-1", "B_2", "X" * 16):
        assert model.normalise_code(code) == PartnerConfig(code, "n").code
    for code in ("T", "X" * 17, "T.C", "T C"):
        with pytest.raises(NeedleInputError):
            model.normalise_code(code)
        with pytest.raises(NeedleInputError):
            PartnerConfig(code, "n")
