"""Journeys over the hand-made pool (tests/indicators/pools.py), against answers worked out
by hand from its rows, without and with linkage (tests/journeys/links.py).

Who attended what, in order of first attendance (from SESSIONS and ATTENDANCE):

    YC:A1   club (10 Jan), detached (2 May)        YC:A2, YC:A5, YC:A7   club
    YC:A3   detached (7 Feb), unknown (1 Mar)      YC:A6   club (11 Apr), detached (2 May)
    SPORT:B1, B2, A1, B3   sport                   ARTS:C1, C2   arts

Linked, YC:A1 and SPORT:A1 are one young person: club (10 Jan), sport (13 Jan), detached.
"""

from __future__ import annotations

import polars as pl
import pytest

from needle.errors import NeedleInputError
from needle.journeys import (
    ALL,
    COUNT,
    disengagement,
    funnel,
    journey_counts,
    pathways,
    referral_outcomes,
    referral_waits,
    timeline,
    typical_journeys,
)
from needle.journeys.pathways import END, MORE

CLUB, DET, SPORT, ARTS = (
    "open_access_youth_club",
    "detached_outreach",
    "sport_physical_activity",
    "arts_culture",
)


def cells(table: pl.DataFrame, keys: list[str]) -> dict[tuple | str, int]:
    """{key (or keys): count}."""
    rows = table.select(*keys, COUNT).iter_rows()
    return {(r[0] if len(keys) == 1 else tuple(r[:-1])): r[-1] for r in rows}


def flows_only(table: pl.DataFrame) -> dict[tuple, int]:
    inner = table.filter((pl.col("source") != ALL) & (pl.col("target") != ALL))
    return cells(inner, ["step", "source", "target"])


def test_pathways_follow_each_partners_young_people_apart(data) -> None:
    flows = pathways(data)
    assert flows_only(flows) == {
        (1, CLUB, DET): 2,  # A1, A6
        (1, CLUB, END): 3,  # A2, A5, A7
        (1, DET, "unknown"): 1,  # A3
        (1, SPORT, END): 4,
        (1, ARTS, END): 2,
        (2, DET, END): 2,
        (2, "unknown", END): 1,
    }
    margins = cells(flows, ["step", "source", "target"])
    assert margins[(1, ALL, ALL)] == 12
    assert margins[(1, CLUB, ALL)] == 5
    assert margins[(1, ALL, DET)] == margins[(2, DET, ALL)] == 2


def test_pathways_follow_a_linked_young_person_across_partners(linked) -> None:
    flows = flows_only(pathways(linked))
    assert flows[(1, CLUB, SPORT)] == 1  # P-0001
    assert flows[(1, CLUB, DET)] == 1  # A6 only
    assert flows[(1, SPORT, END)] == 3
    assert flows[(2, SPORT, DET)] == 1
    assert flows[(3, DET, END)] == 1
    assert cells(pathways(linked), ["step", "source", "target"])[(1, ALL, ALL)] == 11


def test_pathways_beyond_the_last_step_go_to_more(linked) -> None:
    flows = flows_only(pathways(linked, max_steps=2))
    assert flows[(2, SPORT, MORE)] == 1
    assert max(step for step, _, _ in flows) == 2


def test_referral_funnel(data) -> None:
    # Counted once: every "out" referral, and YC's R4 "in" from SCHOOL (not a partner);
    # SPORT's R3 "in" from YC is YC's to count.
    outcomes = referral_outcomes(data)
    assert cells(outcomes, ["outcome"]) == {
        ALL: 9, "made": 2, "accepted": 1, "started": 4, "completed": 1, "declined": 1,
    }  # fmt: skip
    stages = {r["stage"]: (r[COUNT], r["rate"]) for r in funnel(outcomes).iter_rows(named=True)}
    assert stages["made"] == (9, 100.0)
    assert stages["accepted"] == (6, pytest.approx(600 / 9))
    assert stages["started"] == (5, pytest.approx(500 / 9))
    assert stages["completed"] == (1, pytest.approx(100 / 9))


def test_referral_funnel_by_partner(data) -> None:
    outcomes = cells(referral_outcomes(data, "partner"), ["partner", "outcome"])
    assert outcomes[("YC", ALL)] == 6
    assert outcomes[("SPORT", ALL)] == 3
    assert outcomes[(ALL, ALL)] == 9


def test_a_hidden_outcome_hides_the_stages_it_is_part_of() -> None:
    outcomes = pl.DataFrame(
        {"outcome": [ALL, "accepted", "started", "completed"], COUNT: [20, 8, None, 6]}
    )
    stages = {r["stage"]: r[COUNT] for r in funnel(outcomes).iter_rows(named=True)}
    assert stages == {"made": 20, "accepted": None, "started": None, "completed": 6}


def test_waits_need_linkage_to_see_the_receiving_partner(data, linked) -> None:
    # Unlinked, only YC's R4 (from SCHOOL, 5 Jan) is followed at YC: A3's first session,
    # 7 Feb, 33 days. Linked, R1 (YC to SPORT, 10 Jan) is followed by F2 on 13 Jan: 3.
    alone = referral_waits(data).row(0, named=True)
    assert (alone[COUNT], alone["median"]) == (1, 33.0)
    both = referral_waits(linked).row(0, named=True)
    assert both[COUNT] == 2
    assert both["median"] == 18.0
    assert (both["q1"], both["q3"]) == (pytest.approx(10.5), pytest.approx(25.5))


def test_disengagement(data) -> None:
    # The last session in the pool is 14 Jul 2025; 90 days before is 15 Apr.
    table = cells(disengagement(data), ["engagement", "last_category", "sessions"])
    assert table[("stopped", ALL, ALL)] == 5  # A2, A3, A5 (YC), B2, A1 (SPORT)
    assert table[("attending", ALL, ALL)] == 7
    assert table[("stopped", CLUB, "1")] == 1  # A5: one session
    assert table[("stopped", CLUB, "2-4")] == 1  # A2: three
    assert table[("stopped", "unknown", "2-4")] == 1  # A3: last seen at P-GONE
    assert table[("stopped", SPORT, ALL)] == 2
    assert table[("attending", CLUB, "10+")] == 1  # A1: ten sessions
    # With a 30-day gap, ARTS's young people (last session 12 May) have stopped too.
    assert (
        cells(disengagement(data, 30), ["engagement", "last_category", "sessions"])[
            ("stopped", ALL, ALL)
        ]
        == 7
    )


def test_disengagement_by_cohort_leaves_out_the_sessions(data) -> None:
    table = disengagement(data, by="age_band")
    assert table.columns == ["age_band", "engagement", "last_category", COUNT]
    by_age = cells(table, ["age_band", "engagement", "last_category"])
    assert by_age[("26+", "stopped", ALL)] == 1  # A5
    assert by_age[(ALL, "stopped", ALL)] == 5


def test_disengagement_refuses_a_gap_below_one_day(data) -> None:
    with pytest.raises(NeedleInputError, match="at least 1 day"):
        disengagement(data, 0)


def test_typical_journeys_by_age_band(data) -> None:
    rows = typical_journeys(journey_counts(data)).iter_rows(named=True)
    typical = {r["age_band"]: r for r in rows}
    assert (typical["11-15"]["sequence"], typical["11-15"]["share"]) == (SPORT, 50.0)
    assert typical["16-18"]["sequence"] == CLUB
    assert typical["16-18"]["share"] == pytest.approx(200 / 3)
    assert typical["26+"][COUNT] == typical["26+"]["cohort_size"] == 1
    assert (typical[ALL]["sequence"], typical[ALL]["cohort_size"]) == (SPORT, 12)


def test_typical_journeys_skip_hidden_sequences() -> None:
    counts = pl.DataFrame(
        {"ward": ["W1", "W1", "W1"], "sequence": [ALL, "a", "b"], COUNT: [20, None, 8]}
    )
    row = typical_journeys(counts).row(0, named=True)
    assert (row["sequence"], row["share"]) == ("b", 40.0)


def test_cohorts_must_be_known(data) -> None:
    with pytest.raises(NeedleInputError, match="age_band"):
        journey_counts(data, "postcode")


def test_timeline_of_a_linked_young_person(linked) -> None:
    events = timeline(linked, "P-0001")
    got = set(events.select("month", "event", "partner").iter_rows())
    assert got == {
        ("2025-01", "first_attended", "YC"), ("2025-07", "last_attended", "YC"),  # club
        ("2025-05", "first_attended", "YC"), ("2025-05", "last_attended", "YC"),  # detached
        ("2025-01", "first_attended", "SPORT"), ("2025-01", "last_attended", "SPORT"),
        ("2025-01", "referral_made", "YC"), ("2025-01", "referral_started", "YC"),  # R1
        ("2025-05", "referral_made", "YC"), ("2025-05", "referral_started", "YC"),  # R6
        ("2025-03", "milestone", "YC"),
        ("2025-01", "questionnaire", "YC"), ("2025-04", "questionnaire", "YC"),
        ("2025-07", "questionnaire", "YC"),
    }  # fmt: skip
    assert events.height == 16  # two questionnaires in each of January and July
    assert events["month"].to_list() == sorted(events["month"].to_list())
    club = events.filter((pl.col("event") == "first_attended") & (pl.col("category") == CLUB))
    assert club["sessions"].to_list() == [9]
    assert set(events.filter(pl.col("event") == "referral_made")["detail"]) == {
        "to SPORT",
        "to ARTS",
    }


def test_timeline_of_an_unknown_person_does_not_repeat_the_id(linked) -> None:
    with pytest.raises(NeedleInputError) as raised:
        timeline(linked, "Sam Taylor")
    assert "Sam" not in str(raised.value)
    # Before linkage, a record is its own person: PARTNER:reference.
    assert timeline(linked, "YC:A2").height > 0
