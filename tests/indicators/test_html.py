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
from needle.indicators.population import CURVE_SCHEMA, curve_summary
from needle.indicators.schema import (
    ALL_PERIODS,
    PUBLISHED,
    SUPPRESSED_SECONDARY,
    SUPPRESSED_SMALL,
    conform,
)
from needle.indicators.summary import DisclosureRules
from needle.initiative.config import (
    AgendaConfig,
    CurvePoint,
    OutcomeConfig,
    PopulationIndicatorConfig,
)

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
                 "svg_text": "", "suppressed": "", "text": ""}
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
        if "figure" in self.stack and "svg" not in self.stack:
            self.figures[-1]["text"] += data


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


# --- the common agenda and the population indicators -------------------------------------

NOT_OFFICIAL = "Illustrative synthetic series for the Needle demo, not official statistics"
NEET = PopulationIndicatorConfig(
    id="neet_16_17",
    title="16-17 year olds NEET or not known",
    description="Share of 16 and 17 year olds NEET or whose activity is not known.",
    unit="percent",
    direction="down",
    baseline=CurvePoint("2021", 4.3),
    target=CurvePoint("2024", 3.1),
    source=NOT_OFFICIAL,
)
FTE = PopulationIndicatorConfig(
    id="first_time_entrants",
    title="First-time entrants to the youth justice system",
    unit="rate_per_100000",
    direction="down",
    baseline=CurvePoint("2021", 145.0),
    source="MoJ and YJB, Youth Justice Statistics",
)
# period: (actual, target path, forecast)
NEET_CURVE = {
    "2019": (4.46, None, 4.52),
    "2020": (4.38, None, 4.41),
    "2021": (4.3, 4.3, 4.3),
    "2022": (4.04, 3.9, 4.19),
    "2023": (3.87, 3.5, 4.08),
    "2024": (None, 3.1, 3.97),
}
FTE_CURVE = {"2020": (151.25, None, None), "2021": (145.0, None, None), "2022": (139.9, None, None)}
AGENDA = AgendaConfig(
    vision="Every young person has a trusted adult and something positive to do.",
    goals=("More young people take part regularly.", "Fewer young people are NEET."),
)
OUTCOMES = (
    OutcomeConfig(
        "participation",
        "Participation",
        "Young people taking part in positive activities.",
        ("reach", "referrals_made", "retention"),
    ),
    OutcomeConfig(
        "education",
        "Education, employment and training",
        "",
        ("wellbeing_change", "neet_16_17", "school_absence"),
    ),
    OutcomeConfig("safety", "Safety", "Kept out of the youth justice system.", ()),
)


def curve_frame(definition: PopulationIndicatorConfig, points: dict) -> pl.DataFrame:
    baseline = definition.baseline.value if definition.baseline else None
    rows = [
        (definition.id, "E08000009", period, float(period), actual, baseline, target, forecast,
         int(period) <= 2021)
        for period, (actual, target, forecast) in points.items()
    ]  # fmt: skip
    return pl.DataFrame(rows, schema=CURVE_SCHEMA, orient="row")


def agenda_results(frame: pl.DataFrame) -> pl.DataFrame:
    """The results with the latest referrals suppressed (its value left in the row)."""
    latest = (
        (pl.col("indicator") == "referrals_made")
        & (pl.col("period") == PERIODS[-1])
        & (pl.col("breakdown") == "")
    )
    return frame.with_columns(
        pl.when(latest).then(pl.lit(SUPPRESSED_SMALL)).otherwise(pl.col("status")).alias("status")
    )


@pytest.fixture(scope="module")
def curves():
    return [(NEET, curve_frame(NEET, NEET_CURVE)), (FTE, curve_frame(FTE, FTE_CURVE))]


@pytest.fixture(scope="module")
def agenda_html(frame, registry, curves):
    return render_summary(
        agenda_results(frame),
        registry,
        title="Riverside Youth Partnership: summary",
        audience="public",
        generated_at=GENERATED_AT,
        rules=RULES,
        agenda=AGENDA,
        outcomes=OUTCOMES,
        curves=curves,
    )


@pytest.fixture(scope="module")
def agenda_page(agenda_html):
    return Page(agenda_html)


def test_without_agenda_or_curves_the_page_has_neither(page):
    headings = [text for _, text in page.headings]
    assert "Our common agenda" not in headings
    assert "Population indicators: turning the curve" not in headings
    assert not [f for f in page.figures if f["id"].startswith("curve-")]


def test_agenda_and_curves_pages_keep_the_structure(agenda_page, agenda_html):
    levels = [level for level, _ in agenda_page.headings]
    assert levels.count(1) == 1 and levels[0] == 1
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, agenda_page.headings
    h2 = [text for level, text in agenda_page.headings if level == 2]
    assert h2[0] == "Our common agenda"  # at the top
    assert "Population indicators: turning the curve" in h2
    assert (4, "Participation") in agenda_page.headings
    for figure in agenda_page.figures:
        assert figure["caption"].strip(), figure["id"]
        assert len(figure["tables"]) == 1, figure["id"]
        for svg in figure["svgs"]:
            assert svg.get("role") == "img" and svg.get("aria-label", "").strip()
    # Every link goes to something on the page, and nothing is fetched.
    ids = {value for _, name, value in agenda_page.attrs if name == "id"}
    for link in agenda_page.links:
        assert link["href"].startswith("#") and link["href"][1:] in ids, link
    assert "http://" not in agenda_html and "https://" not in agenda_html
    assert not [a for tag, a in agenda_page.tags if tag in ("script", "link", "img")]


def test_agenda_shows_vision_goals_and_each_outcome(agenda_page, agenda_html):
    text = "".join(agenda_page.text)
    assert AGENDA.vision in text
    section = agenda_html[: agenda_html.index('<section aria-labelledby="headlines"')]
    items = re.findall(r"<li>(.*?)</li>", section)
    assert items == list(AGENDA.goals)
    for outcome in OUTCOMES:
        assert (4, outcome.title) in agenda_page.headings
        if outcome.description:
            assert outcome.description in text
    assert "No indicator evidences this outcome yet." in text


def test_agenda_tables_hold_the_latest_values(agenda_page, frame, registry):
    results = agenda_results(frame)
    reach = _headline(results, "reach")[-1]
    change = _headline(results, "wellbeing_change")[-1]
    participation = _table(agenda_page, "Indicators of Participation")
    assert participation["rows"] == [
        ["Indicator", "Latest value", "Period"],
        [registry.get("reach").title, f"{reach['value']:,.0f}", reach["period"]],
        [registry.get("referrals_made").title, f"suppressed (fewer than {RULES.threshold})",
         PERIODS[-1]],
        [registry.get("retention").title, "– (no data)", "–"],  # no results for it
    ]  # fmt: skip
    education = _table(agenda_page, "Indicators of Education, employment and training")
    neet = NEET_CURVE["2023"][0]
    assert education["rows"][1:] == [
        [
            registry.get("wellbeing_change").title,
            f"{change['value']:+.1f} (95% CI {change['lower']:.1f} to {change['upper']:.1f}), "
            f"n = {change['n']}",
            change["period"],
        ],
        [NEET.title, f"{neet:.1f}%", "2023"],  # the latest actual of its curve
        ["School absence", "population indicator", "–"],  # no curve given
    ]
    # The suppressed referrals value is not printed anywhere.
    suppressed = results.filter(
        (pl.col("indicator") == "referrals_made") & (pl.col("status") != PUBLISHED)
    )
    assert REFERRALS[2] in suppressed["value"].to_list()
    assert all(r[1] != f"{REFERRALS[2]:,.0f}" for r in participation["rows"])


def test_agenda_links_each_indicator_to_its_chart(agenda_html):
    assert '<a href="#trend-reach">' in agenda_html
    assert f'<a href="#curve-{NEET.id}">' in agenda_html
    assert 'href="#trend-retention"' not in agenda_html  # it has no chart


def test_curve_figure_has_lines_legend_summary_and_illustrative_caption(agenda_page, curves):
    figure = _figure(agenda_page, f"curve-{NEET.id}")
    assert figure["caption"].startswith(NEET.title)
    assert "not official statistics" in figure["caption"]
    assert "Lower is better" in figure["caption"]
    label = figure["svgs"][0]["aria-label"]
    for words in ("solid line", "dash-dot line", "dashed line", "dotted line", "4.3% (2021)",
                  "3.1% by 2024"):  # fmt: skip
        assert words in label, words
    # The legend names each line (the dash patterns, not the colours, tell them apart).
    for name in ("Actual", "Baseline", "Target path", "If nothing changes (forecast)"):
        assert name in figure["svg_text"]
    summary = curve_summary(curves[0][1], NEET)
    assert summary["summary"]
    assert f"Latest, 2023: 3.9%; {summary['summary']}." in figure["text"]

    other = _figure(agenda_page, f"curve-{FTE.id}")
    assert "not official" not in other["caption"].lower()
    assert "Illustrative" not in other["caption"]
    assert f"Source: {FTE.source}" in other["caption"]
    # No target and no forecast: only the lines there are.
    assert "Target path" not in other["svg_text"] and "forecast" not in other["svg_text"]
    assert "no target to compare with" in other["text"]


def test_curve_tables_hold_the_input_numbers(agenda_page):
    table = _figure(agenda_page, f"curve-{NEET.id}")["tables"][0]
    assert table["caption"] == f"{NEET.title}, by period"
    assert table["rows"][0] == [
        "Period", "Actual", "Baseline", "Target path", "If nothing changes (forecast)",
    ]  # fmt: skip

    def cell(value, unit="%"):
        return "–" if value is None else f"{value:,.1f}{unit}"

    assert table["rows"][1:] == [
        [period, cell(actual), cell(NEET.baseline.value), cell(target), cell(forecast)]
        for period, (actual, target, forecast) in NEET_CURVE.items()
    ]
    table = _figure(agenda_page, f"curve-{FTE.id}")["tables"][0]
    assert table["rows"][0] == ["Period", "Actual", "Baseline"]
    assert table["rows"][1:] == [
        [period, cell(actual, " per 100,000"), "145.0 per 100,000"]
        for period, (actual, _, _) in FTE_CURVE.items()
    ]


def test_agenda_and_curve_texts_are_escaped(frame, registry):
    evil = "<script>alert('x')</script> & <b>"
    neet = dataclasses.replace(NEET, title=evil, description=evil, source=evil)
    agenda = AgendaConfig(vision=evil, goals=(evil,))
    outcomes = (OutcomeConfig("participation", evil, evil, ("reach", "neet_16_17")),)
    html = render_summary(
        frame.filter(pl.col("indicator") == "reach"),
        registry,
        title="Summary",
        audience="public",
        generated_at=GENERATED_AT,
        rules=RULES,
        agenda=agenda,
        outcomes=outcomes,
        curves=[(neet, curve_frame(neet, NEET_CURVE))],
    )
    assert "<script" not in html.lower()
    assert "<b>" not in html
    page = Page(html)
    assert not [attrs for tag, attrs in page.tags if tag in ("script", "b")]
    assert (4, evil) in page.headings
    assert f"Indicators of {evil}" in [t["caption"] for t in page.tables]
    assert [evil, "3.9%", "2023"] in _table(page, f"Indicators of {evil}")["rows"]
    figure = _figure(page, "curve-neet_16_17")
    assert figure["caption"].startswith(evil)
    assert evil in figure["svgs"][0]["aria-label"]
    text = "".join(page.text)
    assert text.count(evil) >= 4  # vision, goal, outcome description, curve caption
