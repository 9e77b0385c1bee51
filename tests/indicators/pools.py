"""A small hand-made pool for the indicator tests, and the expected numbers worked out
from the same rows in plain Python.

Three partners (YC, SPORT, ARTS), three quarters of 2025, thirteen young people. Every
row is written out below so that a reader can check an expected number by eye; the
``expected_*`` helpers count with loops, sets and the ``statistics`` module, never with
the engine's SQL. References are per partner: ``A1`` at YC and ``A1`` at SPORT are two
young people (there is no linkage yet), so a young person is ``ORG:REF``.
"""

from __future__ import annotations

import hashlib
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from math import sqrt
from typing import Any

import polars as pl

from needle.pool import Pool

Q1, Q2, Q3 = "2025-Q1", "2025-Q2", "2025-Q3"
PERIODS = (Q1, Q2, Q3)
ALL = "all"
AGE_MIN, AGE_MAX = 11, 25

# ---- the area: three neighbourhoods with a resident population, one outside -------------
# lsoa21: (ward, local authority, IMD decile, IMD quintile)
AREA = {
    "E01000001": ("E05000001", "E08000009", 1, 1),
    "E01000002": ("E05000001", "E08000009", 2, 1),
    "E01000003": ("E05000002", "E08000009", 7, 4),
}
OUTSIDE = "E01099999"  # a young person living elsewhere: no population known
OUTSIDE_AREA = ("E05099999", "E08000099", 5, 3)
L1, L2, L3 = AREA
POPULATION_AGES = (10, 12, 14, 17, 20, 24, 26)  # 10 and 26 are outside 11-25


def population_count(lsoa: str, age: int, sex: str) -> int:
    """A made-up Census count, different for every cell."""
    return 5 + (list(AREA).index(lsoa) * 7 + age + (3 if sex == "female" else 0)) % 11


def population_frame() -> pl.DataFrame:
    rows = [
        {
            "lsoa21": lsoa,
            "ward": ward,
            "local_authority": la,
            "imd_decile": decile,
            "imd_quintile": quintile,
            "age": age,
            "sex": sex,
            "count": population_count(lsoa, age, sex),
        }
        for lsoa, (ward, la, decile, quintile) in AREA.items()
        for age in POPULATION_AGES
        for sex in ("female", "male")
    ]
    return pl.DataFrame(rows).with_columns(
        pl.col("imd_decile").cast(pl.Int8),
        pl.col("imd_quintile").cast(pl.Int8),
        pl.col("age").cast(pl.Int32),
        pl.col("count").cast(pl.Int64),
    )


# ---- young people -----------------------------------------------------------------------
# (org, period, ref, gender, ethnicity, send, free_school_meals, care_experienced,
#  education_employment_status, age_at_period_start, lsoa21)
_ = None
YOUNG_PEOPLE = [
    ("YC", Q1, "A1", "female", "white_british", "none", "yes", "no", "in_education", 14, L1),
    ("YC", Q1, "A2", "male", "black_african", "ehcp", "no", "no", "in_education", 17, L2),
    ("YC", Q1, "A3", "non_binary", "mixed_other", "none", "no", "yes", "neet", 20, L3),
    ("YC", Q1, "A4", _, _, _, _, _, _, 12, _),
    ("YC", Q1, "A5", "female", "asian_indian", "none", "yes", "no", "in_education", 26, L1),
    # A1 moves house (L1 -> L3: another ward and decile); A2 has a birthday (17 -> 18)
    ("YC", Q2, "A1", "female", "white_british", "none", "yes", "no", "in_education", 14, L3),
    ("YC", Q2, "A2", "male", "black_african", "ehcp", "no", "no", "in_education", 18, L2),
    ("YC", Q2, "A6", "male", "white_other", "none", "no", "no", "in_employment", 22, OUTSIDE),
    ("YC", Q3, "A1", "female", "white_british", "none", "yes", "no", "in_education", 14, L3),
    ("YC", Q3, "A6", "male", "white_other", "none", "no", "no", "in_employment", 22, OUTSIDE),
    ("YC", Q3, "A7", "female", "other_arab", "sen_support", "yes", "yes", "neet", 16, L2),
    ("SPORT", Q1, "B1", "male", "white_british", "none", "no", "no", "in_education", 15, L3),
    ("SPORT", Q1, "B2", "female", "white_irish", "none", "yes", "no", "in_education", 11, L1),
    ("SPORT", Q1, "A1", "male", "black_caribbean", "none", "no", "no", "in_training", 19, L2),
    ("SPORT", Q2, "B1", "male", "white_british", "none", "no", "no", "in_education", 15, L3),
    ("SPORT", Q2, "B3", "male", "black_caribbean", "ehcp", "yes", "no", "neet", 24, L1),
    ("SPORT", Q3, "B1", "male", "white_british", "none", "no", "no", "in_education", 16, L3),
    ("SPORT", Q3, "B3", "male", "black_caribbean", "ehcp", "yes", "no", "neet", 24, L1),
    ("ARTS", Q2, "C1", "female", "asian_pakistani", "none", "no", "no", "in_education", 13, L2),
    ("ARTS", Q2, "C2", "prefer_not_to_say", "not_known", "not_known", _, _, _, 17, L3),
]
YP_COLUMNS = (
    "org", "period", "person_ref", "gender", "ethnicity", "send", "free_school_meals",
    "care_experienced", "education_employment_status", "age_at_period_start", "lsoa21",
)  # fmt: skip

# ---- what partners run ------------------------------------------------------------------
# (org, provision_ref, name, category, venue ward, venue local authority)
PROVISIONS = [
    ("YC", "P-CLUB", "Friday club", "open_access_youth_club", "E05000001", "E08000009"),
    ("YC", "P-DET", "Street work", "detached_outreach", _, _),
    ("SPORT", "P-FOOT", "Football", "sport_physical_activity", "E05000002", "E08000009"),
    ("ARTS", "P-ART", "Art studio", "arts_culture", "E05000001", "E08000009"),
]
# (org, period, session_ref, provision_ref, date, minutes, anonymous head count, venue ward,
#  venue local authority); a session's own venue wins over its provision's; P-GONE is not
#  in the provisions table (category unknown)
SESSIONS = [
    ("YC", Q1, "S1", "P-CLUB", date(2025, 1, 10), 120, _, _, _),
    ("YC", Q1, "S2", "P-CLUB", date(2025, 1, 17), 120, 0, _, _),
    ("YC", Q1, "S3", "P-CLUB", date(2025, 1, 24), 90, _, _, _),
    ("YC", Q1, "S4", "P-CLUB", date(2025, 1, 31), 90, _, _, _),
    ("YC", Q1, "S5", "P-DET", date(2025, 2, 7), 60, 12, "E05000002", "E08000009"),
    ("YC", Q1, "S6", "P-DET", date(2025, 2, 14), 60, 8, _, _),
    ("YC", Q1, "S7", "P-GONE", date(2025, 3, 1), 45, _, _, _),
    ("YC", Q2, "T1", "P-CLUB", date(2025, 4, 4), 120, _, _, _),
    ("YC", Q2, "T2", "P-CLUB", date(2025, 4, 11), 120, _, _, _),
    ("YC", Q2, "T3", "P-CLUB", date(2025, 4, 18), 120, _, _, _),
    ("YC", Q2, "T4", "P-CLUB", date(2025, 4, 25), 120, _, _, _),
    ("YC", Q2, "T5", "P-DET", date(2025, 5, 2), 60, 5, _, _),
    ("YC", Q3, "U1", "P-CLUB", date(2025, 7, 4), 120, _, _, _),
    ("YC", Q3, "U2", "P-CLUB", date(2025, 7, 11), 120, _, _, _),
    ("SPORT", Q1, "F1", "P-FOOT", date(2025, 1, 6), 60, _, _, _),
    ("SPORT", Q1, "F2", "P-FOOT", date(2025, 1, 13), 60, _, _, _),
    ("SPORT", Q1, "F3", "P-FOOT", date(2025, 1, 20), 60, _, _, _),
    ("SPORT", Q2, "G1", "P-FOOT", date(2025, 4, 7), 90, _, _, _),
    ("SPORT", Q2, "G2", "P-FOOT", date(2025, 4, 14), 90, _, _, _),
    ("SPORT", Q2, "G3", "P-FOOT", date(2025, 4, 21), 90, _, _, _),
    ("SPORT", Q2, "G4", "P-FOOT", date(2025, 4, 28), 90, _, _, _),
    ("SPORT", Q3, "H1", "P-FOOT", date(2025, 7, 7), 60, _, _, _),
    ("SPORT", Q3, "H2", "P-FOOT", date(2025, 7, 14), 60, _, _, _),
    ("ARTS", Q2, "R1", "P-ART", date(2025, 5, 5), 150, _, _, _),
    ("ARTS", Q2, "R2", "P-ART", date(2025, 5, 12), 150, 3, _, _),
]
# (org, period, person_ref, session refs attended)
ATTENDANCE = [
    ("YC", Q1, "A1", ["S1", "S2", "S3", "S4"]),
    ("YC", Q1, "A2", ["S1", "S2"]),
    ("YC", Q1, "A3", ["S5", "S7"]),
    ("YC", Q1, "A5", ["S1"]),
    ("YC", Q2, "A1", ["T1", "T2", "T3", "T4", "T5"]),
    ("YC", Q2, "A2", ["T1"]),
    ("YC", Q2, "A6", ["T2", "T3", "T4", "T5"]),
    ("YC", Q3, "A1", ["U1"]),
    ("YC", Q3, "A6", ["U1", "U2"]),
    ("YC", Q3, "A7", ["U1", "U2"]),
    ("SPORT", Q1, "B1", ["F1", "F2", "F3"]),
    ("SPORT", Q1, "B2", ["F1"]),
    ("SPORT", Q1, "A1", ["F2", "F3"]),
    ("SPORT", Q2, "B1", ["G1", "G2", "G3", "G4"]),
    ("SPORT", Q2, "B3", ["G1"]),
    ("SPORT", Q3, "B1", ["H1"]),
    ("SPORT", Q3, "B3", ["H1", "H2"]),
    ("ARTS", Q2, "C1", ["R1", "R2"]),
    ("ARTS", Q2, "C2", ["R2"]),
]


# ---- questionnaires -----------------------------------------------------------------------
def swemwbs(raw: int) -> list[int | None]:
    """Seven item responses (1-5) adding up to ``raw``."""
    items = [1] * 7
    left = raw - 7
    for i in range(7):
        step = min(4, left)
        items[i] += step
        left -= step
    return items


# (org, period, person_ref, instrument, administered_on, timepoint, item responses)
MEASUREMENTS = [
    # SWEMWBS: raw sums (metric scores in SWEMWBS_METRIC)
    ("YC", Q1, "A1", "swemwbs", date(2025, 1, 10), "baseline", swemwbs(17)),
    ("YC", Q2, "A1", "swemwbs", date(2025, 4, 4), "baseline", swemwbs(33)),  # 2nd baseline
    ("YC", Q3, "A1", "swemwbs", date(2025, 7, 11), "exit", swemwbs(25)),
    ("YC", Q1, "A2", "swemwbs", date(2025, 1, 10), "baseline", swemwbs(21)),
    ("YC", Q2, "A2", "swemwbs", date(2025, 4, 4), "exit", swemwbs(22)),
    # a later exit with a blank item is not scored, so the earlier one is used
    ("YC", Q2, "A2", "swemwbs", date(2025, 5, 4), "exit", [*swemwbs(30)[:6], None]),
    ("YC", Q1, "A3", "swemwbs", date(2025, 2, 7), "baseline", swemwbs(24)),
    ("YC", Q1, "A3", "swemwbs", date(2025, 3, 1), "midpoint", swemwbs(35)),
    ("YC", Q1, "A3", "swemwbs", date(2025, 3, 1), "exit", swemwbs(28)),
    ("YC", Q2, "A6", "swemwbs", date(2025, 4, 11), "baseline", swemwbs(28)),
    ("YC", Q3, "A6", "swemwbs", date(2025, 7, 11), "exit", swemwbs(30)),
    ("SPORT", Q1, "B1", "swemwbs", date(2025, 1, 6), "baseline", swemwbs(14)),
    ("SPORT", Q2, "B1", "swemwbs", date(2025, 4, 28), "exit", swemwbs(20)),
    ("SPORT", Q1, "B2", "swemwbs", date(2025, 1, 6), "baseline", swemwbs(18)),  # no exit
    ("SPORT", Q2, "B3", "swemwbs", date(2025, 4, 7), "baseline", swemwbs(30)),
    ("SPORT", Q3, "B3", "swemwbs", date(2025, 7, 14), "exit", swemwbs(24)),
    ("ARTS", Q2, "C1", "swemwbs", date(2025, 5, 5), "baseline", swemwbs(19)),
    ("ARTS", Q2, "C1", "swemwbs", date(2025, 5, 12), "exit", swemwbs(27)),
    # ONS4: life satisfaction, worthwhile, happiness, anxiety (0-10)
    ("YC", Q1, "A1", "ons4", date(2025, 1, 10), "baseline", [7, 6, 5, 8]),
    ("YC", Q3, "A1", "ons4", date(2025, 7, 11), "exit", [8, 7, 7, 3]),
    ("SPORT", Q1, "B1", "ons4", date(2025, 1, 6), "baseline", [3, 4, 4, 6]),
    ("SPORT", Q2, "B1", "ons4", date(2025, 4, 28), "exit", [8, 8, 6, 6]),
    ("ARTS", Q2, "C2", "ons4", date(2025, 5, 5), "baseline", [5, 5, 5, 2]),
    ("ARTS", Q2, "C2", "ons4", date(2025, 5, 12), "exit", [5, 5, 5, 7]),
    # WEMWBS: 14 items
    ("YC", Q3, "A7", "wemwbs", date(2025, 7, 4), "baseline", [2] * 14),
    ("YC", Q3, "A7", "wemwbs", date(2025, 7, 11), "exit", [3] * 14),
]
# Stewart-Brown et al. 2009 raw -> metric (the rows used above), typed from the table
SWEMWBS_METRIC = {
    14: 15.32, 17: 16.88, 18: 17.43, 19: 17.98, 20: 18.59, 21: 19.25, 22: 19.98, 24: 21.54,
    25: 22.35, 27: 24.11, 28: 25.03, 30: 27.03, 33: 30.70, 35: 35.00,
}  # fmt: skip
SCALES = {
    # scale: (instrument, item index or None for the whole questionnaire, direction, RCI,
    #         low band as an inclusive range)
    "swemwbs": ("swemwbs", None, "up", 2.87, (7.0, 19.99)),
    "wemwbs": ("wemwbs", None, "up", 1.96 * sqrt(2) * 8.79 * sqrt(1 - 0.89), (14, 42)),
    "ons4_life_satisfaction": ("ons4", 0, "up", 1.96 * sqrt(2) * 2 * sqrt(0.3), (0, 4)),
    "ons4_worthwhile": ("ons4", 1, "up", 1.96 * sqrt(2) * 2 * sqrt(0.3), (0, 4)),
    "ons4_happiness": ("ons4", 2, "up", 1.96 * sqrt(2) * 2 * sqrt(0.3), (0, 4)),
    "ons4_anxiety": ("ons4", 3, "down", 1.96 * sqrt(2) * 2 * sqrt(0.3), (6, 10)),
}

# ---- referrals and milestones -------------------------------------------------------------
# (org, period, referral_ref, person_ref, direction, partner_org, referred_on, status,
#  status_date)
REFERRALS = [
    ("YC", Q1, "R1", "A1", "out", "SPORT", date(2025, 1, 10), "started", date(2025, 1, 30)),
    ("YC", Q1, "R2", "A2", "out", "CAMHS", date(2025, 2, 1), "accepted", date(2025, 2, 10)),
    ("YC", Q1, "R3", "A3", "out", "CAMHS", date(2025, 2, 1), "started", date(2025, 3, 20)),
    ("YC", Q1, "R4", "A3", "in", "SCHOOL", date(2025, 1, 5), "made", date(2025, 1, 5)),
    ("YC", Q2, "R5", "A6", "out", "JOBS", date(2025, 4, 10), "declined", date(2025, 4, 15)),
    ("YC", Q2, "R6", "A1", "out", "ARTS", date(2025, 5, 1), "started", date(2025, 5, 11)),
    ("SPORT", Q2, "R1", "B3", "out", "JOBS", date(2025, 4, 1), "completed", date(2025, 6, 1)),
    ("SPORT", Q2, "R2", "B1", "out", "YC", date(2025, 6, 1), "made", date(2025, 6, 1)),
    ("SPORT", Q2, "R3", "B1", "in", "YC", date(2025, 5, 1), "accepted", date(2025, 5, 2)),
    ("SPORT", Q3, "R4", "B3", "out", "CAMHS", date(2025, 7, 1), "started", date(2025, 7, 31)),
]
# (org, period, person_ref, milestone, achieved_on)
MILESTONES = [
    ("YC", Q1, "A3", "entered_training", date(2025, 3, 1)),
    ("YC", Q1, "A1", "gained_qualification", date(2025, 3, 2)),
    ("YC", Q2, "A6", "entered_employment", date(2025, 5, 1)),
    ("YC", Q2, "A6", "completed_programme", date(2025, 6, 1)),
    ("YC", Q3, "A7", "entered_education", date(2025, 9, 1)),
    ("YC", Q3, "A6", "entered_employment", date(2025, 8, 1)),
    ("SPORT", Q2, "B3", "entered_employment", date(2025, 6, 1)),
    ("SPORT", Q2, "B3", "entered_training", date(2025, 6, 2)),
]
EET = ("entered_education", "entered_employment", "entered_training")


# ---- the submissions --------------------------------------------------------------------
@dataclass
class Data:
    """All the hand-made rows, so a test can change a copy (a new version, an erasure)."""

    young_people: list[tuple]
    sessions: list[tuple]
    attendance: list[tuple]
    measurements: list[tuple]
    referrals: list[tuple]
    milestones: list[tuple]
    provisions: list[tuple]

    @classmethod
    def original(cls) -> Data:
        return cls(
            list(YOUNG_PEOPLE), list(SESSIONS), list(ATTENDANCE), list(MEASUREMENTS),
            list(REFERRALS), list(MILESTONES), list(PROVISIONS),
        )  # fmt: skip

    def submissions(self) -> list[tuple[str, str]]:
        return sorted({(r[0], r[1]) for r in self.young_people})

    def only(self, keep: set[tuple[str, str]]) -> Data:
        """The rows of the (org, period) submissions in ``keep``."""
        return Data(
            *(
                [r for r in getattr(self, name) if (r[0], r[1]) in keep]
                for name in (
                    "young_people", "sessions", "attendance", "measurements", "referrals",
                    "milestones",
                )
            ),
            self.provisions,
        )  # fmt: skip

    def without_person(self, org: str, ref: str) -> Data:
        """The rows left after erasing ``ref`` of ``org``."""

        def keep(rows: list[tuple], at: int) -> list[tuple]:
            return [r for r in rows if not (r[0] == org and r[at] == ref)]

        return Data(
            keep(self.young_people, 2), self.sessions, keep(self.attendance, 2),
            keep(self.measurements, 2), keep(self.referrals, 3), keep(self.milestones, 2),
            self.provisions,
        )  # fmt: skip

    # -- the pooled tables of one submission --------------------------------------------

    def tables(self, org: str, period: str) -> dict[str, pl.DataFrame]:
        yp = [dict(zip(YP_COLUMNS, r, strict=True)) for r in self.young_people]
        yp = [r for r in yp if (r["org"], r["period"]) == (org, period)]
        for r in yp:
            ward, la, decile, quintile = _area(r["lsoa21"])
            r.update(
                consent_to_share="yes", ward_code=ward, la_code=la, imd_decile=decile,
                imd_quintile=quintile,
            )  # fmt: skip
            del r["org"], r["period"]
        young_people = pl.DataFrame(
            yp,
            schema_overrides={
                "age_at_period_start": pl.Int16,
                "imd_decile": pl.Int8,
                "imd_quintile": pl.Int8,
            },
            infer_schema_length=None,
        )
        provisions = pl.DataFrame(
            [
                {
                    "provision_ref": p[1],
                    "name": p[2],
                    "category": p[3],
                    "venue_ward_code": p[4],
                    "venue_la_code": p[5],
                }
                for p in self.provisions
                if p[0] == org
            ],
            schema={
                "provision_ref": pl.String,
                "name": pl.String,
                "category": pl.String,
                "venue_ward_code": pl.String,
                "venue_la_code": pl.String,
            },
        )
        sessions = pl.DataFrame(
            [
                {
                    "session_ref": s[2],
                    "provision_ref": s[3],
                    "session_date": s[4],
                    "duration_minutes": s[5],
                    "anonymous_attendance": s[6],
                    "venue_ward_code": s[7],
                    "venue_la_code": s[8],
                }
                for s in self.sessions
                if (s[0], s[1]) == (org, period)
            ],
            schema={
                "session_ref": pl.String,
                "provision_ref": pl.String,
                "session_date": pl.Date,
                "duration_minutes": pl.Int64,
                "anonymous_attendance": pl.Int64,
                "venue_ward_code": pl.String,
                "venue_la_code": pl.String,
            },
        )
        ages = {r["person_ref"]: r["age_at_period_start"] for r in yp}
        attendance = pl.DataFrame(
            [
                {"session_ref": s, "person_ref": a[2], "age_at_activity": ages.get(a[2])}
                for a in self.attendance
                if (a[0], a[1]) == (org, period)
                for s in a[3]
            ],
            schema={"session_ref": pl.String, "person_ref": pl.String, "age_at_activity": pl.Int16},
        )
        measurements = pl.DataFrame(
            [
                {
                    "person_ref": m[2],
                    "instrument": m[3],
                    "administered_on": m[4],
                    "timepoint": m[5],
                    **{f"q{i + 1}": v for i, v in enumerate(m[6])},
                    "age_at_activity": ages.get(m[2]),
                }
                for m in self.measurements
                if (m[0], m[1]) == (org, period)
            ],
            schema={
                "person_ref": pl.String,
                "instrument": pl.String,
                "administered_on": pl.Date,
                "timepoint": pl.String,
                **{f"q{i}": pl.Int64 for i in range(1, 15)},
                "age_at_activity": pl.Int16,
            },
        )
        referrals = pl.DataFrame(
            [
                {
                    "referral_ref": r[2],
                    "person_ref": r[3],
                    "direction": r[4],
                    "partner_org": r[5],
                    "provision_ref": None,
                    "referred_on": r[6],
                    "reason": "help",
                    "status": r[7],
                    "status_date": r[8],
                    "age_at_activity": ages.get(r[3]),
                }
                for r in self.referrals
                if (r[0], r[1]) == (org, period)
            ],
            schema={
                "referral_ref": pl.String,
                "person_ref": pl.String,
                "direction": pl.String,
                "partner_org": pl.String,
                "provision_ref": pl.String,
                "referred_on": pl.Date,
                "reason": pl.String,
                "status": pl.String,
                "status_date": pl.Date,
                "age_at_activity": pl.Int16,
            },
        )
        milestones = pl.DataFrame(
            [
                {
                    "person_ref": m[2],
                    "milestone": m[3],
                    "achieved_on": m[4],
                    "evidence": "verified",
                    "age_at_activity": ages.get(m[2]),
                }
                for m in self.milestones
                if (m[0], m[1]) == (org, period)
            ],
            schema={
                "person_ref": pl.String,
                "milestone": pl.String,
                "achieved_on": pl.Date,
                "evidence": pl.String,
                "age_at_activity": pl.Int16,
            },
        )
        tables = {
            "young_people": young_people, "provisions": provisions, "sessions": sessions,
            "attendance": attendance, "measurements": measurements, "referrals": referrals,
            "milestones": milestones,
        }  # fmt: skip
        # A partner with nothing of an entity sends no table for it, as a real file would.
        return {name: frame for name, frame in tables.items() if frame.height}


def _area(lsoa: str | None) -> tuple[Any, ...]:
    if lsoa is None:
        return (None, None, None, None)
    return AREA.get(lsoa, OUTSIDE_AREA)


PARTNERS = {"YC": "Youth Club", "SPORT": "Sport for All", "ARTS": "Arts Space"}


def open_pool(home, database_url: str | None = None) -> Pool:
    pool = Pool.open(home, database_url=database_url)
    for code, name in PARTNERS.items():
        pool.add_partner(code, name)
    return pool


def submit(pool: Pool, data: Data, org: str, period: str, *, tag: str = "v1"):
    """Receive the (org, period) submission of ``data``; ``tag`` makes a new version."""
    return pool.receive(
        org=org,
        period=period,
        standard_version="1.0",
        content_sha256=hashlib.sha256(f"{org}/{period}/{tag}".encode()).hexdigest(),
        tables=data.tables(org, period),
        report={"valid": True},
        source_name=f"{org}-{period}-{tag}.xlsx",
    )


def submit_all(pool: Pool, data: Data) -> dict[tuple[str, str], str]:
    """Every submission of ``data``; the submission id of each (org, period)."""
    return {(org, period): submit(pool, data, org, period).id for org, period in data.submissions()}


# ---- expected numbers, by hand --------------------------------------------------------------
UNKNOWN = "unknown"
PERSON_DIMS = (
    "ward", "local_authority", "age_band", "gender", "ethnicity_group", "ethnicity",
    "imd_quintile", "imd_decile", "send", "free_school_meals", "care_experienced",
)  # fmt: skip
GROUP_OF_ETHNICITY = {  # the standard's five broad groups, typed by hand
    "white_british": "white", "white_irish": "white", "white_other": "white",
    "black_african": "black", "black_caribbean": "black", "mixed_other": "mixed",
    "asian_indian": "asian", "asian_pakistani": "asian", "other_arab": "other",
}  # fmt: skip


def age_band(age: int | None) -> str:
    if age is None:
        return UNKNOWN
    for label, low, high in (("0-10", 0, 10), ("11-15", 11, 15), ("16-18", 16, 18),
                             ("19-25", 19, 25), ("26+", 26, 200)):  # fmt: skip
        if low <= age <= high:
            return label
    return UNKNOWN


def _code(value: Any) -> str:
    return UNKNOWN if value is None else str(value)


@dataclass
class Person:
    """One young person in one period, as the expected calculations see them."""

    org: str
    period: str
    ref: str
    age: int | None
    lsoa: str | None
    eet: str | None
    groups: dict[str, str]

    @property
    def id(self) -> str:
        return f"{self.org}:{self.ref}"

    @property
    def resident(self) -> bool:
        return self.lsoa in AREA

    @property
    def resident_aged(self) -> bool:
        return self.resident and self.age is not None and AGE_MIN <= self.age <= AGE_MAX


class Expected:
    """The pool's numbers worked out in plain Python from the rows of ``data``."""

    def __init__(self, data: Data) -> None:
        self.data = data
        self.people: dict[tuple[str, str], Person] = {}  # (period, person id)
        for r in data.young_people:
            row = dict(zip(YP_COLUMNS, r, strict=True))
            ward, la, decile, quintile = _area(row["lsoa21"])
            groups = {
                "ward": _code(ward),
                "local_authority": _code(la),
                "age_band": age_band(row["age_at_period_start"]),
                "gender": _code(row["gender"]),
                "ethnicity_group": GROUP_OF_ETHNICITY.get(row["ethnicity"], UNKNOWN),
                "ethnicity": _code(row["ethnicity"]),
                "imd_quintile": _code(quintile),
                "imd_decile": _code(decile),
                "send": _code(row["send"]),
                "free_school_meals": _code(row["free_school_meals"]),
                "care_experienced": _code(row["care_experienced"]),
            }
            p = Person(
                row["org"], row["period"], row["person_ref"], row["age_at_period_start"],
                row["lsoa21"], row["education_employment_status"], groups,
            )  # fmt: skip
            self.people[(p.period, p.id)] = p
        self.periods = sorted({period for period, _ in self.people})
        self.first: dict[str, Person] = {}
        for (_period, pid), p in sorted(self.people.items()):
            self.first.setdefault(pid, p)
        self.provision_category = {(p[0], p[1]): p[3] for p in data.provisions}
        self.provision_venue = {(p[0], p[1]): (p[4], p[5]) for p in data.provisions}
        self.session = {(s[0], s[1], s[2]): s for s in data.sessions}
        # one row per attendance by a young person in the young people table
        self.attendances: list[dict[str, Any]] = []
        for org, period, ref, refs in data.attendance:
            if (period, f"{org}:{ref}") not in self.people:
                continue
            for s in refs:
                session = self.session[(org, period, s)]
                self.attendances.append(
                    {
                        "period": period,
                        "person": f"{org}:{ref}",
                        "org": org,
                        "category": self.category(org, session[3]),
                        "minutes": session[5],
                    }
                )

    def category(self, org: str, provision: str) -> str:
        return self.provision_category.get((org, provision), UNKNOWN)

    # -- counting young people --------------------------------------------------------

    def people_counts(
        self, subjects: set[tuple[str, str]], breakdowns: tuple[str, ...] = PERSON_DIMS
    ) -> dict[tuple[str, str, str], int]:
        """Young people counted as a ``people`` indicator counts them: per period and
        breakdown group, over all periods (once, as first recorded), by partner and by
        the provision categories they attended."""
        counts: Counter = Counter()
        for period, pid in subjects:
            counts[(period, "", "")] += 1
            for dim in breakdowns:
                if dim in PERSON_DIMS:
                    counts[(period, dim, self.people[(period, pid)].groups[dim])] += 1
        for pid in {pid for _, pid in subjects}:
            counts[(ALL, "", "")] += 1
            for dim in breakdowns:
                if dim in PERSON_DIMS:
                    counts[(ALL, dim, self.first[pid].groups[dim])] += 1
        if "partner" in breakdowns:
            by_org: dict[tuple[str, str], set[str]] = defaultdict(set)
            for period, pid in subjects:
                org = pid.split(":")[0]
                by_org[(period, org)].add(pid)
                by_org[(ALL, org)].add(pid)
            for (period, org), pids in by_org.items():
                counts[(period, "partner", org)] = len(pids)
        if "provision_category" in breakdowns:
            by_cat: dict[tuple[str, str], set[str]] = defaultdict(set)
            for a in self.attendances:
                if (a["period"], a["person"]) in subjects:
                    by_cat[(a["period"], a["category"])].add(a["person"])
                    by_cat[(ALL, a["category"])].add(a["person"])
            for (period, cat), pids in by_cat.items():
                counts[(period, "provision_category", cat)] = len(pids)
        return dict(counts)

    def reached(self) -> set[tuple[str, str]]:
        return set(self.people)

    def attendance_count(self, period: str, pid: str) -> int:
        return sum(1 for a in self.attendances if (a["period"], a["person"]) == (period, pid))

    # -- counting events ----------------------------------------------------------------

    def event_sums(
        self, rows: list[dict[str, Any]], value: str | None, dims: tuple[str, ...]
    ) -> dict[tuple[str, str, str], tuple[float, int]]:
        """(sum of ``value`` (1 per row without one), rows) per period and group and over
        all periods; each row names its period and its group of each of ``dims``."""
        out: dict[tuple[str, str, str], list[float]] = defaultdict(lambda: [0.0, 0])
        for row in rows:
            amount = 1.0 if value is None else float(row[value] or 0)
            for period in (row["period"], ALL):
                for key in [(period, "", ""), *((period, d, row[d]) for d in dims)]:
                    out[key][0] += amount
                    out[key][1] += 1
        return {k: (v[0], v[1]) for k, v in out.items()}

    def session_rows(self) -> list[dict[str, Any]]:
        rows = []
        for org, period, _ref, provision, _day, minutes, anonymous, ward, la in self.data.sessions:
            venue = self.provision_venue.get((org, provision), (None, None))
            rows.append(
                {
                    "period": period,
                    "partner": org,
                    "provision_category": self.category(org, provision),
                    "ward": _code(ward or venue[0]),
                    "local_authority": _code(la or venue[1]),
                    "minutes": minutes,
                    "anonymous": anonymous or 0,
                }
            )
        return rows

    def participation_rows(self) -> list[dict[str, Any]]:
        """Attendances with the partner, category and the young person's groups."""
        return [
            {
                **a,
                "partner": a["org"],
                "provision_category": a["category"],
                "hours": a["minutes"] / 60,
                **self.people[(a["period"], a["person"])].groups,
            }
            for a in self.attendances
        ]

    def referral_rows(self) -> list[dict[str, Any]]:
        rows = []
        for (
            org,
            period,
            _ref,
            person,
            direction,
            _to,
            on,
            status,
            status_date,
        ) in self.data.referrals:
            p = self.people.get((period, f"{org}:{person}"))
            if p is None:
                continue
            rows.append(
                {
                    "period": period,
                    "partner": org,
                    "direction": direction,
                    "status": status,
                    "days": (status_date - on).days,
                    **p.groups,
                }
            )
        return rows

    # -- questionnaires -------------------------------------------------------------------

    def score(self, scale: str, items: list[int | None]) -> float | None:
        _instrument, item, _, _, _ = SCALES[scale]
        if item is not None:
            return None if items[item] is None else float(items[item])
        if any(v is None for v in items):
            return None
        return SWEMWBS_METRIC[sum(items)] if scale == "swemwbs" else float(sum(items))

    def pairs(self, scale: str) -> list[dict[str, Any]]:
        """Each young person's first scored baseline and last scored exit on ``scale``
        (at one partner), with the exit's period."""
        instrument, _, direction, rci, (low_min, low_max) = SCALES[scale]
        by_person: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        for org, period, ref, inst, on, timepoint, items in self.data.measurements:
            if inst != instrument or (period, f"{org}:{ref}") not in self.people:
                continue
            value = self.score(scale, items)
            if value is not None:
                by_person[f"{org}:{ref}"][timepoint].append((on, value, period))
        pairs = []
        for pid, points in sorted(by_person.items()):
            if not points["baseline"] or not points["exit"]:
                continue
            b_on, baseline, _ = min(points["baseline"])
            e_on, exit_, period = max(points["exit"])
            if e_on < b_on:
                continue
            change = exit_ - baseline
            sign = -1 if direction == "down" else 1

            def low(v: float) -> bool:
                return low_min <= v <= low_max

            pairs.append(
                {
                    "person": pid,
                    "period": period,
                    "baseline": baseline,
                    "exit": exit_,
                    "change": change,
                    "improved": sign * change >= rci,
                    "deteriorated": -sign * change >= rci,
                    "low": low(baseline),
                    "left_low": low(baseline) and not low(exit_),
                    **self.people[(period, pid)].groups,
                    "partner": pid.split(":")[0],
                }
            )
        return pairs


def paired_stats(pairs: list[dict[str, Any]]) -> dict[str, Any]:
    """Every paired-change statistic of ``pairs``, with ``statistics`` and scipy."""
    from scipy import stats

    changes = [p["change"] for p in pairs]
    baselines = [p["baseline"] for p in pairs]
    n = len(changes)
    mean = statistics.fmean(changes)
    out: dict[str, Any] = {"n": n, "mean_change": mean, "lower": None, "upper": None}
    if n >= 2:
        sd = statistics.stdev(changes)
        half = stats.t.ppf(0.975, n - 1) * sd / sqrt(n)
        out.update(lower=mean - half, upper=mean + half)
        out["effect_size_dz"] = mean / sd if sd > 0 else None
        sd_base = statistics.stdev(baselines)
        out["effect_size_d"] = mean / sd_base if sd_base > 0 else None
    out["reliable_improvement"] = 100 * sum(p["improved"] for p in pairs) / n
    out["reliable_deterioration"] = 100 * sum(p["deteriorated"] for p in pairs) / n
    low = [p for p in pairs if p["low"]]
    out["low"] = len(low)
    out["left_low"] = 100 * sum(p["left_low"] for p in low) / len(low) if low else None
    return out


# ---- running the engine directly ------------------------------------------------------------
def run_engine(files, facts_root, *, registry=None, population=None):
    """The engine over ``files`` as a refresh runs it (facts cache, then every indicator):
    (results, engine, facts update). The DuckDB connection stays open for the engine."""
    import duckdb

    from needle.indicators.definitions import load_registry
    from needle.indicators.engine import Engine, Inputs, run_all
    from needle.indicators.facts import FACTS, FactStore
    from needle.indicators.instruments import load_instruments, scale_meta
    from needle.indicators.lookups import ethnicity_groups

    registry = registry if registry is not None else load_registry()
    instruments = load_instruments()
    con = duckdb.connect()
    store = FactStore(facts_root)
    update = store.update(
        files, instruments=instruments, ethnicity_groups=ethnicity_groups(), connection=con
    )
    submissions = sorted({f.submission_id for f in files})
    inputs = Inputs(
        facts={fact: store.fact_files(fact, submissions) for fact in FACTS},
        submissions=submissions,
        population=population if population is not None else population_frame(),
        scales=scale_meta(instruments),
    )
    engine = Engine(con, inputs)
    return run_all(engine, registry), engine, update


def by_key(results: pl.DataFrame, indicator: str, column: str = "value") -> dict:
    """{(period, breakdown, group): column} of one indicator."""
    rows = results.filter(pl.col("indicator") == indicator)
    return {
        (r["period"], r["breakdown"], r["group"]): r[column] for r in rows.iter_rows(named=True)
    }
