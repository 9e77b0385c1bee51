"""Partners: the organisations allowed to submit."""

from __future__ import annotations

import pytest

from needle.errors import NeedleInputError


def test_add_list_and_get(pool):
    added = pool.add_partner(" trafford-yc ", "Trafford Youth Club")
    assert added.code == "TRAFFORD-YC"
    assert added.active
    assert [p.code for p in pool.partners()] == ["SPORT", "TRAFFORD-YC", "YC"]
    assert pool.partner("trafford-yc").name == "Trafford Youth Club"


@pytest.mark.parametrize("code", ["A", "THIS-CODE-IS-TOO-LONG", "A.B", "A B", "../X", ""])
def test_malformed_codes_are_refused(pool, code):
    with pytest.raises(NeedleInputError, match="not a valid partner code"):
        pool.add_partner(code, "Someone")


def test_a_name_is_required(pool):
    with pytest.raises(NeedleInputError, match="name"):
        pool.add_partner("NEW", "  ")


def test_duplicate_code_is_a_user_error(pool):
    with pytest.raises(NeedleInputError, match="already a partner with code YC"):
        pool.add_partner("Yc", "Another club")


def test_unknown_code_lists_the_known_ones(pool):
    with pytest.raises(NeedleInputError) as info:
        pool.partner("NOPE")
    assert "NOPE" in str(info.value)
    assert "SPORT, YC" in str(info.value)


def test_remove_is_soft_and_final(pool):
    pool.remove_partner("yc")
    assert [p.code for p in pool.partners()] == ["SPORT"]
    removed = [p for p in pool.partners(include_removed=True) if p.code == "YC"]
    assert removed and removed[0].removed_at is not None
    assert pool.partner("YC").removed_at is not None  # still known: its history stays
    with pytest.raises(NeedleInputError, match="already been removed"):
        pool.remove_partner("YC")
    with pytest.raises(NeedleInputError, match="not reused"):
        pool.add_partner("YC", "A new club")


def test_remove_unknown_is_a_user_error(pool):
    with pytest.raises(NeedleInputError, match="no partner with code GHOST"):
        pool.remove_partner("ghost")


def test_partner_changes_are_audited(pool):
    pool.remove_partner("SPORT")
    actions = [(a.action, a.org) for a in pool.audit()]
    assert actions == [
        ("partner_added", "YC"),
        ("partner_added", "SPORT"),
        ("partner_removed", "SPORT"),
    ]
