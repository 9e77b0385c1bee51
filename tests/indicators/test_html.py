"""The HTML summary: self-contained, structurally accessible, the same numbers in the
tables as in the results, suppressed cells neither drawn nor printed, all text escaped.

The page is parsed with the standard library's html.parser, so the checks are on the
structure a browser or screen reader sees, not on substrings.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from html.parser import HTMLParser

import polars as pl
import pytest

from needle.indicators.definitions import Registry, load_registry
from needle.indicators.html import render_summary
from needle.indicators.schema import (
    ALL_PERIODS,
    PUBLISHED,
    SUPPRESSED_SECONDARY,
    SUPPRESSED_SMALL,
    conform,
)
from needle.indicators.summary import DisclosureRules

PERIODS = ("2026-Q1", "2026-Q2", "2026-Q3")
RULES = DisclosureRules(threshold=10, rounding=5)
WARDS = ("E05000001", "E05000002", "E05000003", "E05000004")
SUPPRESSED_WARD = "E05000003"
HIDDEN_VALUE = 4321.0  # left in a suppressed row on purpose: it must never appear
REFERRALS = (35.0, 47.0, 41.0, 123.0)  # 47, in PERIODS[1], is suppressed with its value left
GENERATED_AT = "2026-10-05 09:30"
PROVENANCE = "Needle test run 42"


def _row(indicator, period, value, *, breakdown="", group="", n=None, lower=None, upper=None,
         status=PUBLISHED):  # fmt: skip
    return {
        "indicator": indicator,
        "period": period,
        "breakdown": breakdown,
        "group": group,
        "value": value,
        "n": n,
        "lower": lower,
        "upper": upper,
        "status": status,
    }


def results_frame() -> pl.DataFrame:
    """Three quarters and all periods; reach by ward (one ward suppressed), age band and
    gender; equity by deprivation decile; two mean changes with CIs; a suppressed period."""
    rows = []
    for i, period in enumerate((*PERIODS, ALL_PERIODS)):
        scale = 3 if period == ALL_PERIODS else 1
        rows += [
            _row("reach", period, 1205.0 * scale + 5 * i, n=1205 * scale + 5 * i),
            _row("contact_hours", period, 2345.67 * scale + i, n=300),
            _row("attended_threshold", period, 45.234 + i, n=200),
            _row("wellbeing_change", period, 1.234 + i / 10, n=268, lower=0.81, upper=1.64),
            _row("life_satisfaction_change", period, 0.4567, n=90, lower=0.12, upper=0.79),
            _row("wellbeing_reliable_improvement", period, 31.25, n=268),
        ]
        referrals_status = SUPPRESSED_SMALL if period == PERIODS[1] else PUBLISHED
        referrals = REFERRALS[i]
        rows.append(_row("referrals_made", period, referrals, n=35, status=referrals_status))
        for w, ward in enumerate(WARDS):
            hidden = ward == SUPPRESSED_WARD
            rows.append(
                _row(
                    "reach", period, HIDDEN_VALUE if hidden else 100.0 * (w + 1) * scale,
                    breakdown="ward", group=ward, n=None,
                    status=SUPPRESSED_SMALL if hidden else PUBLISHED,
                )
            )  # fmt: skip
        for a, band in enumerate(("11-15", "16-18", "19-25", "unknown")):
            rows.append(_row("reach", period, 200.0 + 10 * a, breakdown="age_band", group=band))
        for g, gender in enumerate(("female", "male", "non_binary")):
            status = SUPPRESSED_SECONDARY if gender == "non_binary" else PUBLISHED
            value = None if gender == "non_binary" else 500.0 + g
            rows.append(
                _row("reach", period, value, breakdown="gender", group=gender, status=status)
            )
        for decile in range(1, 11):
            rows.append(
                _row("reach_equity", period, 1.5 - decile / 10, breakdown="imd_decile",
                     group=str(decile), n=50)
            )  # fmt: skip
    frame = pl.DataFrame(rows)
    return conform(frame).with_columns(frame["status"])


class Page(HTMLParser):
    """The parts of a page the tests look at."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.lang = None
        self.title = ""
        self.headings: list[tuple[int, str]] = []
        self.landmarks: list[str] = []
        self.links: list[dict] = []
        self.attrs: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.tags: list[tuple[str, dict]] = []
        self.figures: list[dict] = []
        self.tables: list[dict] = []
        self.text: list[str] = []  # every text node, SVG text included
        self._heading = None
        self._cell: list[str] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        for name, value in attrs:
            self.attrs.append((tag, name, value or ""))
        if tag not in ("meta", "br", "img", "input", "link", "path", "line", "rect"):
            self.stack.append(tag)
        if tag == "html":
            self.lang = attributes.get("lang")
        if tag in ("header", "main", "footer"):
            self.landmarks.append(tag)
        if tag == "a":
            self.links.append(attributes)
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self._heading = [int(tag[1]), ""]
        if tag == "figure":
            self.figures.append(
                {"id": attributes.get("id"), "caption": "", "svgs": [], "tables": [],
                 "svg_text": "", "suppressed": ""}
            )  # fmt: skip
        if tag == "svg" and self.figures and "figure" in self.stack:
            self.figures[-1]["svgs"].append(attributes)
        if tag == "table":
            table = {"caption": "", "rows": []}
            self.tables.append(table)
            if "figure" in self.stack:
                self.figures[-1]["tables"].append(table)
        if tag == "tr":
            self.tables[-1]["rows"].append([])
        if tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass
        if self._heading and tag == f"h{self._heading[0]}":
            self.headings.append((self._heading[0], self._heading[1].strip()))
            self._heading = None
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1]["rows"][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        if "title" in self.stack and "svg" not in self.stack:
            self.title += data
        if self._heading:
            self._heading[1] += data
        if self._cell is not None:
            self._cell.append(data)
        if "figcaption" in self.stack:
            self.figures[-1]["caption"] += data
        if "caption" in self.stack:
            self.tables[-1]["caption"] += data
        if "svg" in self.stack and "figure" in self.stack:
            self.figures[-1]["svg_text"] += data
        if "figure" in self.stack and "div" in self.stack and "svg" not in self.stack:
            self.figures[-1]["suppressed"] += data


@pytest.fixture(scope="module")
def registry():
    return load_registry()


@pytest.fixture(scope="module")
def frame():
    return results_frame()


@pytest.fixture(scope="module")
def html(frame, registry):
    return render_summary(
        frame,
        registry,
        title="Riverside Youth Partnership: summary",
        audience="public",
        generated_at=GENERATED_AT,
        provenance=PROVENANCE,
        rules=RULES,
    )


@pytest.fixture(scope="module")
def page(html):
    return Page(html)


def _table(page: Page, caption: str) -> dict:
    matches = [t for t in page.tables if t["caption"] == caption]
    assert len(matches) == 1, (caption, [t["caption"] for t in page.tables])
    return matches[0]


def _figure(page: Page, figure_id: str) -> dict:
    matches = [f for f in page.figures if f["id"] == figure_id]
    assert len(matches) == 1, (figure_id, [f["id"] for f in page.figures])
    return matches[0]


# --- structure and accessibility --------------------------------------------------------


def test_page_has_language_title_one_h1_and_ordered_headings(page):
    assert page.lang == "en"
    assert page.title == "Riverside Youth Partnership: summary"
    levels = [level for level, _ in page.headings]
    assert levels.count(1) == 1 and levels[0] == 1
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, page.headings  # never skips a level


def test_page_has_landmarks_and_a_skip_link(page):
    assert page.landmarks == ["header", "main", "footer"]
    assert page.links[0]["href"] == "#main"
    assert any(tag == "main" and attrs.get("id") == "main" for tag, attrs in page.tags)


def test_every_figure_has_a_caption_an_image_label_and_a_table(page):
    assert len(page.figures) >= 8
    for figure in page.figures:
        assert figure["caption"].strip(), figure["id"]
        assert len(figure["tables"]) == 1, figure["id"]
        assert figure["tables"][0]["rows"], figure["id"]
        for svg in figure["svgs"]:
            assert svg.get("role") == "img"
            assert svg.get("aria-label", "").strip()
    assert sum(len(f["svgs"]) for f in page.figures) >= 8
    # The table hides behind a "Show the numbers" disclosure.
    assert any(tag == "details" for tag, _ in page.tags)


def test_page_is_self_contained(html, page):
    assert not [attrs for tag, attrs in page.tags if tag == "script"]
    assert not [attrs for tag, attrs in page.tags if tag == "link"]
    assert not [attrs for tag, attrs in page.tags if tag in ("img", "iframe", "object")]
    for tag, name, value in page.attrs:
        if name in ("src", "href", "xlink:href", "srcset", "action"):
            assert not value.lower().startswith(("http:", "https:", "//")), (tag, name, value)
    assert "http://" not in html and "https://" not in html
    assert "@import" not in html and "url(http" not in html
    assert len(html.encode()) < 400_000


def test_footer_states_audience_rules_time_and_provenance(page, html):
    footer = html[html.index("<footer") :]
    assert "the public" in footer
    assert f"Numbers below {RULES.threshold} are suppressed" in footer
    assert f"rounded to the nearest {RULES.rounding}" in footer
    assert GENERATED_AT in footer
    assert PROVENANCE in footer


# --- the numbers ------------------------------------------------------------------------


def _headline(frame: pl.DataFrame, indicator: str) -> list[dict]:
    rows = frame.filter(
        (pl.col("indicator") == indicator)
        & (pl.col("breakdown") == "")
        & (pl.col("period") != ALL_PERIODS)
    )
    return rows.sort("period").to_dicts()


def _shown(row: dict, fmt: str) -> str:
    if row["status"] != PUBLISHED:
        return f"suppressed (fewer than {RULES.threshold})"
    return format(row["value"], fmt)


def test_trend_tables_hold_the_input_numbers(page, frame, registry):
    for indicator, fmt, suffix in (
        ("reach", ",.0f", ""),
        ("contact_hours", ",.1f", ""),
        ("attended_threshold", ".1f", "%"),
        ("referrals_made", ",.0f", ""),
    ):
        title = registry.get(indicator).title
        table = _table(page, f"{title}, by period")
        body = table["rows"][1:]
        expected = []
        for row in _headline(frame, indicator):
            text = _shown(row, fmt)
            expected.append([row["period"], text + (suffix if row["status"] == PUBLISHED else "")])
        assert body == expected, indicator


def test_mean_change_table_has_the_change_its_interval_and_n(page, frame, registry):
    title = registry.get("wellbeing_change").title
    table = _table(page, f"{title}, by period")
    assert table["rows"][0] == ["Period", "Change in score", "95% CI lower", "95% CI upper",
                                "Based on (n)"]  # fmt: skip
    expected = [
        [r["period"], f"{r['value']:+.1f}", f"{r['lower']:.1f}", f"{r['upper']:.1f}", f"{r['n']:,}"]
        for r in _headline(frame, "wellbeing_change")
    ]
    assert table["rows"][1:] == expected
    figure = _figure(page, "trend-wellbeing_change")
    assert "confidence" in figure["svgs"][0]["aria-label"]


def test_outcomes_chart_shows_each_mean_change_with_its_interval(page, frame, registry):
    figure = _figure(page, "outcome-changes")
    rows = figure["tables"][0]["rows"][1:]
    pooled = frame.filter((pl.col("period") == ALL_PERIODS) & (pl.col("breakdown") == ""))
    expected = []
    for d in registry:
        if d.kind == "paired_change" and d.stat == "mean_change":
            for r in pooled.filter(pl.col("indicator") == d.id).to_dicts():
                decimals = 1 if abs(r["value"]) >= 1 else 2
                expected.append([
                    d.title,
                    f"{r['value']:+.{decimals}f}",
                    f"{r['lower']:.{decimals}f}",
                    f"{r['upper']:.{decimals}f}",
                    f"{r['n']:,}",
                ])  # fmt: skip
    assert len(expected) == 2
    assert rows == expected


def test_breakdown_tables_hold_the_input_numbers(page, frame, registry):
    pooled = frame.filter(pl.col("period") == ALL_PERIODS)
    ward = _table(page, "Young people reached, by ward, all periods")
    expected = [
        [r["group"], _shown(r, ",.0f")]
        for r in pooled.filter(pl.col("breakdown") == "ward").sort("group").to_dicts()
    ]
    assert ward["rows"][1:] == expected

    gender = _table(page, "Young people reached, by gender, all periods")
    rows = pooled.filter(pl.col("breakdown") == "gender").sort("group").to_dicts()
    assert [r[1] for r in gender["rows"][1:]] == [
        _shown(r, ",.0f") if r["status"] == PUBLISHED else "suppressed (would reveal another "
        "suppressed number)"
        for r in rows
    ]  # fmt: skip

    equity = _figure(page, "reach_equity-by-imd_decile")
    rows = pooled.filter(pl.col("breakdown") == "imd_decile").to_dicts()
    rows.sort(key=lambda r: int(r["group"]))
    assert [r[1] for r in equity["tables"][0]["rows"][1:]] == [f"{r['value']:.2f}" for r in rows]
    assert equity["tables"][0]["rows"][1][0] == "1 (most deprived)"
    assert "dashed line marks 1" in equity["svgs"][0]["aria-label"]


def test_suppressed_cells_are_listed_not_drawn_and_never_printed(html, page, frame):
    figure = _figure(page, "reach-by-ward")
    assert SUPPRESSED_WARD not in figure["svg_text"]  # no bar, no axis label
    for ward in WARDS:
        if ward != SUPPRESSED_WARD:
            assert ward in figure["svg_text"]
    assert f"{SUPPRESSED_WARD}: suppressed (fewer than {RULES.threshold})" in figure["suppressed"]
    drawn = f"{len(WARDS) - 1} groups drawn"
    assert drawn in figure["svgs"][0]["aria-label"]

    hidden = frame.filter(pl.col("status") != PUBLISHED)["value"].drop_nulls().unique()
    assert HIDDEN_VALUE in hidden.to_list()
    readable = ("aria-label", "title", "alt", "content", "value")
    texts = page.text + [value for _, name, value in page.attrs if name in readable]
    for value in hidden.to_list():
        for text in (f"{value:,.0f}", f"{value:.0f}", f"{value:,.1f}"):
            pattern = re.compile(rf"(?<![\d.,]){re.escape(text)}(?![\d,]|\.\d)")
            assert not any(pattern.search(t) for t in texts), text

    trend = _figure(page, "trend-referrals_made")
    assert f"{PERIODS[1]}: suppressed" in trend["suppressed"]


def test_cards_carry_numbers_and_words_for_direction(html, frame):
    reach = _headline(frame, "reach")[-1]
    cards = html[html.index('<ul class="cards">') : html.index("</ul>")]
    assert f'<p class="card-value">{reach["value"]:,.0f}</p>' in cards
    assert f"<p>{reach['period']}</p>" in cards
    assert "Higher is better" in cards


# --- escaping ---------------------------------------------------------------------------


def test_every_text_is_escaped(frame):
    base = load_registry()
    evil = "<script>alert('x')</script> & <b>"
    indicators = dict(base.indicators)
    for indicator in ("reach", "wellbeing_change", "life_satisfaction_change"):
        indicators[indicator] = dataclasses.replace(
            base.get(indicator), title=evil, description=evil
        )
    registry = Registry(indicators=indicators)
    small = frame.filter(pl.col("indicator").is_in(["reach", "wellbeing_change"]))
    small = small.filter(pl.col("breakdown").is_in(["", "ward"]))
    html = render_summary(
        small,
        registry,
        title=evil,
        audience="public",
        generated_at=evil,
        provenance=evil,
        rules=RULES,
        group_labels={"ward": {WARDS[0]: evil}},
    )
    assert "<script" not in html.lower()
    assert "<b>" not in html
    page = Page(html)
    assert page.title == evil
    assert page.headings[0] == (1, evil)
    assert not [attrs for tag, attrs in page.tags if tag in ("script", "b")]
    assert any(evil in f["caption"] for f in page.figures)
