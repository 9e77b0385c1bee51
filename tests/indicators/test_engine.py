"""The engine's numbers against independent calculations on a small hand-made pool.

The pool (tests/indicators/pools.py) is built once for the module; each test works out
what one built-in indicator should say, from the same rows, with loops, sets, the
``statistics`` module and scipy, and compares every row the engine gives (headline, each
breakdown group, each period and ``all``) with it.
"""

from __future__ import annotations

import statistics
from collections import defaultdict

import pytest
import sqlglot
from indicators.pools import (
    AGE_MAX,
    AGE_MIN,
    AREA,
    EET,
    PERSON_DIMS,
    Q1,
    Q2,
    Q3,
    SCALES,
    Data,
    Expected,
    age_band,
    by_key,
    open_pool,
    paired_stats,
    population_frame,
    run_engine,
    submit_all,
)
from sqlglot.errors import ErrorLevel

from needle.errors import NeedleInputError
from needle.indicators.definitions import SOURCE_BREAKDOWNS, load_registry, parse_definition
from needle.indicators.engine import Engine, transpile

ALL = "all"
POPULATION_DIMS = ("ward", "local_authority", "age_band", "gender", "imd_quintile", "imd_decile")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The hand-made pool, every built-in computed over it, and the expected numbers."""
    root = tmp_path_factory.mktemp("engine")
    pool = open_pool(root / "home")
    data = Data.original()
    submit_all(pool, data)
    files = pool.files()
    pool.close()
    results, engine, _ = run_engine(files, root / "facts")
    yield results, engine, Expected(data)
    engine.con.close()


@pytest.fixture(scope="module")
def results(built):
    return built[0]


@pytest.fixture(scope="module")
def expected(built):
    return built[2]


def approx_dict(actual: dict, wanted: dict, *, rel: float = 1e-9) -> None:
    """Same keys; values equal (floats to ``rel``; None as None)."""
    assert set(actual) == set(wanted), (
        f"missing {sorted(set(wanted) - set(actual))}, extra {sorted(set(actual) - set(wanted))}"
    )
    for key, value in wanted.items():
        if value is None:
            assert actual[key] is None, key
        else:
            assert actual[key] == pytest.approx(value, rel=rel, abs=1e-9), key


# ---- reach ----------------------------------------------------------------------------


def test_reach_headline_by_hand(results):
    # Q1: YC A1-A5, SPORT B1 B2 A1 (another young person than YC's A1); Q2: YC A1 A2 A6,
    # SPORT B1 B3, ARTS C1 C2; Q3: YC A1 A6 A7, SPORT B1 B3; 13 different young people.
    reach = by_key(results, "reach")
    assert [reach[(p, "", "")] for p in (Q1, Q2, Q3, ALL)] == [8, 7, 5, 13]
    assert reach[(Q1, "partner", "YC")] == 5
    assert reach[(ALL, "partner", "YC")] == 7
    assert reach[(Q2, "partner", "ARTS")] == 2
    assert (Q1, "partner", "ARTS") not in reach
    # A4 has nothing recorded but an age; A3's detached session S5 and a session of a
    # provision missing from the provisions table (S7, unknown category)
    assert reach[(Q1, "gender", "unknown")] == 1
    assert reach[(Q1, "ward", "unknown")] == 1
    assert reach[(Q1, "provision_category", "detached_outreach")] == 1
    assert reach[(Q1, "provision_category", "unknown")] == 1
    # A1 moved from ward E05000001 (Q1) to E05000002 (Q2): over all periods she is
    # described as first recorded
    assert reach[(Q2, "ward", "E05000002")] == 3  # YC A1, SPORT B1, ARTS C2
    assert reach[(ALL, "ward", "E05000002")] == 3  # YC A3, SPORT B1, ARTS C2: not A1
    assert reach[(ALL, "imd_decile", "1")] == 4  # YC A1, A5, SPORT B2, B3


def test_reach_every_group(results, expected):
    """Every row of reach: per period and over all periods, every breakdown group."""
    wanted = expected.people_counts(expected.reached(), SOURCE_BREAKDOWNS["person_period"])
    approx_dict(by_key(results, "reach", "n"), wanted)
    approx_dict(by_key(results, "reach", "value"), wanted)
    approx_dict(by_key(results, "reach", "numerator"), wanted)


def test_reach_person_groups_add_up_to_the_headline(results):
    reach = by_key(results, "reach")
    for period in (Q1, Q2, Q3, ALL):
        for dim in PERSON_DIMS:
            total = sum(v for (p, b, _g), v in reach.items() if p == period and b == dim)
            assert total == reach[(period, "", "")], (period, dim)


def test_reach_cumulative(results, expected):
    firsts = {pid: p for pid, p in expected.first.items()}  # first period of each person
    org_firsts: dict[tuple[str, str], str] = {}
    for period, pid in sorted(expected.people):
        org_firsts.setdefault((pid.split(":")[0], pid), period)
    wanted = {}
    keys = {("", "")} | {(d, p.groups[d]) for p in firsts.values() for d in PERSON_DIMS}
    for period in (Q1, Q2, Q3):
        for dim, group in keys:
            wanted[(period, dim, group)] = sum(
                1
                for p in firsts.values()
                if p.period <= period and (dim == "" or p.groups[dim] == group)
            )
        for org in ("YC", "SPORT", "ARTS"):
            wanted[(period, "partner", org)] = sum(
                1 for (o, _), first in org_firsts.items() if o == org and first <= period
            )
    approx_dict(by_key(results, "reach_cumulative"), wanted)
    assert [wanted[(p, "", "")] for p in (Q1, Q2, Q3)] == [8, 12, 13]


def test_reach_resident(results, expected):
    subjects = {key for key, p in expected.people.items() if p.resident_aged}
    wanted = expected.people_counts(subjects, SOURCE_BREAKDOWNS["person_period"])
    approx_dict(by_key(results, "reach_resident"), wanted)
    # A5 is 26, A4 has no address, YC A6 lives outside the area
    assert [wanted[(p, "", "")] for p in (Q1, Q2, Q3, ALL)] == [6, 6, 4, 10]


def population_by_group() -> dict[tuple[str, str], float]:
    """Resident young people aged 11-25 per population breakdown group, and in all."""
    totals: dict[tuple[str, str], float] = defaultdict(float)
    for row in population_frame().iter_rows(named=True):
        if not AGE_MIN <= row["age"] <= AGE_MAX:
            continue
        groups = {
            "ward": row["ward"], "local_authority": row["local_authority"],
            "age_band": age_band(row["age"]), "gender": row["sex"],
            "imd_quintile": str(row["imd_quintile"]), "imd_decile": str(row["imd_decile"]),
        }  # fmt: skip
        totals[("", "")] += row["count"]
        for dim, group in groups.items():
            totals[(dim, group)] += row["count"]
    return dict(totals)


def test_reach_population_rate(results, expected):
    population = population_by_group()
    subjects = {key for key, p in expected.people.items() if p.resident_aged}
    counts = expected.people_counts(subjects)
    wanted_value, wanted_den = {}, {}
    for (period, dim, group), n in counts.items():
        if (dim == "" or dim in POPULATION_DIMS) and (dim, group) in population:
            wanted_value[(period, dim, group)] = 100 * n / population[(dim, group)]
            wanted_den[(period, dim, group)] = population[(dim, group)]
    approx_dict(by_key(results, "reach_population_rate"), wanted_value)
    approx_dict(by_key(results, "reach_population_rate", "denominator"), wanted_den)
    # ages 10 and 26 are not in the denominator
    assert population[("", "")] == sum(
        r["count"] for r in population_frame().iter_rows(named=True) if 11 <= r["age"] <= 25
    )


def test_reach_equity(results, expected):
    population = population_by_group()
    subjects = {key for key, p in expected.people.items() if p.resident_aged}
    counts = expected.people_counts(subjects)
    dims = load_registry().get("reach_equity").breakdowns  # no local authority: one LA
    wanted = {}
    for (period, dim, group), n in counts.items():
        if dim in POPULATION_DIMS and dim in dims and (dim, group) in population:
            reached_share = n / counts[(period, "", "")]
            resident_share = population[(dim, group)] / population[("", "")]
            wanted[(period, dim, group)] = reached_share / resident_share
    approx_dict(by_key(results, "reach_equity"), wanted)


def test_reach_composition(results, expected):
    counts = expected.people_counts(expected.reached())
    dims = (
        "gender", "ethnicity_group", "ethnicity", "send", "free_school_meals",
        "care_experienced", "age_band", "imd_quintile",
    )  # fmt: skip
    wanted = {
        (period, dim, group): 100 * n / counts[(period, "", "")]
        for (period, dim, group), n in counts.items()
        if dim in dims
    }
    approx_dict(by_key(results, "reach_composition"), wanted)
    for period in (Q1, Q2, Q3, ALL):
        for dim in dims:
            shares = [v for (p, d, _), v in wanted.items() if (p, d) == (period, dim)]
            assert sum(shares) == pytest.approx(100)


# ---- engagement -----------------------------------------------------------------------


def test_sessions_delivered_and_anonymous_head_counts(results, expected):
    dims = ("partner", "provision_category", "ward", "local_authority")
    sums = expected.event_sums(expected.session_rows(), None, dims)
    approx_dict(by_key(results, "sessions_delivered"), {k: v for k, (v, _) in sums.items()})
    approx_dict(by_key(results, "sessions_delivered", "n"), {k: n for k, (_, n) in sums.items()})
    heads = expected.event_sums(expected.session_rows(), "anonymous", dims)
    approx_dict(by_key(results, "anonymous_attendance"), {k: v for k, (v, _) in heads.items()})
    sessions = by_key(results, "sessions_delivered")
    assert [sessions[(p, "", "")] for p in (Q1, Q2, Q3, ALL)] == [10, 11, 4, 25]
    assert sessions[(Q1, "ward", "E05000002")] == 4  # S5's own venue and SPORT's F1-F3
    assert sessions[(Q1, "ward", "unknown")] == 2  # S6 (no venue) and S7 (no provision)
    anonymous = by_key(results, "anonymous_attendance")
    assert [anonymous[(p, "", "")] for p in (Q1, Q2, Q3, ALL)] == [20, 8, 0, 28]


def test_attendances_and_contact_hours(results, expected):
    dims = ("partner", "provision_category", *PERSON_DIMS)
    rows = expected.participation_rows()
    count = expected.event_sums(rows, None, dims)
    hours = expected.event_sums(rows, "hours", dims)
    approx_dict(by_key(results, "attendances"), {k: v for k, (v, _) in count.items()})
    approx_dict(by_key(results, "contact_hours"), {k: v for k, (v, _) in hours.items()})
    attendances = by_key(results, "attendances")
    assert [attendances[(p, "", "")] for p in (Q1, Q2, Q3, ALL)] == [15, 18, 8, 41]
    # Q1: YC 4x(2h,2h,1.5h,1.5h) ... worked out by hand: A1 7h, A2 4h, A3 1h + 45m,
    # A5 2h; SPORT B1 3h, B2 1h, A1 2h
    assert by_key(results, "contact_hours")[(Q1, "", "")] == pytest.approx(20.75)


def test_attendance_units_are_attendances(results, expected):
    """``n`` is "how many units the value rests on", and disclosure control adds cells up
    by it, so it must be additive like the number: for attendances and contact hours,
    the attendances behind the cell (one young person attending five times is five)."""
    rows = expected.participation_rows()
    dims = ("partner", "provision_category", *PERSON_DIMS)
    units: dict[tuple[str, str, str], int] = defaultdict(int)
    for row in rows:
        for period in (row["period"], ALL):
            for key in [(period, "", ""), *((period, d, row[d]) for d in dims)]:
                units[key] += 1  # each row is one attendance
    approx_dict(by_key(results, "attendances", "n"), units)
    approx_dict(by_key(results, "contact_hours", "n"), units)
    approx_dict(by_key(results, "attendances", "value"), units)


def test_attended_threshold(results, expected):
    threshold = 4
    met = {
        (period, pid)
        for period, pid in expected.people
        if expected.attendance_count(period, pid) >= threshold
    }
    # Q1 YC A1 (4); Q2 YC A1 (5), A6 (4), SPORT B1 (4); nobody in Q3
    assert met == {(Q1, "YC:A1"), (Q2, "YC:A1"), (Q2, "YC:A6"), (Q2, "SPORT:B1")}
    breakdowns = SOURCE_BREAKDOWNS["person_period"]
    num = expected.people_counts(met, breakdowns)
    den = expected.people_counts(expected.reached(), breakdowns)
    approx_dict(by_key(results, "attended_threshold", "denominator"), den)
    approx_dict(by_key(results, "attended_threshold", "numerator"), {k: num.get(k, 0) for k in den})
    approx_dict(
        by_key(results, "attended_threshold"), {k: 100 * num.get(k, 0) / v for k, v in den.items()}
    )
    assert by_key(results, "attended_threshold")[(ALL, "", "")] == pytest.approx(100 * 3 / 13)


def test_retention(results, expected):
    num: dict[tuple[str, str, str], int] = defaultdict(int)
    den: dict[tuple[str, str, str], int] = defaultdict(int)
    for this, following in ((Q1, Q2), (Q2, Q3)):
        for (period, pid), p in expected.people.items():
            if period != this:
                continue
            back = (following, pid) in expected.people
            keys = [(this, "", ""), (this, "partner", p.org)]
            keys += [(this, d, p.groups[d]) for d in PERSON_DIMS]
            for key in keys:
                den[key] += 1
                num[key] += back
    approx_dict(by_key(results, "retention", "denominator"), dict(den))
    approx_dict(by_key(results, "retention", "numerator"), dict(num))
    approx_dict(by_key(results, "retention"), {k: 100 * num[k] / den[k] for k in den})
    # Q1: YC A1, A2 and SPORT B1 of 8 came back; Q2: A1, A6, B1, B3 of 7
    assert by_key(results, "retention")[(Q1, "", "")] == pytest.approx(37.5)
    assert by_key(results, "retention")[(Q2, "", "")] == pytest.approx(400 / 7)


# ---- outcomes -------------------------------------------------------------------------


def pair_groups(pairs: list[dict]) -> dict[tuple[str, str, str], list[dict]]:
    groups: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for pair in pairs:
        for period in (pair["period"], ALL):
            keys = [(period, "", ""), (period, "partner", pair["partner"])]
            keys += [(period, d, pair[d]) for d in PERSON_DIMS]
            for key in keys:
                groups[key].append(pair)
    return groups


STAT_INDICATORS = {
    "wellbeing_change": "mean_change",
    "wellbeing_effect_size": "effect_size_dz",
    "wellbeing_effect_size_d": "effect_size_d",
    "wellbeing_reliable_improvement": "reliable_improvement",
    "wellbeing_reliable_deterioration": "reliable_deterioration",
    "wellbeing_left_low": "left_low",
}


def test_swemwbs_pairs_by_hand(expected):
    """The SWEMWBS pairs, from the metric conversion table: first scored baseline, last
    scored exit (A2's later exit has a blank item; A1's second baseline is ignored)."""
    pairs = {
        p["person"]: (p["baseline"], p["exit"], p["period"]) for p in expected.pairs("swemwbs")
    }
    assert pairs == {
        "YC:A1": (16.88, 22.35, Q3),
        "YC:A2": (19.25, 19.98, Q2),
        "YC:A3": (21.54, 25.03, Q1),
        "YC:A6": (25.03, 27.03, Q3),
        "SPORT:B1": (15.32, 18.59, Q2),
        "SPORT:B3": (27.03, 21.54, Q3),
        "ARTS:C1": (17.98, 24.11, Q2),
    }


@pytest.mark.parametrize("indicator", sorted(STAT_INDICATORS))
def test_swemwbs_statistics(results, expected, indicator):
    stat = STAT_INDICATORS[indicator]
    groups = pair_groups(expected.pairs("swemwbs"))
    wanted = {}
    for key, pairs in groups.items():
        s = paired_stats(pairs)
        if stat == "left_low" and s["low"] == 0:
            wanted[key] = None
        else:
            wanted[key] = s.get(stat)
    approx_dict(by_key(results, indicator), wanted)
    if stat == "mean_change":
        approx_dict(
            by_key(results, indicator, "lower"),
            {k: paired_stats(v)["lower"] for k, v in groups.items()},
        )
        approx_dict(
            by_key(results, indicator, "upper"),
            {k: paired_stats(v)["upper"] for k, v in groups.items()},
        )
    if stat == "left_low":
        n = {k: paired_stats(v)["low"] for k, v in groups.items()}
    else:
        n = {k: len(v) for k, v in groups.items()}
    approx_dict(by_key(results, indicator, "n"), n)


def test_swemwbs_headline_by_hand(results):
    changes = [5.47, 0.73, 3.49, 2.00, 3.27, -5.49, 6.13]
    mean = sum(changes) / 7
    sd = statistics.stdev(changes)
    from scipy import stats

    half = stats.t.ppf(0.975, 6) * sd / 7**0.5
    row = {
        k: v[(ALL, "", "")]
        for k, v in (
            (c, by_key(results, "wellbeing_change", c)) for c in ("value", "lower", "upper", "n")
        )
    }
    assert row["value"] == pytest.approx(mean)
    assert row["lower"] == pytest.approx(mean - half)
    assert row["upper"] == pytest.approx(mean + half)
    assert row["n"] == 7
    assert by_key(results, "wellbeing_effect_size")[(ALL, "", "")] == pytest.approx(mean / sd)
    sd_base = statistics.stdev([16.88, 19.25, 21.54, 25.03, 15.32, 27.03, 17.98])
    assert by_key(results, "wellbeing_effect_size_d")[(ALL, "", "")] == pytest.approx(
        mean / sd_base
    )
    # RCI 2.87: A1 +5.47, A3 +3.49, B1 +3.27, C1 +6.13 improved; B3 -5.49 deteriorated
    assert by_key(results, "wellbeing_reliable_improvement")[(ALL, "", "")] == pytest.approx(
        400 / 7
    )
    assert by_key(results, "wellbeing_reliable_deterioration")[(ALL, "", "")] == pytest.approx(
        100 / 7
    )
    # low (< 20) at baseline: A1, A2, B1, C1; A1 (22.35) and C1 (24.11) left it
    assert by_key(results, "wellbeing_left_low")[(ALL, "", "")] == pytest.approx(50)
    assert by_key(results, "wellbeing_left_low", "n")[(ALL, "", "")] == 4


@pytest.mark.parametrize(
    ("indicator", "scale"),
    [
        ("life_satisfaction_change", "ons4_life_satisfaction"),
        ("worthwhile_change", "ons4_worthwhile"),
        ("happiness_change", "ons4_happiness"),
        ("anxiety_change", "ons4_anxiety"),
        ("wemwbs_change", "wemwbs"),
    ],
)
def test_other_scales_mean_change(results, expected, indicator, scale):
    groups = pair_groups(expected.pairs(scale))
    approx_dict(
        by_key(results, indicator), {k: paired_stats(v)["mean_change"] for k, v in groups.items()}
    )
    approx_dict(
        by_key(results, indicator, "lower"),
        {k: paired_stats(v)["lower"] for k, v in groups.items()},
    )


def test_anxiety_falls_is_reported_as_the_raw_change(results, expected):
    # A1 8 -> 3 (-5), SPORT B1 6 -> 6, ARTS C2 2 -> 7 (+5): the mean change is raw (a
    # fall is negative) and the definition says a fall is good
    anxiety = by_key(results, "anxiety_change")
    assert anxiety[(Q3, "", "")] == pytest.approx(-5)
    assert anxiety[(ALL, "", "")] == pytest.approx(0)
    assert load_registry().get("anxiety_change").direction == "down"
    pairs = {p["person"]: p for p in expected.pairs("ons4_anxiety")}
    assert pairs["YC:A1"]["improved"] and pairs["ARTS:C2"]["deteriorated"]


def test_outcome_improvement_across_scales(results, expected):
    pairs = [p for scale in SCALES for p in expected.pairs(scale)]
    groups = pair_groups(pairs)
    approx_dict(
        by_key(results, "outcome_improvement"),
        {k: 100 * sum(p["improved"] for p in v) / len(v) for k, v in groups.items()},
    )
    approx_dict(by_key(results, "outcome_improvement", "n"), {k: len(v) for k, v in groups.items()})
    # 7 SWEMWBS + 12 ONS4 (3 people x 4 scales) + 1 WEMWBS pairs; improved: 4 SWEMWBS,
    # A1 anxiety (-5), B1 life satisfaction (+5) and worthwhile (+4), A7 WEMWBS (+14)
    assert len(pairs) == 20
    assert sum(p["improved"] for p in pairs) == 8


def test_eet_milestones(results, expected):
    subjects = {
        (period, f"{org}:{ref}")
        for org, period, ref, milestone, _ in expected.data.milestones
        if milestone in EET and (period, f"{org}:{ref}") in expected.people
    }
    wanted = expected.people_counts(subjects, SOURCE_BREAKDOWNS["milestones"])
    approx_dict(by_key(results, "eet_milestones"), wanted)
    # Q1 A3; Q2 A6, B3 (twice, counted once); Q3 A7, A6 again; 4 young people in all
    assert [wanted[(p, "", "")] for p in (Q1, Q2, Q3, ALL)] == [1, 2, 2, 4]


# ---- referrals ------------------------------------------------------------------------


def test_referrals(results, expected):
    dims = ("partner", *PERSON_DIMS)
    out = [r for r in expected.referral_rows() if r["direction"] == "out"]
    made = expected.event_sums(out, None, dims)
    approx_dict(by_key(results, "referrals_made"), {k: v for k, (v, _) in made.items()})
    for indicator, test in (
        ("referrals_accepted", lambda r: r["status"] in ("accepted", "started", "completed")),
        ("referrals_started_30_days", lambda r: r["status"] == "started" and r["days"] <= 30),
    ):
        for r in out:
            r["hit"] = int(test(r))
        hits = expected.event_sums(out, "hit", dims)
        approx_dict(
            by_key(results, indicator), {k: 100 * hits[k][0] / n for k, (n, _) in made.items()}
        )
        approx_dict(by_key(results, indicator, "denominator"), {k: v for k, (v, _) in made.items()})
    days: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for r in out:
        if r["status"] == "started":
            for period in (r["period"], ALL):
                for key in [(period, "", ""), *((period, d, r[d]) for d in dims)]:
                    days[key].append(r["days"])
    approx_dict(
        by_key(results, "referral_days_to_start"),
        {k: statistics.median(v) for k, v in days.items()},
    )
    # started out: YC R1 20 days, R3 47, R6 10; SPORT R4 30 -> median 25
    assert by_key(results, "referral_days_to_start")[(ALL, "", "")] == 25
    assert by_key(results, "referrals_made")[(ALL, "", "")] == 8
    assert by_key(results, "referrals_accepted")[(ALL, "", "")] == pytest.approx(75)


# ---- the whole table ------------------------------------------------------------------


def test_every_builtin_is_computed_and_rows_are_unique(results):
    registry = load_registry()
    assert set(results["indicator"]) == {d.id for d in registry}
    keys = results.select("indicator", "period", "breakdown", "group")
    assert keys.unique().height == keys.height
    for d in registry:
        rows = results.filter(results["indicator"] == d.id)
        assert set(rows["breakdown"]) <= {"", *d.breakdowns}, d.id


def test_population_groups_are_in_the_area():
    assert {r["lsoa21"] for r in population_frame().iter_rows(named=True)} == set(AREA)


# ---- custom indicators ----------------------------------------------------------------


def write_definition(folder, text: str):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "own.yaml").write_text(text, encoding="utf-8")
    return folder


OWN = """
indicators:
  reach_16_18_engaged:
    title: Young people aged 16 to 18 attending at least 2 sessions
    description: Young people aged 16-18 who attended two sessions or more in the period.
    kind: people
    filter: "age BETWEEN 16 AND 18 AND attendances >= 2"
    unit: people
    direction: up
"""


def test_custom_indicator(built, tmp_path):
    _, engine, expected = built
    registry = load_registry(extra_dirs=[write_definition(tmp_path / "own", OWN)])
    d = registry.get("reach_16_18_engaged")
    assert d.origin.endswith("own.yaml")
    frame = engine.compute(d, registry)
    subjects = {
        (period, pid)
        for (period, pid), p in expected.people.items()
        if p.age is not None and 16 <= p.age <= 18 and expected.attendance_count(period, pid) >= 2
    }
    # Q1 YC A2 (17, 2 sessions); Q2 ARTS C2 has 1 session, YC A2 (18) 1; Q3 YC A7 (16, 2)
    assert subjects == {(Q1, "YC:A2"), (Q3, "YC:A7")}
    approx_dict(
        by_key(frame.with_columns(), "reach_16_18_engaged"),
        expected.people_counts(subjects, SOURCE_BREAKDOWNS["person_period"]),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'kind: people\n    filter: "attendance >= 2"',
            "names 'attendance', which the person_period source does not have. "
            "Did you mean 'attendances'?",
        ),
        ("kind: headcount", "'headcount' is not one of: people, cumulative_people"),
        ("kind: people\n    tittle: Typo", "unknown key; did you mean 'title'?"),
    ],
)
def test_bad_custom_definitions(tmp_path, text, message):
    body = f"""
indicators:
  mine:
    description: Something.
    unit: people
    direction: up
    {text}
"""
    if "tittle" not in text:
        body = body.replace("    description", "    title: Mine\n    description")
    folder = write_definition(tmp_path / "own", body)
    with pytest.raises(NeedleInputError) as info:
        load_registry(extra_dirs=[folder])
    assert message in str(info.value)
    assert "own.yaml: indicators.mine" in str(info.value)


def test_missing_title(tmp_path):
    folder = write_definition(
        tmp_path / "own",
        "indicators:\n  mine:\n    description: x\n    kind: people\n    unit: people\n"
        "    direction: up\n",
    )
    with pytest.raises(NeedleInputError, match=r"indicators\.mine\.title: is missing"):
        load_registry(extra_dirs=[folder])


# ---- engine-neutral SQL ---------------------------------------------------------------


@pytest.fixture(scope="module")
def indicator_sql(tmp_path_factory):
    """Every query the engine runs to compute the built-ins (Engine exposes no
    per-indicator SQL, so the queries are recorded as they run)."""
    root = tmp_path_factory.mktemp("sql")
    pool = open_pool(root / "home")
    submit_all(pool, Data.original())
    files = pool.files()
    pool.close()
    seen: list[str] = []
    original = Engine.query

    def recording(self, sql):
        seen.append(sql)
        return original(self, sql)

    Engine.query = recording
    try:
        _, engine, _ = run_engine(files, root / "facts")
    finally:
        Engine.query = original
    tables = {
        name: engine.con.execute(f"DESCRIBE {name}").fetchall()
        for name in (
            "person_period",
            "person_all",
            "person_partner",
            "participation_p",
            "participation",
            "sessions",
            "referrals",
            "milestones",
            "scores",
            "pairs",
            "people_by_partner",
            "people_by_provision_category",
            "population",
        )
    }
    engine.con.close()
    return seen, tables


def test_transpile_to_spark(indicator_sql):
    queries, _ = indicator_sql
    assert len(queries) > 10  # a handful of fused passes, each transpiled below
    for sql in queries:
        assert transpile(sql, "spark")
        sqlglot.transpile(sql, read="duckdb", write="spark", unsupported_level=ErrorLevel.RAISE)


def test_transpile_to_postgres_without_unsupported_syntax(indicator_sql):
    queries, _ = indicator_sql
    for sql in queries:
        sqlglot.transpile(sql, read="duckdb", write="postgres", unsupported_level=ErrorLevel.RAISE)


PG_TYPES = {"VARCHAR": "text", "BOOLEAN": "boolean", "DATE": "date", "DOUBLE": "double precision"}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_transpiled_sql_runs_on_postgres(indicator_sql, database_url):
    """Each query, transpiled, is accepted by a real PostgreSQL server (EXPLAIN over
    empty tables with the engine's columns)."""
    import sqlalchemy as sa

    queries, tables = indicator_sql
    engine = sa.create_engine(database_url)
    failures = []
    try:
        with engine.begin() as conn:
            for name, columns in tables.items():
                cols = ", ".join(
                    f'"{c[0]}" {PG_TYPES.get(c[1], "bigint" if "INT" in c[1] else "text")}'
                    for c in columns
                )
                conn.execute(sa.text(f"CREATE TABLE {name} ({cols})"))
            conn.execute(sa.text("CREATE TABLE next_periods (period text, next_period text)"))
        for sql in queries:
            text = transpile(sql, "postgres")
            try:
                with engine.begin() as conn:
                    conn.execute(sa.text("EXPLAIN " + text.replace(":", r"\:")))
            except sa.exc.DBAPIError as exc:
                failures.append(f"{str(exc.orig).splitlines()[0]}\n  in: {text[:300]}")
    finally:
        engine.dispose()
    assert not failures, f"{len(failures)} of {len(queries)} queries fail:\n" + "\n".join(
        sorted({f.split(chr(10))[0] for f in failures})
    )


def test_a_scale_name_cannot_smuggle_sql():
    """A scale is pasted into SQL as a literal, so only an id is accepted."""
    body = {
        "title": "t", "description": "d", "kind": "paired_change", "unit": "score",
        "direction": "up", "stat": "mean_change", "scale": "swemwbs' OR TRUE --",
    }  # fmt: skip
    with pytest.raises(NeedleInputError, match="scale"):
        parse_definition("sneaky", body, origin="mine.yaml", params={})
