"""Checks across entities: references between sheets, and attendees' ages.

These need every entity of the submission typed first, so they run last, as joins over
whole columns: a million attendance rows are matched against sessions and young people
in one hash join each, not looked up row by row.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import polars as pl

from needle.standard.model import Standard
from needle.validation.emit import Reporter, quote
from needle.validation.raw import ROW
from needle.validation.report import Report
from needle.validation.values import day_number


@dataclass
class Loaded:
    """One entity of the submission after its own checks."""

    typed: pl.DataFrame
    source: str
    present: frozenset[str]  # columns the file actually had


# Identifiers are compared by two independent 64-bit hashes: a million short strings hash
# in milliseconds, while comparing the strings themselves costs a hash table of strings.
# A value absent by either hash is certainly absent; one found by both while absent would
# need two simultaneous collisions, a chance far below 1e-20 for a national submission.
_SEEDS = (0, 1)


def key_hash(column: str, seed: int = 0) -> pl.Expr:
    """A 64-bit hash of an identifier column (callers set nulls aside themselves)."""
    return pl.col(column).hash(seed=seed)


def check_submission(loaded: dict[str, Loaded], standard: Standard, out: Reporter) -> None:
    """References and ages, side by side (both are joins: Polars releases the GIL), their
    problems merged in a fixed order so the report does not depend on thread timing."""
    parts = [
        Reporter(Report(source=out.report.source, max_per_rule=out.report.max_per_rule), standard)
        for _ in range(2)
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        references = pool.submit(check_references, loaded, standard, parts[0])
        ages = pool.submit(check_provision_ages, loaded, parts[1])
        references.result()
        ages.result()
    for part in parts:
        out.report.merge(part.report)


def check_references(loaded: dict[str, Loaded], standard: Standard, out: Reporter) -> None:
    """Every reference must name a row of the referenced entity in the same submission."""
    for name, entity in standard.entities.items():
        if name not in loaded:
            continue
        here = loaded[name]
        for column in entity.columns.values():
            if column.references is None or column.name not in here.present:
                continue
            target, target_column = column.references
            values = here.typed.get_column(column.name)
            where = {"entity": name, "source": here.source, "column": column.name}
            if target not in loaded:
                if values.is_not_null().any():
                    out.add(
                        "reference_entity_missing",
                        f"{column.name} refers to the {target} sheet, but the submission has "
                        f"no {target} sheet or file.",
                        **where,
                    )
                continue
            if target_column not in loaded[target].present:
                continue  # reported as a missing column of the target
            known = (
                loaded[target]
                .typed.select(target_column)
                .drop_nulls()
                .select([key_hash(target_column, seed).alias(str(seed)) for seed in _SEEDS])
            )
            value = pl.col(column.name)
            found = pl.all_horizontal(
                key_hash(column.name, seed).is_in(known.get_column(str(seed)).implode())
                for seed in _SEEDS
            )
            missing = here.typed.select(ROW, column.name).filter(value.is_not_null() & ~found)
            if not missing.height:
                continue

            def message(
                v: dict[str, Any], col: str = column.name, tgt: str = target, pi: bool = column.pi
            ) -> str:
                shown = "This value" if pi else f"{col} {quote(v[col])}"
                return f"{shown} is not in the {tgt} sheet."

            out.add_rows("reference_missing", missing, missing.height, message, **where)


def check_provision_ages(loaded: dict[str, Loaded], out: Reporter) -> None:
    """Warn when an attendee's age on the session date is outside the provision's range.

    Joins attendance -> sessions -> provisions (only those with an age range) and
    attendance -> young people; duplicated identifiers are reported elsewhere, so each
    lookup keeps the first row of an identifier to avoid multiplying rows.
    """
    needed = {
        "attendance": ("session_ref", "person_ref"),
        "sessions": ("session_ref", "provision_ref", "session_date"),
        "provisions": ("provision_ref",),
        "young_people": ("person_ref", "date_of_birth"),
    }
    for name, columns in needed.items():
        if name not in loaded or not set(columns) <= loaded[name].present:
            return
    provisions = loaded["provisions"]
    if not {"min_age", "max_age"} & provisions.present:
        return
    ranges = (
        provisions.typed.lazy()
        .select("provision_ref", "min_age", "max_age")
        .filter(
            pl.col("provision_ref").is_not_null()
            & (pl.col("min_age").is_not_null() | pl.col("max_age").is_not_null())
        )
        .unique("provision_ref", keep="first")
    )
    sessions = (
        loaded["sessions"]
        .typed.lazy()
        .select("session_ref", "provision_ref", "session_date")
        .drop_nulls()
        .unique("session_ref", keep="first")
    )
    # Only whole numbers travel through the million-row joins, keyed by identifier hashes
    # (a collision could at worst misplace one warning); names and dates for the message
    # are looked up by the identifiers themselves for the few rows listed.
    bounds = (
        loaded["sessions"]
        .typed.lazy()
        .select("session_ref", "provision_ref", "session_date")
        .drop_nulls()
        .join(ranges, on="provision_ref", how="inner")
        .select(
            session=key_hash("session_ref"),
            on=day_number(pl.col("session_date")),
            low="min_age",
            high="max_age",
        )
        .unique("session", keep="first")
    )
    people = (
        loaded["young_people"]
        .typed.lazy()
        .select("person_ref", "date_of_birth")
        .drop_nulls()
        .select(person=key_hash("person_ref"), born=day_number(pl.col("date_of_birth")))
        .unique("person", keep="first")
    )
    attendance = loaded["attendance"]
    age = (pl.col("on") - pl.col("born")) // 10_000
    outside = (
        attendance.typed.lazy()
        .select(ROW, session=key_hash("session_ref"), person=key_hash("person_ref"))
        .join(bounds, on="session", how="inner")
        .join(people, on="person", how="inner")
        .with_columns(age=age)
        .filter((pl.col("age") < pl.col("low")) | (pl.col("age") > pl.col("high")))
        .collect()
    )
    if not outside.height:
        return
    room = out.report.room(out.severity("age_outside_provision"), "age_outside_provision")
    listed = (
        outside.sort(ROW)
        .head(room)
        .join(attendance.typed.select(ROW, "session_ref", "person_ref"), on=ROW, how="left")
        .join(sessions.collect(), on="session_ref", how="left")
        .join(ranges.collect(), on="provision_ref", how="left")
        .sort(ROW)
    )

    def message(v: dict[str, Any]) -> str:
        low, high = v["min_age"], v["max_age"]
        if low is not None and high is not None:
            allowed = f"age range {low} to {high}"
        elif low is not None:
            allowed = f"minimum age {low}"
        else:
            allowed = f"maximum age {high}"
        return (
            f"person_ref {quote(v['person_ref'])} was {v['age']} at session "
            f"{quote(v['session_ref'])} on {v['session_date'].isoformat()}, outside the "
            f"{allowed} of provision {quote(v['provision_ref'])}."
        )

    out.add_rows(
        "age_outside_provision",
        listed,
        outside.height,
        message,
        entity="attendance",
        source=attendance.source,
        column="person_ref",
    )
