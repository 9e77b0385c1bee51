"""``periods.submission_due_days``: read, checked, written back, defaulted."""

from __future__ import annotations

import tomllib

import pytest

from needle.errors import NeedleInputError
from needle.initiative import InitiativeConfig, PeriodsConfig, config_to_toml, parse_config

MINIMAL = '[initiative]\nname = "X"\n[periods]\nfirst = "2025-Q1"\n'


def test_the_default_is_four_weeks() -> None:
    assert parse_config(tomllib.loads(MINIMAL)).periods.submission_due_days == 28


def test_it_is_read_and_written_back_with_a_comment() -> None:
    config = parse_config(tomllib.loads(MINIMAL + "submission_due_days = 10\n"))
    assert config.periods.submission_due_days == 10
    text = config_to_toml(config)
    lines = text.splitlines()
    at = lines.index("submission_due_days = 10")
    assert lines[at - 1].startswith("#")
    assert parse_config(tomllib.loads(text)) == config


@pytest.mark.parametrize(
    ("value", "fix"), [("-1", "0 or more"), ('"28"', "whole number"), ("2.5", "whole number")]
)
def test_a_bad_value_names_the_key_and_the_fix(value: str, fix: str) -> None:
    with pytest.raises(NeedleInputError) as caught:
        parse_config(tomllib.loads(MINIMAL + f"submission_due_days = {value}\n"))
    assert str(caught.value).startswith("periods.submission_due_days: ")
    assert fix in str(caught.value)


def test_a_config_built_in_python_is_checked_too() -> None:
    with pytest.raises(NeedleInputError, match=r"periods\.submission_due_days"):
        InitiativeConfig(name="X", periods=PeriodsConfig(first="2025-Q1", submission_due_days=-3))
