"""Changing needle.toml and the partner register in place (needle.initiative.edit)."""

from __future__ import annotations

import difflib
import os
import stat
from pathlib import Path

import pytest

from needle.initiative import (
    InitiativeConfig,
    PartnerConfig,
    PeriodsConfig,
    edit,
    init_home,
    load_config,
    open_home,
)
from needle.initiative.edit import SettingsError

ADMIN_NOTE = "# Agreed at the steering group of March 2025: do not lower without asking."


@pytest.fixture
def home(tmp_path: Path):
    config = InitiativeConfig(
        name="Edit Collective",
        periods=PeriodsConfig(first="2025-Q1"),
        partners=(PartnerConfig("YC", "Youth Club"), PartnerConfig("SPORT", "Sport for All")),
    )
    root = init_home(tmp_path / "home", config, reference=False).home.root
    path = root / "needle.toml"
    text = path.read_text(encoding="utf-8").replace(
        "[disclosure]\n", f"[disclosure]\n{ADMIN_NOTE}\n"
    )
    path.write_text(text, encoding="utf-8")
    return open_home(root)


def changed_lines(before: str, after: str) -> list[str]:
    diff = difflib.ndiff(before.splitlines(), after.splitlines())
    return [line for line in diff if line[:2] in ("- ", "+ ")]


def registered(home) -> dict[str, str]:
    with home.open_pool() as pool:
        return {p.code: p.name for p in pool.partners(include_removed=True)}


# ---- thresholds -------------------------------------------------------------------------


def test_a_threshold_change_touches_only_its_line(home) -> None:
    before = home.config_path.read_text(encoding="utf-8")
    old = home.config.disclosure.public
    config = edit.set_disclosure(home.config_path, {"public": old + 2})
    after = home.config_path.read_text(encoding="utf-8")
    assert changed_lines(before, after) == [f"- public = {old}", f"+ public = {old + 2}"]
    assert ADMIN_NOTE in after
    assert config.disclosure.public == old + 2
    assert load_config(home.config_path) == config


def test_several_thresholds_at_once(home) -> None:
    config = edit.set_disclosure(
        home.config_path, {"public": 12, "steering_group": 6, "partner": 4, "min_peers": 3}
    )
    d = load_config(home.config_path).disclosure
    assert (d.public, d.steering_group, d.partner, d.min_peers) == (12, 6, 4, 3)
    assert config.disclosure == d


@pytest.mark.parametrize(
    ("values", "key", "words"),
    [
        ({"min_peers": 2}, "disclosure.min_peers", "3 or more"),
        ({"public": -1}, "disclosure.public", "negative"),
        ({"partner": "5"}, "disclosure.partner", "whole number"),
        ({"backbone": 3}, "disclosure.backbone", "cannot be changed here"),
    ],
)
def test_a_refused_threshold_names_the_key_and_leaves_the_file(home, values, key, words) -> None:
    before = home.config_path.read_bytes()
    with pytest.raises(SettingsError) as refused:
        edit.set_disclosure(home.config_path, values)
    assert refused.value.key == key
    assert str(refused.value).startswith(f"{key}: ")
    assert words in refused.value.problem
    assert home.config_path.read_bytes() == before


def test_a_missing_key_is_added_to_its_table(home) -> None:
    path = home.config_path
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(x for x in lines if not x.startswith("min_peers")), encoding="utf-8")
    assert load_config(path).disclosure.min_peers == 5  # the default, before
    edit.set_disclosure(path, {"min_peers": 7})
    assert load_config(path).disclosure.min_peers == 7


def test_a_file_already_wrong_is_reported_not_rewritten(home) -> None:
    path = home.config_path
    text = path.read_text(encoding="utf-8").replace('first = "2025-Q1"', 'first = "2025-13"')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as refused:
        edit.set_disclosure(path, {"public": 11})
    assert refused.value.key == "periods.first"
    assert path.read_text(encoding="utf-8") == text


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(home, monkeypatch) -> None:
    before = home.config_path.read_bytes()
    listing = sorted(os.listdir(home.root))

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(edit.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        edit.set_disclosure(home.config_path, {"public": 20})
    assert home.config_path.read_bytes() == before
    assert sorted(os.listdir(home.root)) == listing


def test_the_file_keeps_its_permissions(home) -> None:
    os.chmod(home.config_path, 0o640)
    edit.set_disclosure(home.config_path, {"public": 15})
    assert stat.S_IMODE(home.config_path.stat().st_mode) == 0o640


# ---- the common agenda ------------------------------------------------------------------


def test_the_vision_changes_and_nothing_else(home) -> None:
    before = home.config_path.read_text(encoding="utf-8")
    config = edit.set_vision(home.config_path, 'Every young person has a "trusted adult".')
    assert config.agenda.vision == 'Every young person has a "trusted adult".'
    changed = changed_lines(before, home.config_path.read_text(encoding="utf-8"))
    assert len(changed) == 2 and all("vision = " in line for line in changed)


def test_a_vision_too_long_is_refused(home) -> None:
    before = home.config_path.read_bytes()
    with pytest.raises(SettingsError) as refused:
        edit.set_vision(home.config_path, "x" * 2001)
    assert refused.value.key == "agenda.vision"
    assert home.config_path.read_bytes() == before


# ---- partners ---------------------------------------------------------------------------


def test_a_new_partner_is_registered_and_listed_with_the_others(home) -> None:
    before = home.config_path.read_text(encoding="utf-8")
    config = edit.add_partner(home, " arts ", "Arts Together")
    assert registered(home)["ARTS"] == "Arts Together"
    assert config.partner("ARTS").name == "Arts Together"
    after = home.config_path.read_text(encoding="utf-8")
    assert [line for line in changed_lines(before, after) if line.strip("+- ")] == [
        "+ [[partners]]",
        '+ code = "ARTS"',
        '+ name = "Arts Together"',
    ]
    # in the list, before the outcomes framework's comments, not after them
    assert after.index('code = "ARTS"') < after.index("# The outcomes framework")
    assert load_config(home.config_path) == config


def test_a_partner_is_listed_even_when_the_file_had_none(tmp_path: Path) -> None:
    config = InitiativeConfig(name="Bare", periods=PeriodsConfig(first="2025-Q1"))
    home = init_home(tmp_path / "bare", config, reference=False).home
    edit.add_partner(home, "YC", "Youth Club")
    assert load_config(home.config_path).partners == (PartnerConfig("YC", "Youth Club"),)
    assert registered(home) == {"YC": "Youth Club"}


@pytest.mark.parametrize(
    ("code", "name", "key", "words"),
    [
        ("Y", "Tiny", "partners[2].code", "2 to 16"),
        ("ARTS", "  ", "partners[2].name", "no name"),
        ("SPORT", "Another Sport", "partners.code", "already"),
    ],
)
def test_a_refused_partner_leaves_file_and_register(home, code, name, key, words) -> None:
    before, register = home.config_path.read_bytes(), registered(home)
    with pytest.raises(SettingsError) as refused:
        edit.add_partner(home, code, name)
    assert refused.value.key == key
    assert words in str(refused.value)
    assert home.config_path.read_bytes() == before
    assert registered(home) == register


def test_a_code_once_used_is_never_reused(home) -> None:
    with home.open_pool() as pool:
        pool.add_partner("OLD", "Old Partner")
        pool.remove_partner("OLD")
    before = home.config_path.read_bytes()
    with pytest.raises(SettingsError, match="OLD"):
        edit.add_partner(home, "OLD", "New Partner")
    assert home.config_path.read_bytes() == before
    assert registered(home)["OLD"] == "Old Partner"


def test_a_rename_changes_register_and_file_alike(home) -> None:
    config = edit.rename_partner(home, "YC", "Youth Club Trafford")
    assert registered(home)["YC"] == "Youth Club Trafford"
    assert config.partner("YC").name == "Youth Club Trafford"
    assert load_config(home.config_path).partner("SPORT").name == "Sport for All"


def test_a_partner_only_in_the_register_is_renamed_there(home) -> None:
    with home.open_pool() as pool:
        pool.add_partner("LATE", "Late Joiner")
    before = home.config_path.read_bytes()
    edit.rename_partner(home, "LATE", "Late Joiners CIC")
    assert registered(home)["LATE"] == "Late Joiners CIC"
    assert home.config_path.read_bytes() == before


@pytest.mark.parametrize(
    ("code", "name", "key"),
    [
        ("YC", "", "partners.name"),
        ("YC", "x" * 201, "partners.name"),
        ("NOPE", "N", "partners.code"),
    ],
)
def test_a_refused_rename_changes_nothing(home, code, name, key) -> None:
    before, register = home.config_path.read_bytes(), registered(home)
    with pytest.raises(SettingsError) as refused:
        edit.rename_partner(home, code, name)
    assert refused.value.key == key
    assert home.config_path.read_bytes() == before
    assert registered(home) == register


@pytest.mark.parametrize(
    ("message", "key"),
    [
        ("disclosure.public: 3 is negative.", "disclosure.public"),
        ("initiative.area[0]: 'X' is not a GSS area code.", "initiative.area[0]"),
        (
            "population_indicators[1].baseline.value: 140 is not possible.",
            "population_indicators[1].baseline.value",
        ),
        ("The file is not valid: fix it.", ""),
    ],
)
def test_a_refusal_knows_its_key(message: str, key: str) -> None:
    from needle.errors import NeedleInputError

    refusal = edit._refused(NeedleInputError(message))
    assert refusal.key == key
    assert str(refusal) == message
    assert refusal.problem == (message.split(": ", 1)[1] if key else message)
