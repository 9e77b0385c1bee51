"""What the linkage pages show, read from the core: the last run's quality report and the
review queue, shaped as text for the templates.

Only what is safe leaves here: counts, which partners, similarity levels in words, match
weights, gender and ward. The partners' own references for the young people in a pair
are not shown either (a case number can be recognised inside a partner), and nothing
reads an encoding.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
from django.conf import settings

from needle.errors import NeedleInputError
from needle.indicators.html import bar_svg
from needle.initiative import open_home
from needle.initiative.home import Home
from needle.linkage import link_status, review_queue
from needle.linkage.store import decisions

__all__ = ["Decided", "Quality", "ReviewPair", "home", "quality", "review_pairs"]

log = logging.getLogger(__name__)

SHOWN = 50  # pairs on the review page at once, most likely matches first

MODES = {
    "full": "Full run: every candidate pair was scored",
    "incremental": "Incremental: only new and changed records were scored",
    "nothing to link": "Nothing to link: fewer than two records with encodings",
}
# What a similarity level column (``<name>_level``) compares, for a reader.
COMPARED = {
    "name": "Names",
    "dob": "Date of birth",
    "postcode": "Postcode",
    "gender": "Gender",
    "area": "Where they live",
}


def home() -> Home:
    """The initiative home the app serves (``settings.HOME``), opened afresh."""
    return open_home(settings.HOME)


@dataclass(frozen=True)
class Quality:
    """The last run's report as a page shows it."""

    linked_at: datetime | None
    summary: list[tuple[str, str]]
    sizes: list[tuple[str, str, str]]  # records per person, person ids, share
    svg: str | None
    backlog: int
    merges: int
    splits: int


def _count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int | float) else "not known"


def _when(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        return None


def quality(root: Any) -> Quality | None:
    """The quality report of the last linkage run at ``root``, or None before the first."""
    try:
        report = link_status(root)
    except NeedleInputError as error:
        log.info("No linkage report to show: %s", error)
        return None
    rate = report.get("match_rate")
    model = (
        "Trained on this pool (m by EM, u by random sampling)"
        if report.get("model_trained")
        else "Starting values: the pool is still too small to train on"
    )
    summary = [
        ("How it ran", MODES.get(report.get("mode", ""), str(report.get("mode", "")))),
        ("Model", model),
        (
            "Records",
            f"{_count(report.get('records'))} "
            f"({_count(report.get('linkable_records'))} with encodings to compare)",
        ),
        ("Young people (person ids)", _count(report.get("person_ids"))),
        ("With several records", _count(report.get("persons_with_several_records"))),
        ("Known to more than one partner", _count(report.get("persons_across_partners"))),
        (
            "Match rate (records linked to another record)",
            f"{rate:.1%}" if isinstance(rate, int | float) else "not known",
        ),
    ]
    if report.get("estimated_matching_pairs") is not None:
        summary.append(
            ("Matching pairs the model expects", _count(report["estimated_matching_pairs"]))
        )
    summary += [
        ("Candidate pairs scored", _count(report.get("candidate_pairs"))),
        ("Links accepted", _count(report.get("links"))),
    ]
    sizes_in = report.get("cluster_sizes") or {}
    people = sum(sizes_in.values()) or 1
    sizes, bars = [], []
    for size, count in sizes_in.items():
        label = f"{size} record" + ("" if size == "1" else "s")
        sizes.append((label, f"{count:,}", f"{count / people:.0%}"))
        bars.append({"label": label, "value": count, "text": f"{count:,}"})
    svg = bar_svg(
        bars,
        "count",
        "Bar chart of young people by how many records each has: "
        + "; ".join(f"{label}, {count}" for label, count, _ in sizes)
        + ". The numbers are in the table that follows.",
        axis_title="Young people (person ids)",
    )
    return Quality(
        linked_at=_when(report.get("linked_at")),
        summary=summary,
        sizes=sizes,
        svg=svg,
        backlog=int(report.get("review_backlog") or 0),
        merges=int(report.get("merges") or 0),
        splits=int(report.get("splits") or 0),
    )


@dataclass(frozen=True)
class Decided:
    """A decision taken since the last run: it applies from the next one."""

    decision: str
    by: str
    at: datetime | None


@dataclass(frozen=True)
class ReviewPair:
    """One pair of the queue, with only what is safe to show."""

    pair_id: str
    partners: str
    weight: str
    probability: str
    similarity: list[tuple[str, str]]
    gender: str
    ward: str
    decided: Decided | None


def _partner(names: dict[str, str], code: Any) -> str:
    code = str(code or "")
    return f"{names[code]} ({code})" if code in names else code or "not known"


def _partners(names: dict[str, str], left: Any, right: Any) -> str:
    """Which partners hold the two records (one partner twice: a possible duplicate)."""
    if left == right:
        return f"{_partner(names, left)}, both records"
    return f"{_partner(names, left)} and {_partner(names, right)}"


def _both(row: dict[str, Any], column: str) -> str:
    left, right = row.get(f"{column}_l"), row.get(f"{column}_r")
    left, right = left or "not known", right or "not known"
    return left if left == right else f"{left} and {right}"


def _level_text(text: Any) -> str:
    return str(text).replace(">=", "≥") if text is not None else "missing"


def review_pairs(the_home: Home) -> tuple[list[ReviewPair], int] | None:
    """The first pairs of the review queue and how many there are; None before the first
    linkage run. Pairs decided since that run stay listed with their decision."""
    try:
        queue = review_queue(the_home.root)
    except NeedleInputError as error:
        log.info("No review queue to show: %s", error)
        return None
    names = {p.code: p.name for p in the_home.config.partners}
    decided = {
        row["pair_id"]: Decided(row["decision"], row["decided_by"], _when(row["decided_at"]))
        for row in decisions(the_home.root)
        .filter(pl.col("pair_id").is_in(queue["pair_id"].implode()))
        .iter_rows(named=True)
    }
    levels = [c for c in queue.columns if c.endswith("_level")]
    pairs = []
    for row in queue.head(SHOWN).iter_rows(named=True):
        similarity = [
            (COMPARED.get(c.removesuffix("_level"), c.removesuffix("_level")), _level_text(row[c]))
            for c in levels
        ]
        pairs.append(
            ReviewPair(
                pair_id=row["pair_id"],
                partners=_partners(names, row.get("org_l"), row.get("org_r")),
                weight=f"{row['match_weight']:.1f}",
                probability=f"{row['match_probability']:.0%}",
                similarity=similarity,
                gender=_both(row, "gender"),
                ward=_both(row, "ward_code"),
                decided=decided.get(row["pair_id"]),
            )
        )
    return pairs, queue.height


def in_queue(the_home: Home, pair: str) -> tuple[str, str] | None:
    """The two partners' codes of ``pair`` if it is in the review queue, else None."""
    try:
        queue = review_queue(the_home.root)
    except NeedleInputError:
        return None
    found = queue.filter(pl.col("pair_id") == pair)
    if found.height == 0:
        return None
    return str(found["org_l"][0]), str(found["org_r"][0])
