"""Refreshing the indicators as the pool changes: only new submissions are read, new
versions, withdrawals and erasures change the numbers as the rows say, and every run
records which submissions it rests on. Runs on SQLite and PostgreSQL (``database_url``).

The backbone's threshold is 0, so its stored results are the engine's numbers, and the
expected numbers are worked out from the hand-made rows (tests/indicators/pools.py).
"""

from __future__ import annotations

from types import SimpleNamespace

import polars as pl
import pytest
from indicators.pools import (
    ALL,
    Q1,
    Q2,
    Q3,
    Data,
    Expected,
    by_key,
    open_pool,
    population_frame,
    submit,
    submit_all,
)

from needle.errors import NeedleInputError
from needle.indicators.definitions import SOURCE_BREAKDOWNS, load_registry
from needle.indicators.refresh import current_run, indicators_dir, load_results, refresh_files

CONFIG = SimpleNamespace(
    disclosure=SimpleNamespace(
        backbone=0, partner=3, steering_group=5, public=10, public_rounding=5, min_peers=5
    ),
    indicators=SimpleNamespace(attendance_threshold=4, age_min=11, age_max=25),
)


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


@pytest.fixture
def pool(home, database_url):
    opened = open_pool(home, database_url)
    yield opened
    opened.close()


def refresh(home, pool, **kwargs):
    return refresh_files(
        indicators_dir(home),
        pool.files(),
        config=CONFIG,
        population=population_frame(),
        registry=kwargs.pop("registry", None) or load_registry(),
        **kwargs,
    )


def reach_of(data: Data) -> dict:
    expected = Expected(data)
    return expected.people_counts(expected.reached(), SOURCE_BREAKDOWNS["person_period"])


def backbone(home, indicator: str, column: str = "value") -> dict:
    return by_key(load_results(home), indicator, column)


def test_refresh_stores_the_engine_numbers_with_provenance(home, pool):
    data = Data.original()
    ids = submit_all(pool, data)
    result = refresh(home, pool)
    assert result.submissions == len(ids) == 7
    assert result.computed == 7 and result.reused == 0 and result.dropped == 0
    assert backbone(home, "reach") == reach_of(data)
    assert backbone(home, "reach")[(ALL, "", "")] == 13
    run = current_run(home)
    assert run["run_id"] == result.run_id
    assert {s["id"] for s in run["submissions"]} == set(ids.values())
    assert {(s["org"], s["period"]) for s in run["submissions"]} == set(ids)
    assert run["periods"] == [Q1, Q2, Q3]
    # the backbone sees every number; others see theirs protected
    frame = load_results(home)
    assert frame.filter(pl.col("indicator") == "reach")["status"].unique().to_list() == [
        "published"
    ]
    public = load_results(home, "public")
    assert "partner" not in set(public["breakdown"])


def test_incremental_refresh_reads_only_the_new_submission(home, pool):
    data = Data.original()
    first = data.only({(o, p) for o, p in data.submissions() if p != Q3})
    submit_all(pool, first)
    before = refresh(home, pool)
    assert before.computed == 5
    assert backbone(home, "reach") == reach_of(first)
    new = submit(pool, data, "YC", Q3)
    after = refresh(home, pool)
    assert (after.computed, after.reused, after.dropped) == (1, 5, 0)
    assert backbone(home, "reach") == reach_of(data.only({*first.submissions(), ("YC", Q3)}))
    assert new.id in {s["id"] for s in current_run(home)["submissions"]}
    # nothing changed: nothing is read again
    again = refresh(home, pool)
    assert (again.computed, again.reused) == (0, 6)
    # a full refresh reads everything and gives the same numbers
    full = refresh(home, pool, full=True)
    assert full.computed == 6
    assert backbone(home, "reach") == reach_of(data.only({*first.submissions(), ("YC", Q3)}))


def test_a_new_version_replaces_the_old_numbers(home, pool):
    data = Data.original()
    ids = submit_all(pool, data)
    refresh(home, pool)
    # SPORT resubmits Q2: B3 was not theirs after all, B4 was; B1 came to one session only
    changed = Data.original()
    changed.young_people = [
        r if (r[0], r[1], r[2]) != ("SPORT", Q2, "B3") else (*r[:2], "B4", *r[3:])
        for r in changed.young_people
    ]
    changed.attendance = [
        a
        if (a[0], a[1]) != ("SPORT", Q2)
        else (a[0], a[1], "B4" if a[2] == "B3" else a[2], a[3][:1] if a[2] == "B1" else a[3])
        for a in changed.attendance
    ]
    changed.referrals = [r for r in changed.referrals if (r[0], r[1]) != ("SPORT", Q2)]
    changed.measurements = [m for m in changed.measurements if (m[0], m[2]) != ("SPORT", "B3")]
    changed.milestones = [m for m in changed.milestones if (m[0], m[1]) != ("SPORT", Q2)]
    v2 = submit(pool, changed, "SPORT", Q2, tag="v2")
    assert v2.version == 2
    result = refresh(home, pool)
    assert (result.computed, result.reused, result.dropped) == (1, 6, 1)
    assert backbone(home, "reach") == reach_of(changed)
    # B3 in Q2 and Q3 was one young person; B4 (Q2) and B3 (Q3) are two
    assert backbone(home, "reach")[(ALL, "", "")] == 14
    assert backbone(home, "attended_threshold", "numerator")[(Q2, "", "")] == 2  # A1, A6
    assert backbone(home, "referrals_made")[(Q2, "", "")] == 2  # YC R5, R6
    submissions = {s["id"] for s in current_run(home)["submissions"]}
    assert v2.id in submissions and ids[("SPORT", Q2)] not in submissions


def test_withdrawal_removes_a_partner_period(home, pool):
    data = Data.original()
    ids = submit_all(pool, data)
    refresh(home, pool)
    pool.withdraw("ARTS", Q2, reason="sent in error")
    result = refresh(home, pool)
    assert (result.computed, result.dropped) == (0, 1)
    left = data.only(set(data.submissions()) - {("ARTS", Q2)})
    reach = backbone(home, "reach")
    assert reach == reach_of(left)
    assert reach[(Q2, "", "")] == 5
    assert not any(group == "ARTS" for (_, _, group) in reach)
    assert ids[("ARTS", Q2)] not in {s["id"] for s in current_run(home)["submissions"]}
    # C1's SWEMWBS pair went with it
    assert backbone(home, "wellbeing_change", "n")[(ALL, "", "")] == 6


def test_erasure_changes_counts_and_recomputes_the_submissions_it_touched(home, pool):
    data = Data.original()
    submit_all(pool, data)
    refresh(home, pool)
    erasure = pool.erase("YC", "A1", reason="request")
    assert erasure is not None
    result = refresh(home, pool)
    # YC's A1 is in YC's three submissions; SPORT's A1 is somebody else
    assert (result.computed, result.reused) == (3, 4)
    left = data.without_person("YC", "A1")
    assert backbone(home, "reach") == reach_of(left)
    assert backbone(home, "reach")[(ALL, "", "")] == 12
    assert backbone(home, "reach")[(Q1, "partner", "SPORT")] == 3
    assert backbone(home, "attendances")[(ALL, "", "")] == 41 - 10
    assert backbone(home, "wellbeing_change", "n")[(ALL, "", "")] == 6
    assert backbone(home, "referrals_made")[(ALL, "", "")] == 6
    # and no derived fact about the erased young person is left in the cache
    facts = list((indicators_dir(home) / "facts").rglob("*.parquet"))
    assert facts
    for path in facts:
        rows = pl.read_parquet(path, hive_partitioning=False)
        if "person_ref" in rows.columns:
            erased = rows.filter((pl.col("org") == "YC") & (pl.col("person_ref") == "A1"))
            assert erased.height == 0, path


def test_refresh_of_an_empty_pool(home, pool):
    result = refresh(home, pool)
    assert result.submissions == 0
    assert no_numbers(load_results(home))
    assert current_run(home)["submissions"] == []


def no_numbers(frame: pl.DataFrame) -> bool:
    """Nothing counted: no rows, or only zero counts (a headline over no data)."""
    return frame.filter(pl.col("n").fill_null(0) != 0).height == 0


def test_refresh_after_everything_is_withdrawn(home, pool):
    data = Data.original()
    submit_all(pool, data)
    refresh(home, pool)
    for org, period in data.submissions():
        pool.withdraw(org, period)
    result = refresh(home, pool)
    assert result.dropped == 7
    assert no_numbers(load_results(home))


def test_results_before_any_refresh(tmp_path):
    with pytest.raises(NeedleInputError, match="not been computed yet"):
        load_results(tmp_path)
    with pytest.raises(NeedleInputError, match="is not an audience"):
        load_results(tmp_path, "everyone")


def test_custom_indicator_is_refreshed(home, pool, tmp_path):
    folder = tmp_path / "definitions"
    folder.mkdir()
    (folder / "own.yaml").write_text(
        """
indicators:
  reach_16_18_engaged:
    title: Young people aged 16 to 18 attending at least 2 sessions
    description: Young people aged 16-18 who attended two sessions or more.
    kind: people
    filter: "age BETWEEN 16 AND 18 AND attendances >= 2"
    unit: people
    direction: up
    audiences: [steering_group]
""",
        encoding="utf-8",
    )
    submit_all(pool, Data.original())
    refresh(home, pool, registry=load_registry(extra_dirs=[folder]))
    own = backbone(home, "reach_16_18_engaged")
    assert [own.get((p, "", "")) for p in (Q1, Q2, Q3, ALL)] == [1, None, 1, 2]
    assert "reach_16_18_engaged" not in set(load_results(home, "public")["indicator"])
    assert "reach_16_18_engaged" in set(load_results(home, "steering_group")["indicator"])


def test_linked_young_people_count_once_without_redefining_reach(home, pool):
    """The seam for linkage: person links make two partners' references one young person,
    and the same reach definition then counts them once (per period and over all)."""
    submit_all(pool, Data.original())
    refresh(home, pool)
    before = backbone(home, "reach")
    links = pl.DataFrame(  # YC's A2 and SPORT's B1 are the same young person
        {"org": ["YC", "SPORT"], "person_ref": ["A2", "B1"], "person_id": ["P-1", "P-1"]}
    )
    links.write_parquet(indicators_dir(home) / "person_links.parquet")
    refresh(home, pool)
    after = backbone(home, "reach")
    assert after[(ALL, "", "")] == before[(ALL, "", "")] - 1
    assert after[(Q1, "", "")] == before[(Q1, "", "")] - 1  # both seen in Q1
    assert after[(Q2, "", "")] == before[(Q2, "", "")] - 1  # and in Q2
    assert after[(Q3, "", "")] == before[(Q3, "", "")]  # A2 not seen in Q3
    # each partner still counts its own young person
    assert after[(Q1, "partner", "YC")] == before[(Q1, "partner", "YC")]
    assert after[(Q1, "partner", "SPORT")] == before[(Q1, "partner", "SPORT")]
