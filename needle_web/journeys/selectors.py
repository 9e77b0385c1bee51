"""Reading journeys from the core for one audience, shaped for the journeys pages.

Every number comes from :mod:`needle.journeys`, protected by its ``protected`` for the
audience before anything here sees it, so a suppressed cell can only ever read
"suppressed". The pages choose which table and chart to show; this module turns the
core's tidy tables into rows of text and the core's SVG.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.conf import settings

import needle
from needle.errors import NeedleInputError
from needle.indicators.html import bar_svg
from needle.journeys import (
    ALL,
    COUNT,
    JourneyData,
    disengagement,
    funnel,
    journey_counts,
    open_journeys,
    pathways,
    protected,
    referral_outcomes,
    referral_waits,
    timeline,
    typical_journeys,
)
from needle.journeys.disengagement import SESSION_BANDS, STOPPED
from needle.journeys.labels import label
from needle.journeys.sankey import sankey_svg
from needle.journeys.typical import SEPARATOR

__all__ = [
    "DisengagementPage",
    "FunnelPage",
    "PathwaysPage",
    "Table",
    "TypicalPage",
    "disengagement_page",
    "funnel_page",
    "pathways_page",
    "timeline_table",
    "typical_page",
]

log = logging.getLogger(__name__)
HIDDEN = "suppressed"


@dataclass(frozen=True)
class Table:
    """A table for a page: a caption, column headers, rows of text (the first cell of a
    row is its header) and which columns are numbers."""

    caption: str
    headers: list[str]
    rows: list[list[str]]
    numeric: list[bool] = field(default_factory=list)

    @property
    def columns(self) -> list[tuple[str, bool]]:
        numeric = self.numeric or [False] * len(self.headers)
        return list(zip(self.headers, numeric, strict=True))


def number(value: Any, suffix: str = "") -> str:
    """A count or statistic as text; a hidden one says so."""
    if value is None:
        return HIDDEN
    if isinstance(value, float):
        return f"{value:,.1f}{suffix}" if value % 1 else f"{value:,.0f}{suffix}"
    return f"{value:,}{suffix}"


@contextmanager
def journey_data() -> Iterator[tuple[Any, JourneyData] | None]:
    """The home at ``settings.HOME`` and its journey tables, or None when there is no
    initiative there."""
    try:
        home = needle.open_home(settings.HOME)
        data = open_journeys(home)
    except NeedleInputError as error:
        log.info("No journeys to show: %s", error)
        yield None
        return
    try:
        yield home, data
    finally:
        data.close()


# ---- pathways ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PathwaysPage:
    svg: str | None
    table: Table
    people: str


def pathways_page(audience: str) -> PathwaysPage | None:
    with journey_data() as opened:
        if opened is None:
            return None
        home, data = opened
        flows = protected(pathways(data), audience, home.config)
    caption = "Young people moving between provision categories, step by step"
    rows = [
        [str(step), label(source, "category"), label(target, "category"), number(count)]
        for step, source, target, count in flows.filter(
            (pl.col("source") != ALL) & (pl.col("target") != ALL)
        )
        .select("step", "source", "target", COUNT)
        .iter_rows()
    ]
    everyone = flows.filter(
        (pl.col("step") == 1) & (pl.col("source") == ALL) & (pl.col("target") == ALL)
    )[COUNT].to_list()
    return PathwaysPage(
        svg=sankey_svg(flows, caption, lambda code: label(code, "category")),
        table=Table(
            caption,
            ["Step", "From", "To", "Young people"],
            rows,
            [False, False, False, True],
        ),
        people=number(everyone[0] if everyone else 0),
    )


# ---- referrals -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelPage:
    svg: str | None
    funnel: Table
    waits: Table


def funnel_page(audience: str, by: str | None = None) -> FunnelPage | None:
    with journey_data() as opened:
        if opened is None:
            return None
        home, data = opened
        outcomes = protected(referral_outcomes(data, by), audience, home.config)
        waits = protected(referral_waits(data, by), audience, home.config)
    stages = funnel(outcomes)
    overall = stages.filter(pl.col(by) == ALL) if by else stages
    bars = [
        {"label": label(stage), "value": count, "text": number(count)}
        for stage, count in overall.select("stage", COUNT).iter_rows()
        if count is not None
    ]
    group_header = [by.replace("_", " ").capitalize()] if by else []
    funnel_rows = [
        [
            *([label(r[by], by)] if by else []),
            label(r["stage"]),
            number(r[COUNT]),
            number(r["rate"], "%"),
        ]
        for r in stages.iter_rows(named=True)
    ]
    wait_rows = [
        [
            label(r[by], by) if by else "All referrals",
            number(r[COUNT]),
            number(r["q1"]),
            number(r["median"]),
            number(r["q3"]),
        ]
        for r in waits.iter_rows(named=True)
    ]
    return FunnelPage(
        svg=bar_svg(bars, "count", "Referrals reaching each stage", axis_title="Referrals"),
        funnel=Table(
            "Referrals made, accepted, started and completed",
            [*group_header, "Stage", "Referrals", "Of those made"],
            funnel_rows,
            [*(False for _ in group_header), False, True, True],
        ),
        waits=Table(
            "Days from referral to first attendance at the receiving partner",
            [
                group_header[0] if by else "Referrals",
                "Referrals followed by attendance",
                "Lower quartile",
                "Median",
                "Upper quartile",
            ],
            wait_rows,
            [False, True, True, True, True],
        ),
    )


# ---- disengagement -------------------------------------------------------------------------


@dataclass(frozen=True)
class DisengagementPage:
    svg: str | None
    stopped: str
    attending: str
    by_category: Table
    by_sessions: Table


def disengagement_page(audience: str, gap_days: int) -> DisengagementPage | None:
    with journey_data() as opened:
        if opened is None:
            return None
        home, data = opened
        table = protected(disengagement(data, gap_days), audience, home.config)

    def cell(status: str, category: str, sessions: str) -> Any:
        found = table.filter(
            (pl.col("engagement") == status)
            & (pl.col("last_category") == category)
            & (pl.col("sessions") == sessions)
        )[COUNT].to_list()
        return found[0] if found else 0

    categories = sorted(
        {c for c in table["last_category"].to_list() if c != ALL}, key=lambda c: label(c)
    )
    bands = [b for b, _, _ in SESSION_BANDS]
    by_category = [
        [label(c, "category"), number(cell(STOPPED, c, ALL)), number(cell("attending", c, ALL))]
        for c in categories
    ]
    by_sessions = [
        [b, number(cell(STOPPED, ALL, b)), number(cell("attending", ALL, b))] for b in bands
    ]
    bars = [
        {"label": label(c, "category"), "value": v, "text": number(v)}
        for c in categories
        if (v := cell(STOPPED, c, ALL))
    ]
    return DisengagementPage(
        svg=bar_svg(
            bars,
            "count",
            "Young people who stopped, by the provision category they were last seen in",
            axis_title="Young people who stopped",
        ),
        stopped=number(cell(STOPPED, ALL, ALL)),
        attending=number(cell("attending", ALL, ALL)),
        by_category=Table(
            "Young people by the provision category they were last seen in",
            ["Last seen in", "Stopped", "Still attending"],
            by_category,
            [False, True, True],
        ),
        by_sessions=Table(
            "Young people by the sessions they attended in all",
            ["Sessions attended", "Stopped", "Still attending"],
            by_sessions,
            [False, True, True],
        ),
    )


# ---- typical journeys ----------------------------------------------------------------------


@dataclass(frozen=True)
class TypicalPage:
    table: Table


def typical_page(audience: str, by: str) -> TypicalPage | None:
    with journey_data() as opened:
        if opened is None:
            return None
        home, data = opened
        counts = protected(journey_counts(data, by), audience, home.config)
    typical = typical_journeys(counts)

    def journey(sequence: str | None) -> str:
        if sequence is None:
            return "None can be shown"
        return " then ".join(label(c, "category") for c in sequence.split(SEPARATOR))

    rows = [
        [
            "Everyone" if r[by] == ALL else label(r[by], by),
            number(r["cohort_size"]),
            journey(r["sequence"]),
            number(r[COUNT]),
            number(r["share"], "%") if r["sequence"] is not None else "",
        ]
        for r in typical.iter_rows(named=True)
    ]
    return TypicalPage(
        Table(
            "The most common journey in each cohort",
            ["Cohort", "Young people", "Most common journey", "Young people on it", "Share"],
            rows,
            [False, True, False, True, True],
        )
    )


# ---- one young person ----------------------------------------------------------------------


def timeline_table(person_id: str) -> Table | None:
    """One young person's timeline (for the backbone only: the caller checks); None when
    there is no initiative. An unknown id raises the core's NeedleInputError."""
    with journey_data() as opened:
        if opened is None:
            return None
        _, data = opened
        events = timeline(data, person_id)
    rows = [
        [
            r["month"],
            label(r["event"]),
            r["partner"] or "",
            label(r["category"], "category") if r["category"] else "",
            label(r["detail"]) if r["event"] == "milestone" else (r["detail"] or ""),
            number(r["sessions"]) if r["sessions"] is not None else "",
        ]
        for r in events.iter_rows(named=True)
    ]
    return Table(
        "What happened, month by month",
        ["Month", "Event", "Partner", "Provision category", "Detail", "Sessions"],
        rows,
        [False, False, False, False, False, True],
    )
