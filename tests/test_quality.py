"""Data quality per partner, on the hand-made pool of the indicator tests.

The completeness expectations are counted in plain Python from the rows written out in
tests/indicators/pools.py (and a few are spelt out by hand as well); the problem counts
come from reports written here.
"""

from __future__ import annotations

import hashlib

import pytest
from indicators.pools import MEASUREMENTS, PROVISIONS, SESSIONS, YOUNG_PEOPLE, Data, open_pool
from indicators.pools import submit_all as submit_hand_made

from needle.quality import COMPLETENESS, Share, partner_quality, rule_counts


def _reject(pool, org: str, period: str, report: dict) -> None:
    pool.receive(
        org=org,
        period=period,
        standard_version="1.0",
        content_sha256=hashlib.sha256(f"{org}/{period}/bad".encode()).hexdigest(),
        tables=None,
        report=report,
        source_name="bad.xlsx",
    )


BAD_YC = {
    "valid": False,
    "summary": {
        "errors": 1503,
        "warnings": 2,
        "by_rule": {
            "code_unknown": {"severity": "error", "count": 1500, "listed": 1000},
            "date_future": {"severity": "error", "count": 3, "listed": 3},
            "dob_implausible": {"severity": "warning", "count": 2, "listed": 2},
        },
    },
    "problems": [],  # the listed problems are not what is counted when there is a summary
}
BAD_SPORT = {  # an older report with no summary: counted from its list
    "valid": False,
    "problems": [
        {"rule": "required", "severity": "error", "message": "..."},
        {"rule": "required", "severity": "error", "message": "..."},
        {"rule": "code_unknown", "message": "..."},
    ],
}


@pytest.fixture(scope="module")
def quality(tmp_path_factory):
    pool = open_pool(tmp_path_factory.mktemp("quality") / "home")
    try:
        submit_hand_made(pool, Data.original())
        _reject(pool, "YC", "2025-Q3", BAD_YC)
        _reject(pool, "SPORT", "2025-Q1", BAD_SPORT)
        pool.add_partner("NEW", "Not sent anything")
        yield {q.code: q for q in partner_quality(pool)}
    finally:
        pool.close()


# ---- expectations from the rows, in plain Python ---------------------------------------------


def recorded(value) -> bool:
    return value is not None and value != "not_known"


def expected_people(org: str, at: int, test=recorded) -> Share:
    rows = [r for r in YOUNG_PEOPLE if r[0] == org]
    return Share(sum(1 for r in rows if test(r[at])), len(rows))


def expected_sessions(org: str) -> Share:
    categorised = {p[1] for p in PROVISIONS if p[0] == org and p[3] is not None}
    rows = [s for s in SESSIONS if s[0] == org]
    return Share(sum(1 for s in rows if s[3] in categorised), len(rows))


def expected_pairs(org: str) -> Share:
    baselines = {(m[2], m[3]) for m in MEASUREMENTS if m[0] == org and m[5] == "baseline"}
    exits = {(m[2], m[3]) for m in MEASUREMENTS if m[0] == org and m[5] == "exit"}
    return Share(len(baselines & exits), len(baselines))


@pytest.mark.parametrize("org", ["YC", "SPORT", "ARTS"])
def test_completeness_matches_the_rows(quality, org):
    found = quality[org].completeness
    assert found["ethnicity"] == expected_people(org, 4)
    assert found["gender"] == expected_people(org, 3)
    assert found["home_area"] == expected_people(org, 10, lambda v: v is not None)
    assert found["session_category"] == expected_sessions(org)
    assert found["questionnaires_paired"] == expected_pairs(org)
    assert set(found) == set(COMPLETENESS)


def test_completeness_by_hand(quality):
    yc, sport, arts = quality["YC"], quality["SPORT"], quality["ARTS"]
    # YC: 11 records of young people over three quarters; A4 has no ethnicity or postcode.
    assert yc.completeness["ethnicity"] == Share(10, 11)
    assert yc.completeness["home_area"] == Share(10, 11)
    # YC: 14 sessions, S7 is of P-GONE, which is not among YC's provisions.
    assert yc.completeness["session_category"] == Share(13, 14)
    # SPORT: baselines B1 swemwbs, B1 ons4, B2 swemwbs, B3 swemwbs; B2 never had an exit.
    assert sport.completeness["questionnaires_paired"] == Share(3, 4)
    assert sport.completeness["questionnaires_paired"].percent == 75.0
    # ARTS: C2's ethnicity is "not_known"; their gender "prefer_not_to_say" is an answer.
    assert arts.completeness["ethnicity"] == Share(1, 2)
    assert arts.completeness["gender"] == Share(2, 2)


def test_submissions_are_counted_per_period(quality):
    yc = quality["YC"]
    assert [(p.period, p.accepted, p.rejected) for p in yc.periods] == [
        ("2025-Q1", 1, 0),
        ("2025-Q2", 1, 0),
        ("2025-Q3", 1, 1),
    ]
    assert (yc.accepted, yc.rejected) == (3, 1)
    assert (quality["SPORT"].accepted, quality["SPORT"].rejected) == (3, 1)


def test_the_most_common_problems_come_from_the_report_counts(quality):
    yc = [(p.rule, p.severity, p.count) for p in quality["YC"].problems]
    assert yc == [
        ("code_unknown", "error", 1500),
        ("date_future", "error", 3),
        ("dob_implausible", "warning", 2),
    ]
    sport = [(p.rule, p.severity, p.count) for p in quality["SPORT"].problems]
    assert sport == [("required", "error", 2), ("code_unknown", "error", 1)]
    assert quality["ARTS"].problems == ()
    # Titles from the standard's rule catalogue; a rule it does not know keeps its id.
    assert quality["YC"].problems[0].title == "Not in the code list"


def test_an_unknown_rule_keeps_its_id_and_only_the_top_rules_are_kept(tmp_path):
    pool = open_pool(tmp_path / "home")
    try:
        problems = [{"rule": "local_rule"}, {"rule": "local_rule"}, {"rule": "required"}]
        _reject(pool, "ARTS", "2025-Q1", {"valid": False, "problems": problems})
        [arts] = partner_quality(pool, "ARTS", top=1)
    finally:
        pool.close()
    assert [(p.rule, p.title, p.count) for p in arts.problems] == [("local_rule", "local_rule", 2)]


def test_a_partner_with_nothing_sent_has_nothing_to_show(quality):
    new = quality["NEW"]
    assert (new.periods, new.problems, dict(new.completeness)) == ((), (), {})


def test_rule_counts_add_up_over_reports():
    reports = [{"problems": [{"rule": f"rule_{i}"} for i in range(n)]} for n in range(1, 4)]
    counts = rule_counts(reports)
    assert counts[("rule_0", "error")] == 3 and counts[("rule_2", "error")] == 1


def test_one_partner_and_withdrawn_data(tmp_path):
    pool = open_pool(tmp_path / "home")
    try:
        submit_hand_made(pool, Data.original())
        pool.withdraw("ARTS", "2025-Q2")
        [arts] = partner_quality(pool, "arts")
        [yc] = partner_quality(pool, "YC", top=1)
    finally:
        pool.close()
    # The withdrawn version was accepted once, but its data is no longer shown.
    assert [(p.period, p.accepted, p.rejected) for p in arts.periods] == [("2025-Q2", 1, 0)]
    assert dict(arts.completeness) == {}
    assert yc.completeness["ethnicity"] == Share(10, 11)
    assert len(yc.problems) == 0


def test_an_empty_share_has_no_percentage():
    assert Share(0, 0).percent is None
    assert Share(1, 4).percent == 25.0
