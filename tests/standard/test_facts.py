"""The per-column facts every generator shares: ranges, patterns and notes."""

from __future__ import annotations

import re

import pytest

from needle.standard import Standard
from needle.standard.facts import (
    ColumnFacts,
    codes_pattern,
    entity_facts,
    instrument_label,
    item_columns,
)
from needle.standard.model import Column


@pytest.mark.parametrize(
    ("low", "high", "text"),
    [(1, 1440, "1 to 1440"), (0, None, "at least 0"), (None, 5, "at most 5"), (None, None, "")],
)
def test_range_text(low, high, text):
    facts = ColumnFacts(entity="e", column=Column(name="n", type="integer", min=low, max=high))
    assert facts.range_text() == text


def test_whole_bounds_stay_integers():
    facts = ColumnFacts(entity="e", column=Column(name="n", type="number", min=0.0, max=2.5))
    assert (facts.minimum, facts.maximum) == (0, 2.5)
    assert isinstance(facts.minimum, int)


def test_codes_pattern_allows_one_or_more_codes_and_escapes_metacharacters():
    pattern = codes_pattern(("a", "b.c"))
    assert re.fullmatch(pattern, "a")
    assert re.fullmatch(pattern, "a;b.c")
    assert re.fullmatch(pattern, "b.c ; a")
    assert not re.fullmatch(pattern, "bxc")
    assert not re.fullmatch(pattern, "a;")
    assert not re.fullmatch(pattern, "")


def test_examples_take_their_column_type(standard: Standard):
    sessions = {f.name: f for f in entity_facts(standard, "sessions")}
    assert sessions["duration_minutes"].example == 120
    assert sessions["session_date"].example == "2025-10-07"
    assert sessions["postcode"].example is None


def test_note_says_required_pi_range_reference_and_codes(standard: Standard):
    young = {f.name: f for f in entity_facts(standard, "young_people")}
    assert "Personal identifier" in young["postcode"].note()
    assert "Required on every row." in young["consent_to_share"].note()
    assert "yes = Yes" in young["consent_to_share"].note()
    assert "yes = Yes" not in young["consent_to_share"].note(allowed=False)
    sessions = {f.name: f for f in entity_facts(standard, "sessions")}
    assert "Allowed range: 1 to 1440." in sessions["duration_minutes"].note()
    assert "Must be a provision_ref listed in provisions." in sessions["provision_ref"].note()


def test_instrument_helpers(standard: Standard):
    assert instrument_label(standard, "ons4") == "ONS personal wellbeing (ONS4)"
    assert instrument_label(standard, "made_up") == "made_up"
    assert item_columns(7) == "q1 to q7"
    assert item_columns(1) == "q1"
