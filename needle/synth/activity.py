"""Sessions and attendance: the bulk of every submission.

Why: attendance drives reach, dosage and contact-hour indicators, and its shape matters.
Clubs meet weekly in term and holiday programmes in the holidays; many young people come
once, a core comes most weeks; detached sessions record head counts and only a few names;
mentoring and wellbeing meetings are one-to-one. Loops run per provision and quarter;
within them everything is a numpy matrix (members x sessions), and the pieces become one
Polars frame at the end (thousands of small frames would cost more than the work).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl

from needle.synth.calendar import age_on, days
from needle.synth.journeys import Window
from needle.synth.partners import PARTNERS
from needle.synth.provisions import spec_of
from needle.synth.seeds import rng_for

SLOTS = np.array(["09:30", "10:30", "11:30", "13:00", "14:00", "15:30", "16:30", "17:30"])
NO_LIMIT = np.datetime64("1900-01-01")


def open_days(row: dict, window: Window, q: int) -> list[date]:
    spec = spec_of(row)
    out = days(window.periods[q], spec.when, spec.weekdays, spec.months)
    end = row["end_date"]
    return [d for d in out if d >= row["start_date"] and (end is None or d <= end)]


@dataclass
class Members:
    """One provision's memberships as arrays."""

    rid: np.ndarray
    mid: np.ndarray
    tier: np.ndarray
    start_q: np.ndarray
    end_q: np.ndarray
    propensity: np.ndarray
    dob: np.ndarray  # datetime64[D], the organisation's recorded (or true) date of birth
    start_after: np.ndarray  # datetime64[D], NaT when no referral sets a first date

    def take(self, mask: np.ndarray) -> Members:
        return Members(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))


@dataclass
class Pieces:
    """Sessions and attendance gathered over the loop, as lists of arrays."""

    sessions: dict[str, list[np.ndarray]] = field(default_factory=dict)
    attendance: dict[str, list[np.ndarray]] = field(default_factory=dict)
    count: int = 0  # sessions so far: the next session id

    def add_sessions(self, **columns: np.ndarray) -> np.ndarray:
        n = len(next(iter(columns.values())))
        ids = np.arange(self.count, self.count + n)
        self.count += n
        for name, values in {**columns, "sid": ids}.items():
            self.sessions.setdefault(name, []).append(np.asarray(values))
        return ids

    def add_attendance(self, **columns: np.ndarray) -> None:
        for name, values in columns.items():
            self.attendance.setdefault(name, []).append(np.asarray(values))


def generate_activity(
    seed: int,
    records: pl.DataFrame,
    memberships: pl.DataFrame,
    provisions: pl.DataFrame,
    window: Window,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """All sessions and named attendance, with session refs numbered per organisation."""
    m = memberships.join(records.select("rid", "elig_dob"), on="rid").sort("mid")
    groups = {key[0]: frame for key, frame in m.partition_by("prov_id", as_dict=True).items()}
    empty = m.clear()
    pieces = Pieces()
    for row in provisions.iter_rows(named=True):
        members = _members(groups.get(row["prov_id"], empty))
        for q in range(row["first_q"], row["last_q"] + 1):
            rng = rng_for(seed, "activity", row["org"], row["provision_ref"], q)
            if row["style"] == "one_to_one":
                _one_to_one(rng, row, members, window, q, pieces)
            else:
                _group(rng, row, members, window, q, pieces)
    s = pl.DataFrame({k: np.concatenate(v) for k, v in pieces.sessions.items()}).with_columns(
        pl.col("session_date").cast(pl.Date),
        pl.col("anonymous_attendance").replace(-1, None),
        pl.col("org_idx")
        .replace_strict(dict(enumerate(p.code for p in PARTNERS)), return_dtype=pl.String)
        .alias("org"),
        pl.col("postcode").replace("", None),
    )
    a = pl.DataFrame({k: np.concatenate(v) for k, v in pieces.attendance.items()})
    s = s.sort(["org_idx", "q", "session_date", "start_time", "prov_id", "sid"])
    fmt = {i: p.session_ref for i, p in enumerate(PARTNERS)}
    n = s.with_columns(pl.int_range(pl.len()).over("org_idx").alias("n"))["n"].to_numpy()
    refs = [fmt[o].format(n=k + 1) for o, k in zip(s["org_idx"].to_list(), n, strict=True)]
    s = s.with_columns(pl.Series("session_ref", refs))
    a = a.join(s.select("sid", "org", "q", pl.col("session_date").alias("date")), on="sid")
    return s, a.sort("sid", "mid")


def _members(frame: pl.DataFrame) -> Members:
    return Members(
        rid=frame["rid"].to_numpy(),
        mid=frame["mid"].to_numpy(),
        tier=frame["tier"].to_numpy(),
        start_q=frame["start_q"].to_numpy(),
        end_q=frame["end_q"].to_numpy(),
        propensity=frame["propensity"].to_numpy(),
        dob=frame["elig_dob"].to_numpy().astype("datetime64[D]"),
        start_after=frame["start_after"].to_numpy().astype("datetime64[D]"),
    )


def _eligible(members: Members, row: dict, window: Window, q: int) -> Members:
    """Members active this quarter whose age fits the provision all quarter long."""
    active = (members.start_q <= q) & (members.end_q >= q)
    active &= age_on(members.dob, window.starts[q]) >= row["min_age"]
    active &= age_on(members.dob, window.ends[q]) <= row["max_age"]
    return members.take(active)


def _not_before(active: Members, q: int) -> np.ndarray:
    first = active.start_q == q
    return np.where(first & ~np.isnat(active.start_after), active.start_after, NO_LIMIT)


def _add_sessions(
    rng: np.random.Generator,
    row: dict,
    q: int,
    dates: np.ndarray,
    times: np.ndarray,
    pieces: Pieces,
) -> np.ndarray:
    spec = spec_of(row)
    n = dates.size
    anon = np.full(n, -1)
    if spec.anonymous > 0:
        anon = rng.poisson(spec.anonymous, n)
        if spec.style != "detached":  # drop-ins count walk-ins only some evenings
            anon = np.where(rng.random(n) < 0.5, anon, -1)
    postcode = np.full(n, "", dtype=object)
    if row["hotspots"]:
        postcode = np.array(row["hotspots"], dtype=object)[rng.integers(0, len(row["hotspots"]), n)]
    return pieces.add_sessions(
        org_idx=np.full(n, row["org_idx"]),
        q=np.full(n, q),
        prov_id=np.full(n, row["prov_id"]),
        session_date=dates.astype("datetime64[D]"),
        start_time=times,
        duration_minutes=np.full(n, spec.duration),
        postcode=postcode,
        staff_count=rng.integers(spec.staff[0], spec.staff[1] + 1, n),
        volunteer_count=rng.integers(spec.volunteers[0], spec.volunteers[1] + 1, n),
        anonymous_attendance=anon,
    )


def _group(
    rng: np.random.Generator, row: dict, members: Members, window: Window, q: int, pieces: Pieces
) -> None:
    cancel = 0.08 if row["style"] == "detached" else 0.04
    day_list = [d for d in open_days(row, window, q) if rng.random() >= cancel]
    if not day_list:
        return
    dates = np.array(day_list, dtype="datetime64[D]")
    spec = spec_of(row)
    ids = _add_sessions(rng, row, q, dates, np.full(dates.size, spec.start_time), pieces)
    active = _eligible(members, row, window, q)
    n, k = active.rid.size, dates.size
    if n == 0:
        return
    allowed = dates[None, :] >= _not_before(active, q)[:, None]
    first = (active.start_q == q)[:, None]
    if row["style"] == "residential":
        week = dates.astype("datetime64[W]").astype(np.int64)
        weeks = np.unique(week)
        pick = weeks[rng.integers(0, weeks.size, n)]
        attend = (week[None, :] == pick[:, None]) & (rng.random((n, k)) < 0.97) & allowed
    else:
        attend = (rng.random((n, k)) < active.propensity[:, None]) & allowed
    # Exactly one visit for one-off attenders, at least one in the quarter they start.
    keys = np.where(allowed, rng.random((n, k)), 2.0)
    one = np.zeros_like(attend)
    np.put_along_axis(one, np.argmin(keys, axis=1)[:, None], True, axis=1)
    one &= allowed
    attend = np.where((active.tier == 0)[:, None], one & first, attend)
    need = first[:, 0] & ~attend.any(axis=1)
    attend[need] |= one[need]
    mi, si = np.nonzero(attend)
    pieces.add_attendance(sid=ids[si], rid=active.rid[mi], mid=active.mid[mi])


def _one_to_one(
    rng: np.random.Generator, row: dict, members: Members, window: Window, q: int, pieces: Pieces
) -> None:
    """Each meeting is its own session with one named young person."""
    spec = spec_of(row)
    active = _eligible(members, row, window, q)
    day_list = open_days(row, window, q)
    if active.rid.size == 0 or not day_list:
        return
    dates = np.array(day_list, dtype="datetime64[D]")
    n, k = active.rid.size, dates.size
    allowed = dates[None, :] >= _not_before(active, q)[:, None]
    first = active.start_q == q
    want = rng.poisson(spec.meetings * (0.5 + active.propensity), n)
    want = np.where(active.tier == 0, first.astype(int), want)
    want = np.where(first, np.maximum(want, 1), want)
    keys = np.where(allowed, rng.random((n, k)), 2.0)
    rank = np.argsort(np.argsort(keys, axis=1, kind="stable"), axis=1, kind="stable")
    take = (rank < want[:, None]) & allowed
    mi, di = np.nonzero(take)
    if mi.size == 0:
        return
    times = SLOTS[rng.integers(0, SLOTS.size, mi.size)]
    ids = _add_sessions(rng, row, q, dates[di], times, pieces)
    pieces.add_attendance(sid=ids, rid=active.rid[mi], mid=active.mid[mi])
