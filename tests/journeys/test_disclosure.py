"""Disclosure control of journey tables: small counts hidden for the steering group and the
public, with enough others that margins cannot give them away; the backbone sees all."""

from __future__ import annotations

from types import SimpleNamespace

import polars as pl
import pytest

from needle.errors import NeedleInputError
from needle.initiative.config import DisclosureConfig
from needle.journeys import ALL, COUNT, pathways, protected, referral_outcomes, referral_waits
from needle.journeys.pathways import END, MORE
from needle.journeys.tables import key_columns

CONFIG = SimpleNamespace(disclosure=DisclosureConfig(public=3, steering_group=3, partner=3))


def relations(table: pl.DataFrame) -> list[list[int]]:
    """Every margin relation as row numbers (total first), written out independently of
    the module: for each key with 'all' rows, the total and the rows it adds up."""
    keys = key_columns(table)
    rows = table.select(keys).rows()
    found = []
    for i in range(len(keys)):
        for t, total in enumerate(rows):
            if total[i] != ALL:
                continue
            parts = [
                p
                for p, row in enumerate(rows)
                if row[i] != ALL and all(row[j] == total[j] for j in range(len(keys)) if j != i)
            ]
            found.append([t, *parts])
    if {"step", "source", "target"} <= set(keys):
        at = {row: n for n, row in enumerate(rows)}
        for (step, source, target), n in at.items():
            if source == ALL and target not in (ALL, END, MORE):
                there = at.get((step + 1, target, ALL))
                if there is not None:
                    found.append([n, there])
    return found


def check_protected(raw: pl.DataFrame, shown: pl.DataFrame, threshold: int) -> set[int]:
    """The rules every protected table keeps; returns the hidden row numbers."""
    hidden = {i for i, s in enumerate(shown["status"]) if s != "published"}
    for i, (value, status) in enumerate(zip(raw[COUNT], shown["status"], strict=True)):
        if 0 < value < threshold:
            assert status != "published", f"small count in row {i} published"
    for members in relations(raw):
        hidden_here = [m for m in members if m in hidden]
        assert len(hidden_here) != 1, f"a relation with one hidden cell: {members}"
        if hidden_here and members[0] not in hidden:  # a published total: enough room
            assert sum(raw[COUNT][m] for m in hidden_here) >= threshold
    published = shown.filter(pl.col("status") == "published")[COUNT]
    assert published.to_list() == [
        v for i, v in enumerate(raw[COUNT]) if i not in hidden
    ]  # unchanged, not rounded
    return hidden


def test_a_small_cell_and_its_partners_in_the_margins_are_hidden() -> None:
    raw = pl.DataFrame(
        {
            "area": ["a", "a", "a", "b", "b", "b", ALL, ALL, ALL],
            "kind": ["x", "y", ALL, "x", "y", ALL, "x", "y", ALL],
            COUNT: [1, 6, 7, 5, 7, 12, 6, 13, 19],
        }
    )
    shown = protected(raw, "steering_group", CONFIG)
    hidden = check_protected(raw, shown, 3)
    assert 0 in hidden  # the 1
    assert len(hidden) >= 4  # its row, its column and the cell closing both
    assert set(shown.filter(pl.col("status") != "published")["status"]) == {"suppressed"}
    assert shown.filter(pl.col("status") != "published")[COUNT].null_count() == len(hidden)


def test_the_backbone_sees_every_number(data) -> None:
    raw = pathways(data)
    shown = protected(raw, "backbone", CONFIG)
    assert shown[COUNT].to_list() == raw[COUNT].to_list()
    assert set(shown["status"]) == {"published"}


def test_pathways_for_the_steering_group(linked) -> None:
    raw = pathways(linked)
    shown = protected(raw, "steering_group", CONFIG)
    hidden = check_protected(raw, shown, 3)
    assert hidden, "the hand-made pool has flows of 1 and 2"


@pytest.mark.parametrize("by", [None, "partner", "age_band"])
def test_referrals_for_the_steering_group(data, by: str | None) -> None:
    raw = referral_outcomes(data, by)
    check_protected(raw, protected(raw, "steering_group", CONFIG), 3)


def test_statistics_are_hidden_with_their_count(linked) -> None:
    raw = referral_waits(linked)  # 2 referrals followed by attendance: below 3
    shown = protected(raw, "steering_group", CONFIG).row(0, named=True)
    assert shown[COUNT] is None and shown["median"] is None and shown["q1"] is None


def test_public_counts_are_rounded_to_five(data) -> None:
    raw = pathways(data)
    shown = protected(raw, "public", CONFIG)
    published = shown.filter(pl.col("status") == "published")[COUNT].to_list()
    assert published and all(v % 5 == 0 for v in published)
    assert 10 in published  # the 12 young people of step 1


def test_partners_are_not_named_to_the_public(data) -> None:
    with pytest.raises(NeedleInputError, match="not named to the public"):
        protected(referral_outcomes(data, "partner"), "public", CONFIG)


def test_unknown_audience(data) -> None:
    with pytest.raises(NeedleInputError, match="not an audience"):
        protected(pathways(data), "press", CONFIG)
