"""Messy submissions: copies of clean ones with planted problems, and what the validator must say.

Why: the validator's golden tests need files with known mistakes, each the only cause of
exactly one reported problem, so the expected report is exact. Each plan names a partner
and the planters to apply; a planter picks a spot where its problem cannot cause any
other (a dob in the future only for someone with no attendance, so no age warning; an
age range turned upside down only on a provision nobody attended; an unknown session
appended at the end, so no other row moves). If a quarter offers no such spot, the next
quarter is tried.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl

from needle.synth.assemble import ENTITIES, Submission
from needle.synth.calendar import age_on
from needle.synth.writer import Formula, Tamper


class NoSpot(Exception):
    """This submission has no place where the problem would be the only one."""


@dataclass
class Planting:
    sub: Submission
    tamper: Tamper = field(default_factory=Tamper)
    expected: list[dict[str, Any]] = field(default_factory=list)
    touched: set[tuple[str, int]] = field(default_factory=set)  # (entity, row) already damaged

    def untouched(self, entity: str, rows: np.ndarray | list[int]) -> list[int]:
        return [int(r) for r in rows if (entity, int(r)) not in self.touched]

    def damage(self, entity: str, row: int, column: str, value: str | Formula) -> None:
        self.tamper.cells[(entity, row, column)] = value
        self.touched.add((entity, row))

    def expect(
        self,
        rule: str,
        severity: str,
        entity: str | None,
        row: int | None,
        column: str | None,
        note: str,
        **extra: str,
    ) -> None:
        self.expected.append(
            {"rule": rule, "severity": severity, "entity": entity, "row": row, "column": column,
             **extra, "note": note}
        )  # fmt: skip

    def table(self, entity: str) -> pl.DataFrame:
        if entity not in self.sub.tables or self.sub.tables[entity].height == 0:
            raise NoSpot(entity)
        return self.sub.tables[entity]

    def set_cell(self, entity: str, row: int, column: str, value: Any) -> None:
        t = self.sub.tables[entity]
        values = t[column].to_list()
        values[row] = value
        self.sub.tables[entity] = t.with_columns(pl.Series(column, values, dtype=t.schema[column]))
        self.touched.add((entity, row))

    def append(self, entity: str, row: dict[str, Any]) -> int:
        """Add a row at the end; return its 0-based index."""
        t = self.sub.tables[entity]
        self.sub.tables[entity] = pl.concat([t, pl.DataFrame([row], schema=t.schema)])
        self.touched.add((entity, t.height))
        return t.height


Planter = Callable[[Planting, np.random.Generator], None]


def _pick(rng: np.random.Generator, rows: np.ndarray | list[int]) -> int:
    rows = np.asarray(rows)
    if rows.size == 0:
        raise NoSpot("no candidate row")
    return int(rows[rng.integers(0, rows.size)])


def _filled(t: pl.DataFrame, column: str) -> np.ndarray:
    if column not in t.columns:
        raise NoSpot(column)
    return np.nonzero(t[column].is_not_null().to_numpy())[0]


def misspelt_header(entity: str, column: str, written: str) -> Planter:
    def plant(p: Planting, rng: np.random.Generator) -> None:
        if column not in p.table(entity).columns:
            raise NoSpot(column)
        p.tamper.headers[(entity, column)] = written
        p.expect("column_unknown", "warning", entity, 1, written,
                 f"The header {column} is spelt '{written}'.")  # fmt: skip

    return plant


def drop_column(entity: str, column: str) -> Planter:
    def plant(p: Planting, rng: np.random.Generator) -> None:
        p.sub.tables[entity] = p.table(entity).drop(column)
        p.expect("column_missing", "error", entity, 1, column, f"The column {column} was deleted.")

    return plant


def blank(entity: str, column: str) -> Planter:
    def plant(p: Planting, rng: np.random.Generator) -> None:
        row = _pick(rng, p.untouched(entity, _filled(p.table(entity), column)))
        p.set_cell(entity, row, column, None)
        p.expect("required", "error", entity, row + 2, column, f"{column} left empty.")

    return plant


def raw_text(entity: str, column: str, text: str, rule: str, note: str) -> Planter:
    """Text where a number, date, time or code belongs (rows already tampered are avoided)."""

    def plant(p: Planting, rng: np.random.Generator) -> None:
        row = _pick(rng, p.untouched(entity, _filled(p.table(entity), column)))
        p.damage(entity, row, column, text)
        p.expect(rule, "error", entity, row + 2, column, note)

    return plant


def near_miss_code(entity: str, column: str, good: tuple[str, ...], written: str) -> Planter:
    def plant(p: Planting, rng: np.random.Generator) -> None:
        t = p.table(entity)
        if column not in t.columns:
            raise NoSpot(column)
        rows = np.nonzero(t[column].is_in(list(good)).to_numpy())[0]
        row = _pick(rng, p.untouched(entity, rows))
        p.damage(entity, row, column, written)
        p.expect(
            "code_unknown", "error", entity, row + 2, column, f"{column} typed as '{written}'."
        )

    return plant


def future_dob(p: Planting, rng: np.random.Generator) -> None:
    """Only for a young person with no attendance here, so no age warning can follow."""
    yp = p.table("young_people")
    attended = set(p.sub.tables["attendance"]["person_ref"].to_list())
    pairs = zip(yp["person_ref"], yp["date_of_birth"], strict=True)
    rows = [i for i, (ref, dob) in enumerate(pairs) if ref not in attended and dob is not None]
    row = _pick(rng, p.untouched("young_people", rows))
    dob = yp["date_of_birth"][row]
    # 2010 typed as 2110: in the future whenever the validator runs, and deterministic.
    future = date(dob.year + 100, dob.month, min(dob.day, 28 if dob.month == 2 else 31))
    p.set_cell("young_people", row, "date_of_birth", future)
    p.expect("dob_future", "error", "young_people", row + 2, "date_of_birth",
             "Year of birth typed in the future.")  # fmt: skip


def duplicate_person(p: Planting, rng: np.random.Generator) -> None:
    yp = p.table("young_people")
    row = _pick(rng, p.untouched("young_people", np.arange(yp.height)))
    copy_row = yp.row(row, named=True)
    at = p.append("young_people", copy_row)
    p.expect("duplicate_key", "error", "young_people", at + 2, "person_ref",
             "The same young person entered twice, at the end.")  # fmt: skip


def duplicate_measurement(p: Planting, rng: np.random.Generator) -> None:
    m = p.table("measurements")
    row = _pick(rng, p.untouched("measurements", np.arange(m.height)))
    at = p.append("measurements", m.row(row, named=True))
    p.expect("duplicate_row", "warning", "measurements", at + 2, None,
             "A questionnaire pasted twice, at the end.")  # fmt: skip


def unknown_session(p: Planting, rng: np.random.Generator) -> None:
    att = p.table("attendance")
    row = _pick(rng, np.arange(att.height))
    refs = set(p.table("sessions")["session_ref"].to_list())
    ref = "S-UNKNOWN-1"
    while ref in refs:
        ref += "X"
    at = p.append("attendance", {"session_ref": ref, "person_ref": att["person_ref"][row]})
    p.expect("reference_missing", "error", "attendance", at + 2, "session_ref",
             "Attendance recorded against a session missing from the sessions sheet.")  # fmt: skip


def bad_postcode(p: Planting, rng: np.random.Generator) -> None:
    yp = p.table("young_people")
    row = _pick(rng, p.untouched("young_people", _filled(yp, "postcode")))
    cut = str(yp["postcode"][row]).strip()
    p.damage("young_people", row, "postcode", cut[:-2])
    p.expect("postcode_format", "error", "young_people", row + 2, "postcode",
             "Postcode cut short.")  # fmt: skip


def _unattended_provisions(p: Planting) -> list[int]:
    prov = p.table("provisions")
    used = set(
        p.sub.tables["sessions"]
        .filter(pl.col("session_ref").is_in(p.sub.tables["attendance"]["session_ref"].implode()))
        ["provision_ref"].to_list()
    )  # fmt: skip
    return [i for i, ref in enumerate(prov["provision_ref"]) if ref not in used]


def upside_down_ages(p: Planting, rng: np.random.Generator) -> None:
    """Min and max age swapped on a provision nobody attended by name this quarter."""
    prov = p.table("provisions")
    rows = [r for r in _unattended_provisions(p) if prov["min_age"][r] != prov["max_age"][r]]
    row = _pick(rng, p.untouched("provisions", rows))
    lo, hi = prov["min_age"][row], prov["max_age"][row]
    p.set_cell("provisions", row, "min_age", hi)
    p.set_cell("provisions", row, "max_age", lo)
    p.expect(
        "min_above_max", "error", "provisions", row + 2, "max_age", "min_age and max_age swapped."
    )


def end_before_start(p: Planting, rng: np.random.Generator) -> None:
    prov = p.table("provisions")
    row = _pick(rng, p.untouched("provisions", _filled(prov, "start_date")))
    start = prov["start_date"][row]
    p.set_cell("provisions", row, "end_date", start - timedelta(days=31))
    p.expect("end_before_start", "error", "provisions", row + 2, "end_date",
             "End date a month before the start date.")  # fmt: skip


def zero_duration(p: Planting, rng: np.random.Generator) -> None:
    s = p.table("sessions")
    row = _pick(rng, p.untouched("sessions", np.arange(s.height)))
    p.set_cell("sessions", row, "duration_minutes", 0)
    p.expect("range", "error", "sessions", row + 2, "duration_minutes", "Duration typed as 0.")


def formula_cell(p: Planting, rng: np.random.Generator) -> None:
    s = p.table("sessions")
    row = _pick(rng, p.untouched("sessions", _filled(s, "staff_count")))
    value = int(s["staff_count"][row])
    p.damage("sessions", row, "staff_count", Formula(f"=1+{value - 1}", value))
    p.expect("cell_formula", "error", "sessions", row + 2, "staff_count",
             "Staff count entered as a formula.")  # fmt: skip


def item_out_of_range(p: Planting, rng: np.random.Generator) -> None:
    m = p.table("measurements")
    swemwbs = m["instrument"].is_in(["swemwbs", "Short Warwick-Edinburgh Mental Wellbeing Scale"])
    row = _pick(rng, p.untouched("measurements", np.nonzero(swemwbs.to_numpy())[0]))
    p.set_cell("measurements", row, "q3", 7)
    p.expect("instrument_items", "error", "measurements", row + 2, "q3",
             "A SWEMWBS response of 7 (the scale runs 1 to 5).")  # fmt: skip


def session_before_quarter(p: Planting, rng: np.random.Generator) -> None:
    """A session dated a few days before the quarter, where no attendee's age changes."""
    s = p.table("sessions")
    att = p.sub.tables["attendance"]
    yp = p.sub.tables["young_people"]
    prov = p.sub.tables["provisions"]
    new = p.sub.period.start - timedelta(days=3)
    candidates = []
    for i, (ref, pref) in enumerate(zip(s["session_ref"], s["provision_ref"], strict=True)):
        people = att.filter(pl.col("session_ref") == ref)["person_ref"]
        born = yp.filter(pl.col("person_ref").is_in(people.implode()))["date_of_birth"].drop_nulls()
        rng_row = prov.filter(pl.col("provision_ref") == pref)
        if born.len() == 0 or rng_row.height == 0:
            continue
        ages = age_on(born.to_numpy().astype("datetime64[D]"), np.datetime64(new))
        if ages.min() >= rng_row["min_age"][0] and ages.max() <= rng_row["max_age"][0]:
            candidates.append(i)
        if len(candidates) >= 20:
            break
    row = _pick(rng, p.untouched("sessions", candidates))
    p.set_cell("sessions", row, "session_date", new)
    p.expect("period_outside", "error", "sessions", row + 2, "session_date",
             "A session from the previous quarter included.")  # fmt: skip


def semicolons(entity: str) -> Planter:
    def plant(p: Planting, rng: np.random.Generator) -> None:
        p.table(entity)
        p.tamper.delimiter[entity] = ";"
        p.expect("file_delimiter", "warning", entity, None, None,
                 f"{entity}.csv saved with semicolons.", source=f"{entity}.csv")  # fmt: skip

    return plant


def windows_1252(p: Planting, rng: np.random.Generator) -> None:
    """young_people.csv saved as "CSV (Comma delimited)": Windows-1252, with an accent in it."""
    yp = p.table("young_people")
    text = "".join(str(v) for c in ("given_name", "family_name") if c in yp.columns
                   for v in yp[c].drop_nulls().to_list())  # fmt: skip
    if not any(128 <= ord(ch) < 256 for ch in text):
        raise NoSpot("no accented name that Windows-1252 can hold")
    p.tamper.encoding["young_people"] = "cp1252"
    p.expect("file_encoding_legacy", "warning", "young_people", None, None,
             "young_people.csv saved as Windows-1252 (letters it lacks became '?').",
             source="young_people.csv")  # fmt: skip


def extra_sheet(p: Planting, rng: np.random.Generator) -> None:
    p.tamper.extra_sheets["Notes"] = [
        ["Notes for the data team"],
        ["Two sessions in half term were cancelled because of the storm."],
    ]
    p.expect("sheet_unknown", "warning", None, None, None, "A 'Notes' sheet was added.",
             source="Notes")  # fmt: skip


@dataclass(frozen=True)
class Plan:
    org: str
    planters: tuple[Planter, ...]


PLANS: tuple[Plan, ...] = (
    Plan(
        "TYC",
        (misspelt_header("young_people", "ethnicity", "Ethnicty"), formula_cell, extra_sheet),
    ),
    Plan(
        "MENTOR",
        (
            item_out_of_range,
            duplicate_measurement,
            near_miss_code("young_people", "gender", ("female",), "Femail"),
        ),
    ),
    Plan("ARTS", (upside_down_ages, end_before_start, zero_duration)),
    Plan(
        "WELL",
        (
            blank("young_people", "consent_to_share"),
            future_dob,
            raw_text("sessions", "start_time", "6.30pm", "type_time", "Start time as 6.30pm."),
        ),
    ),
    Plan("DETACH", (semicolons("attendance"), unknown_session, bad_postcode)),
    Plan(
        "EMPLOY",
        (
            raw_text(
                "young_people",
                "first_contact_date",
                "14/03/25",
                "date_ambiguous",
                "First contact date with a two-digit year.",
            ),
            raw_text(
                "young_people",
                "first_contact_date",
                "31/09/2025",
                "type_date",
                "First contact on 31 September, which does not exist.",
            ),
            duplicate_person,
        ),
    ),
    Plan("SPORT", (windows_1252, drop_column("young_people", "consent_to_share"))),
    Plan(
        "EDU",
        (
            session_before_quarter,
            raw_text("sessions", "staff_count", "two", "type_integer", "Staff count in words."),
        ),
    ),
    Plan(
        "EARLYHELP",
        (
            blank("sessions", "session_date"),
            near_miss_code("young_people", "consent_to_share", ("yes",), "Y"),
        ),
    ),
)


def plant(plan: Plan, candidates: list[Submission], rng: np.random.Generator) -> Planting | None:
    """Apply every planter of ``plan`` to the first candidate submission that has room."""
    for sub in candidates:
        planting = Planting(sub=_copy(sub))
        try:
            for planter in plan.planters:
                planter(planting, rng)
        except NoSpot:
            continue
        planting.expected.sort(key=_order)
        return planting
    return None


def _order(problem: dict[str, Any]) -> tuple:
    """As the validator sorts: whole-file problems first, then entity order, row, column."""
    entity = problem["entity"]
    return (
        entity is not None, ENTITIES.index(entity) if entity else -1, problem["row"] or 0,
        problem["column"] or "", problem["rule"],
    )  # fmt: skip


def _copy(sub: Submission) -> Submission:
    return Submission(org=sub.org, period=sub.period, q=sub.q, tables=copy.copy(sub.tables))
