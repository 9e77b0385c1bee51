"""The initiative's configuration file, ``needle.toml``: what it holds, how it is checked.

Why a file: what makes one initiative different from another (its name, the area it
covers, how often partners report, how small a number each audience may see, the first
partners) is decided by people at a steering group, changes rarely, and should be readable
and reviewable by them. A short commented TOML file in the initiative's home does that;
anything that differs between machines or must stay secret (the database URL, the linkage
secret) is an environment variable instead (:mod:`needle.settings`).

The file is checked every time it is read: each mistake is a :class:`NeedleInputError`
naming the key (``periods.first``, ``partners[2].code``) and saying how to fix it. The
dataclasses check themselves too, so a configuration built in Python is held to the same
rules. See docs/guides/initiative.md for every key, and docs/guides/outcomes-framework.md
for the common agenda, the outcomes framework and the population indicators.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from needle.errors import NeedleInputError
from needle.periods import Period, parse_period

__all__ = [
    "AUDIENCES",
    "DEFAULT_OUTCOMES",
    "DIRECTIONS",
    "FREQUENCIES",
    "POPULATION_PERIOD_KINDS",
    "TRAFFORD",
    "UNITS",
    "AgendaConfig",
    "CurvePoint",
    "DisclosureConfig",
    "IndicatorsConfig",
    "InitiativeConfig",
    "LinkageConfig",
    "OutcomeConfig",
    "PartnerConfig",
    "PeriodsConfig",
    "PopulationIndicatorConfig",
    "PopulationPeriod",
    "config_to_toml",
    "load_config",
    "parse_config",
    "parse_population_period",
    "period_containing",
    "population_period_label",
    "trafford_demo_config",
    "unit_range",
    "write_config",
]

FREQUENCIES = ("quarter", "month", "year")
# Who may see a number: the first three have thresholds that protect them; the backbone
# team holds the data and by default sees everything (needle.indicators.schema.AUDIENCES).
AUDIENCES = ("public", "steering_group", "partner", "backbone")
# How a population indicator is measured, and which way is good.
UNITS = ("percent", "rate_per_1000", "rate_per_100000", "count", "number")
DIRECTIONS = ("up", "down")
TRAFFORD = "E08000009"  # the GSS code of Trafford, the demo area

_GSS_CODE = re.compile(r"^[EWSNK]\d{8}$")
# The pool's partner register holds the same codes (needle.pool.model.normalise_code).
_PARTNER_CODE = re.compile(r"^[A-Z0-9_-]{2,16}$")
_PARTNER_NAME_MAX = 200
_FREQUENCY_OF_LABEL = (
    (re.compile(r"^\d{4}-Q[1-4]$"), "quarter"),
    (re.compile(r"^\d{4}-\d{2}$"), "month"),
    (re.compile(r"^\d{4}$"), "year"),
)
_EXAMPLE_LABEL = {"quarter": "2024-Q4", "month": "2024-10", "year": "2024"}
# Indicator ids and outcome codes: lower_snake_case, as in the indicator registry.
_ID = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_ID_MAX = 64
_TEXT_MAX = 2000
_AGE_MAX = 30  # the standard's provision ages stop at 30
_MIN_PEERS_LEAST = 3  # with 2, a partner could work out the other's figure from its own


def _fail(key: str, message: str) -> NeedleInputError:
    return NeedleInputError(f"{key}: {message}")


def _text(key: str, value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise _fail(key, f"must be text in quotes ({what}), not {_kind(value)}.")
    return value


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _whole(key: str, value: Any, least: int, example: str, why: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(
            key, f"must be a whole number such as {example} (no quotes), not {_kind(value)}."
        )
    if value < least:
        raise _fail(key, f"{value} is too small: give {least} or more{why}.")
    return value


def _number(key: str, value: Any, example: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(key, f"must be a number such as {example} (no quotes), not {_kind(value)}.")
    if not math.isfinite(value):
        raise _fail(key, f"must be a finite number such as {example}, not {value}.")
    return float(value)


def _id(key: str, value: Any, what: str) -> str:
    text = _text(key, value, what)
    if len(text) > _ID_MAX or not _ID.match(text):
        fixed = re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")
        hint = f" ({fixed!r} would do)" if fixed and _ID.match(fixed) else ""
        raise _fail(
            key,
            f"{text!r} is not an id{hint}. Use lower_snake_case: lower case letters, digits "
            f"and single underscores, starting with a letter, at most {_ID_MAX} characters "
            "(e.g. neet_16_17).",
        )
    return text


def _words(key: str, value: Any, what: str, *, empty_ok: bool = True) -> str:
    text = _text(key, value, what)
    if not empty_ok and not text.strip():
        raise _fail(key, f"is empty; give {what}.")
    if len(text) > _TEXT_MAX:
        raise _fail(key, f"is {len(text)} characters long; shorten it to {_TEXT_MAX} at most.")
    return text


def _list(key: str, value: Any, example: str) -> tuple:
    if isinstance(value, str):
        raise _fail(
            key, f"must be a list in square brackets: {key.rsplit('.', 1)[-1]} = [{example}]."
        )
    if not isinstance(value, list | tuple):
        raise _fail(key, f"must be a list in square brackets, not {_kind(value)}.")
    return tuple(value)


# ---- population indicator periods -----------------------------------------------------


class PopulationPeriod(NamedTuple):
    """A period of a population indicator series, as published.

    ``label`` is canonical and sorts within a kind (``2023``, ``2022/23``, ``2024-Q1``);
    ``time`` is when the period starts, as a decimal year (an academic year starts on 1
    September: ``2022/23`` is 2022.667), the x of a trend; ``ordinal`` counts periods of
    its kind, so consecutive periods differ by 1.
    """

    label: str
    time: float
    kind: str  # one of POPULATION_PERIOD_KINDS
    ordinal: int


POPULATION_PERIOD_KINDS = {
    "year": "a year",
    "academic_year": "an academic (or financial) year",
    "quarter": "a quarter",
}
_P_YEAR = re.compile(r"^(\d{4})$")
_P_SPAN = re.compile(r"^(\d{4})\s*[/-]\s*(\d{2}|\d{4})$")
_P_DFE_SPAN = re.compile(r"^(\d{4})(\d{2})$")  # explore-education-statistics: 202223
_P_QUARTER = re.compile(r"^(\d{4})\s*-?\s*Q([1-4])$", re.IGNORECASE)
_P_FORMS = "a year such as 2023, an academic year such as 2022/23, or a quarter such as 2024-Q1"


def _year(text: str, year: int) -> int:
    if not 1900 <= year <= 2100:
        raise NeedleInputError(f"{text!r} is not a period between 1900 and 2100.")
    return year


def parse_population_period(text: Any) -> PopulationPeriod:
    """Read a population series period: ``2023``, ``2022/23`` (also ``2022-23``,
    ``2022/2023`` and explore-education-statistics' ``202223``) or ``2024-Q1`` (also
    ``2024Q1``). A bad one is a :class:`NeedleInputError` that lists the accepted forms."""
    if not isinstance(text, str):
        raise NeedleInputError(f"must be text in quotes ({_P_FORMS}), not {_kind(text)}.")
    value = text.strip()
    if m := _P_YEAR.match(value):
        year = _year(value, int(m.group(1)))
        return PopulationPeriod(str(year), float(year), "year", year)
    if m := _P_SPAN.match(value) or _P_DFE_SPAN.match(value):
        year = _year(value, int(m.group(1)))
        second = int(m.group(2))
        if second not in ((year + 1) % 100, year + 1):
            raise NeedleInputError(
                f"{value!r} is not an academic or financial year: its two years must follow "
                f"each other, as in {year}/{(year + 1) % 100:02d}. (Population series are "
                "by year, academic year or quarter, not by month.)"
            )
        label = f"{year}/{(year + 1) % 100:02d}"
        return PopulationPeriod(label, year + 8 / 12, "academic_year", year)
    if m := _P_QUARTER.match(value):
        year, quarter = _year(value, int(m.group(1))), int(m.group(2))
        return PopulationPeriod(
            f"{year}-Q{quarter}", year + (quarter - 1) / 4, "quarter", 4 * year + quarter - 1
        )
    raise NeedleInputError(f"{value!r} is not a period. Use {_P_FORMS}.")


def population_period_label(kind: str, ordinal: int) -> str:
    """The label of the period ``ordinal`` of ``kind`` (the inverse of ``ordinal``)."""
    if kind == "year":
        return str(ordinal)
    if kind == "academic_year":
        return f"{ordinal}/{(ordinal + 1) % 100:02d}"
    if kind == "quarter":
        return f"{ordinal // 4}-Q{ordinal % 4 + 1}"
    raise ValueError(f"unknown period kind {kind!r}")


@dataclass(frozen=True)
class PartnerConfig:
    """A partner organisation to register when the home is created.

    ``code`` is the short identifier partners use in their submissions and referrals
    (2 to 16 upper case letters, digits, ``-`` or ``_``, e.g. ``TYC``), the same rule as
    the pool's partner register; ``name`` has at most 200 characters.
    """

    code: str
    name: str

    def _check(self, key: str) -> None:
        code = _text(f"{key}.code", self.code, "a partner code such as TYC")
        if not _PARTNER_CODE.match(code):
            hint = (
                f" ({code.strip().upper()!r} would do)"
                if _PARTNER_CODE.match(code.strip().upper())
                else ""
            )
            raise _fail(
                f"{key}.code",
                f"{code!r} is not a partner code{hint}. Use 2 to 16 upper case letters, "
                "digits, '-' or '_', e.g. TYC.",
            )
        name = _text(f"{key}.name", self.name, "the organisation's name")
        if not name.strip():
            raise _fail(f"{key}.name", f"partner {code} has no name; give its full name.")
        if len(name) > _PARTNER_NAME_MAX:
            raise _fail(
                f"{key}.name",
                f"is {len(name)} characters long; shorten it to {_PARTNER_NAME_MAX} at most.",
            )

    def __post_init__(self) -> None:
        self._check("partners[]")


@dataclass(frozen=True)
class PeriodsConfig:
    """How often partners report (``frequency``) and the first reporting period (``first``,
    a label of that frequency: ``2024-Q4``, ``2024-10`` or ``2024``).
    ``submission_due_days``: how many days after a period ends its data is due; a partner
    with nothing accepted by then is late."""

    first: str
    frequency: str = "quarter"
    submission_due_days: int = 28

    def __post_init__(self) -> None:
        frequency = _text("periods.frequency", self.frequency, "quarter, month or year")
        if frequency not in FREQUENCIES:
            raise _fail(
                "periods.frequency",
                f"{frequency!r} is not a reporting frequency. Use one of: "
                f"{', '.join(FREQUENCIES)}.",
            )
        first = _text("periods.first", self.first, f"e.g. {_EXAMPLE_LABEL[frequency]}")
        try:
            label = parse_period(first).label
        except NeedleInputError as exc:
            raise _fail("periods.first", str(exc)) from None
        kind = next(f for pattern, f in _FREQUENCY_OF_LABEL if pattern.match(label))
        if kind != frequency:
            raise _fail(
                "periods.first",
                f"{first!r} is a {kind} but periods.frequency is {frequency!r}. Give a "
                f"{frequency} such as {_EXAMPLE_LABEL[frequency]}, or change the frequency.",
            )
        object.__setattr__(self, "first", label)  # the canonical label: 2024q4 -> 2024-Q4
        _whole(
            "periods.submission_due_days",
            self.submission_due_days,
            0,
            "28",
            " (the days after a period ends by which its data is due; 0 for the day it ends)",
        )

    @property
    def first_period(self) -> Period:
        return parse_period(self.first)


@dataclass(frozen=True)
class DisclosureConfig:
    """How numbers are protected before each audience sees them.

    The smallest count each audience may see (smaller counts are suppressed): ``public``,
    open data and the public dashboard; ``steering_group``, the steering group, working
    groups and funders; ``partner``, a partner's own feedback and benchmarks; ``backbone``,
    the backbone team that holds the data (0: it sees every number).
    ``public_rounding``: public counts are rounded to the nearest this many (0: no
    rounding). ``min_peers``: the fewest partners, the partner itself included, that must
    contribute before a peer benchmark is shown (3 or more, so that no partner can work out
    another's figure from the benchmark and its own).
    """

    public: int = 10
    steering_group: int = 5
    partner: int = 5
    backbone: int = 0
    public_rounding: int = 5
    min_peers: int = 5

    def __post_init__(self) -> None:
        for audience in AUDIENCES:
            value = getattr(self, audience)
            key = f"disclosure.{audience}"
            if isinstance(value, bool) or not isinstance(value, int):
                raise _fail(
                    key, f"must be a whole number such as 5 (no quotes), not {_kind(value)}."
                )
            if value < 0:
                raise _fail(
                    key,
                    f"{value} is negative. Give the smallest count this audience may see, "
                    "0 or more (10 and 5 are common).",
                )
        _whole(
            "disclosure.public_rounding",
            self.public_rounding,
            0,
            "5",
            " (the multiple public counts are rounded to, 5 is common; 0 for no rounding)",
        )
        _whole(
            "disclosure.min_peers",
            self.min_peers,
            _MIN_PEERS_LEAST,
            "5",
            " (with fewer, a partner could work out another partner's figure from the "
            "benchmark and its own)",
        )

    def threshold(self, audience: str) -> int:
        """The minimum cell size for ``audience`` (one of ``AUDIENCES``, backbone included)."""
        if audience not in AUDIENCES:
            raise ValueError(f"unknown audience {audience!r}; one of {AUDIENCES}")
        return getattr(self, audience)


@dataclass(frozen=True)
class LinkageConfig:
    """Where the linkage secret file is: relative to the home, or absolute.

    ``NEEDLE_LINKAGE_SECRET`` (the secret itself) and ``NEEDLE_LINKAGE_SECRET_FILE`` (a
    path) override it.
    """

    secret_file: str = "secrets/linkage.key"

    def __post_init__(self) -> None:
        value = _text("linkage.secret_file", self.secret_file, "a file path")
        if not value.strip():
            raise _fail("linkage.secret_file", "is empty; give a path such as secrets/linkage.key.")


@dataclass(frozen=True)
class AgendaConfig:
    """The common agenda: the ``vision`` the partners share (a sentence about the
    condition of young people's lives they work towards) and the ``goals`` they agreed."""

    vision: str = ""
    goals: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _words("agenda.vision", self.vision, "the shared vision, in a sentence")
        goals = _list("agenda.goals", self.goals, '"Every young person has a trusted adult"')
        for i, goal in enumerate(goals):
            _words(f"agenda.goals[{i}]", goal, "a goal, in a sentence", empty_ok=False)
            if goal in goals[:i]:
                raise _fail(
                    f"agenda.goals[{i}]",
                    f"repeats agenda.goals[{goals.index(goal)}]; list each goal once.",
                )
        object.__setattr__(self, "goals", goals)


@dataclass(frozen=True)
class OutcomeConfig:
    """One outcome of the outcomes framework: a ``code`` (lower_snake_case), a ``title``,
    an optional ``description`` and the ids of the ``indicators`` that evidence it
    (performance measures of the indicator registry, or ``[[population_indicators]]``).

    Config cannot check that the ids exist (the registry is elsewhere), only their form.
    """

    code: str
    title: str
    description: str = ""
    indicators: tuple[str, ...] = ()

    def _check(self, key: str) -> None:
        _id(f"{key}.code", self.code, "an outcome code such as wellbeing")
        _words(f"{key}.title", self.title, "the outcome's title", empty_ok=False)
        _words(f"{key}.description", self.description, "what the outcome means here")
        ids = _list(f"{key}.indicators", self.indicators, '"wellbeing_change"')
        for i, indicator in enumerate(ids):
            _id(f"{key}.indicators[{i}]", indicator, "an indicator id such as reach")
            if indicator in ids[:i]:
                raise _fail(
                    f"{key}.indicators[{i}]",
                    f"{indicator} is listed twice for this outcome; list it once.",
                )
        object.__setattr__(self, "indicators", ids)

    def __post_init__(self) -> None:
        self._check("outcomes[]")


# The standard's outcome areas (codelist outcome_area of the Needle Youth Data Standard),
# each with the built-in indicators that evidence it: the framework when needle.toml
# has no [[outcomes]].
DEFAULT_OUTCOMES: tuple[OutcomeConfig, ...] = (
    OutcomeConfig(
        "social_emotional",
        "Social and emotional capabilities",
        "Young people's confidence, resilience, relationships and other social and "
        "emotional capabilities, as measured by the partners' outcome tools.",
        ("outcome_improvement",),
    ),
    OutcomeConfig(
        "wellbeing",
        "Wellbeing",
        "Young people's mental wellbeing, measured with validated scales such as SWEMWBS.",
        ("wellbeing_change", "wellbeing_reliable_improvement"),
    ),
    OutcomeConfig(
        "education_employment_training",
        "Education, employment and training",
        "Young people in, and progressing through, education, employment and training.",
        ("eet_milestones", "neet_16_17"),
    ),
    OutcomeConfig(
        "safety",
        "Safety",
        "Young people safe in their communities, online and at home, and kept out of the "
        "youth justice system.",
        ("first_time_entrants",),
    ),
    OutcomeConfig(
        "participation",
        "Participation",
        "Young people taking part in positive activities regularly, and staying.",
        ("reach", "reach_population_rate", "attended_threshold", "retention"),
    ),
)


@dataclass(frozen=True)
class IndicatorsConfig:
    """Settings of the built-in indicators.

    ``attendance_threshold``: the N of "% attending at least N sessions"; ``age_min`` and
    ``age_max``: the ages (inclusive, 0 to 30) whose resident population is the
    denominator of reach; ``population_file``: the population indicator series CSV,
    relative to the home (what ``needle population load`` reads by default).
    """

    attendance_threshold: int = 4
    age_min: int = 11
    age_max: int = 25
    population_file: str = "population_indicators.csv"

    def __post_init__(self) -> None:
        _whole("indicators.attendance_threshold", self.attendance_threshold, 1, "4")
        for key in ("age_min", "age_max"):
            value = _whole(f"indicators.{key}", getattr(self, key), 0, "11")
            if value > _AGE_MAX:
                raise _fail(
                    f"indicators.{key}",
                    f"{value} is too old: give an age from 0 to {_AGE_MAX}, the ages the "
                    "youth data standard covers.",
                )
        if self.age_max < self.age_min:
            raise _fail(
                "indicators.age_max",
                f"{self.age_max} is younger than indicators.age_min ({self.age_min}); give "
                "the oldest age of the range, e.g. age_min = 11 and age_max = 25.",
            )
        file = _text("indicators.population_file", self.population_file, "a file path")
        if not file.strip():
            raise _fail(
                "indicators.population_file",
                'is empty; give a path such as "population_indicators.csv".',
            )


@dataclass(frozen=True)
class CurvePoint:
    """A point of a population indicator's curve agreed by the steering group: the value
    at the baseline, or the target. ``period`` is written as the series writes it
    (``2023``, ``2022/23`` or ``2024-Q1``) and made canonical."""

    period: str
    value: float

    def __post_init__(self) -> None:
        self._check("point")

    def _check(self, key: str) -> None:
        try:
            label = parse_population_period(self.period).label
        except NeedleInputError as exc:
            raise _fail(f"{key}.period", str(exc)) from None
        object.__setattr__(self, "period", label)
        object.__setattr__(self, "value", _number(f"{key}.value", self.value, "4.5"))

    @property
    def population_period(self) -> PopulationPeriod:
        return parse_population_period(self.period)


_UNIT_RANGE = {  # the values a unit can take, as (least, most)
    "percent": (0.0, 100.0),
    "rate_per_1000": (0.0, 1000.0),
    "rate_per_100000": (0.0, 100000.0),
    "count": (0.0, math.inf),
    "number": (-math.inf, math.inf),
}


def unit_range(unit: str) -> tuple[float, float]:
    """The least and most a value of ``unit`` can be (a percentage is 0 to 100)."""
    return _UNIT_RANGE[unit]


@dataclass(frozen=True)
class PopulationIndicatorConfig:
    """A population indicator: a condition of all young people in the area, from public
    statistics, whose curve the initiative wants to turn (Results-Based Accountability).

    ``unit``: ``percent``, ``rate_per_1000``, ``rate_per_100000``, ``count`` or ``number``;
    ``direction``: which way is good, ``up`` or ``down``; ``baseline`` and ``target``:
    the agreed value at the baseline period and the value aimed for by the target period
    (optional; a target needs a baseline, in an earlier period of the same kind);
    ``source``: where the series is published.
    """

    id: str
    title: str
    unit: str
    direction: str
    description: str = ""
    baseline: CurvePoint | None = None
    target: CurvePoint | None = None
    source: str = ""

    def _check(self, key: str) -> None:
        _id(f"{key}.id", self.id, "an indicator id such as neet_16_17")
        _words(f"{key}.title", self.title, "the indicator's title", empty_ok=False)
        _words(f"{key}.description", self.description, "what the indicator counts")
        _words(f"{key}.source", self.source, "who publishes the series")
        for name, allowed, why in (
            ("unit", UNITS, ""),
            ("direction", DIRECTIONS, " (up: higher is better; down: lower is better)"),
        ):
            value = _text(f"{key}.{name}", getattr(self, name), " or ".join(allowed))
            if value not in allowed:
                close = difflib.get_close_matches(value, allowed, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise _fail(
                    f"{key}.{name}",
                    f"{value!r} is not a {name}.{hint} Use one of: {', '.join(allowed)}{why}.",
                )
        least, most = unit_range(self.unit)
        points = []
        for name in ("baseline", "target"):
            point = getattr(self, name)
            if point is None:
                continue
            if not isinstance(point, CurvePoint):
                raise _fail(
                    f"{key}.{name}",
                    f'must be a table: {name} = {{ period = "2023", value = 4.5 }}, not '
                    f"{_kind(point)}.",
                )
            point._check(f"{key}.{name}")
            if not least <= point.value <= most:
                raise _fail(
                    f"{key}.{name}.value",
                    f"{point.value:g} is not a possible {self.unit} value: give one from "
                    f"{least:g} to {most:g}.",
                )
            points.append(point)
        if self.target is not None and self.baseline is None:
            raise _fail(
                f"{key}.baseline",
                "is missing: a target needs a baseline to draw the path from. Add "
                'baseline = { period = "2023", value = 4.5 }, or remove the target.',
            )
        if len(points) == 2:
            base, aim = self.baseline.population_period, self.target.population_period
            if base.kind != aim.kind:
                raise _fail(
                    f"{key}.target.period",
                    f"{aim.label} is {POPULATION_PERIOD_KINDS[aim.kind]} but the baseline "
                    f"{base.label} is {POPULATION_PERIOD_KINDS[base.kind]}; write both as "
                    "the series writes its periods.",
                )
            if aim.ordinal <= base.ordinal:
                raise _fail(
                    f"{key}.target.period",
                    f"{aim.label} is not after the baseline period {base.label}; a target is "
                    "for a later period.",
                )

    def __post_init__(self) -> None:
        self._check("population_indicators[]")

    @property
    def period_kind(self) -> str | None:
        """The kind of period of the baseline (``year``, ``academic_year``, ``quarter``)."""
        return self.baseline.population_period.kind if self.baseline else None


@dataclass(frozen=True)
class InitiativeConfig:
    """The whole of ``needle.toml``."""

    name: str
    periods: PeriodsConfig
    area: tuple[str, ...] = ()
    disclosure: DisclosureConfig = field(default_factory=DisclosureConfig)
    linkage: LinkageConfig = field(default_factory=LinkageConfig)
    partners: tuple[PartnerConfig, ...] = ()
    agenda: AgendaConfig = field(default_factory=AgendaConfig)
    outcomes: tuple[OutcomeConfig, ...] = DEFAULT_OUTCOMES
    indicators: IndicatorsConfig = field(default_factory=IndicatorsConfig)
    population_indicators: tuple[PopulationIndicatorConfig, ...] = ()

    def __post_init__(self) -> None:
        name = _text("initiative.name", self.name, "the initiative's name")
        if not name.strip():
            raise _fail(
                "initiative.name",
                'is empty; give the initiative\'s name, e.g. name = "Trafford Youth Collective".',
            )
        if isinstance(self.area, str):
            raise _fail("initiative.area", f'must be a list of codes: area = ["{self.area}"].')
        area = tuple(self.area)
        for i, code in enumerate(area):
            key = f"initiative.area[{i}]"
            _text(key, code, "a GSS code such as E08000009")
            if not _GSS_CODE.match(code):
                raise _fail(
                    key,
                    f"{code!r} is not a GSS area code. Use the nine-character ONS code of "
                    f"each local authority, e.g. {TRAFFORD} for Trafford.",
                )
        if len(set(area)) != len(area):
            raise _fail("initiative.area", "lists the same code twice; list each area once.")
        object.__setattr__(self, "area", area)
        for key, value, kind in (
            ("periods", self.periods, PeriodsConfig),
            ("disclosure", self.disclosure, DisclosureConfig),
            ("linkage", self.linkage, LinkageConfig),
            ("agenda", self.agenda, AgendaConfig),
            ("indicators", self.indicators, IndicatorsConfig),
        ):
            if not isinstance(value, kind):
                raise _fail(key, f"must be a {kind.__name__}, not {_kind(value)}.")
        partners = tuple(self.partners)
        seen: dict[str, int] = {}
        for i, partner in enumerate(partners):
            if not isinstance(partner, PartnerConfig):
                raise _fail(f"partners[{i}]", f"must be a partner, not {_kind(partner)}.")
            partner._check(f"partners[{i}]")
            if partner.code in seen:
                raise _fail(
                    f"partners[{i}].code",
                    f"{partner.code} is already used by partners[{seen[partner.code]}]; "
                    "give each partner its own code.",
                )
            seen[partner.code] = i
        object.__setattr__(self, "partners", partners)
        object.__setattr__(
            self, "outcomes", self._items("outcomes", "code", OutcomeConfig, "an outcome")
        )
        object.__setattr__(
            self,
            "population_indicators",
            self._items(
                "population_indicators", "id", PopulationIndicatorConfig, "a population indicator"
            ),
        )
        if not self.outcomes:
            raise _fail(
                "outcomes",
                "is empty; list at least one [[outcomes]] table, or leave them all out for "
                "the standard's five outcome areas.",
            )

    def _items(self, name: str, id_field: str, kind: type, what: str) -> tuple:
        value = getattr(self, name)
        if isinstance(value, str | Mapping) or not isinstance(value, Iterable):
            raise _fail(name, f"must be a list of [[{name}]] tables, not {_kind(value)}.")
        items = tuple(value)
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            key = f"{name}[{i}]"
            if not isinstance(item, kind):
                raise _fail(key, f"must be {what} ({kind.__name__}), not {_kind(item)}.")
            item._check(key)
            ident = getattr(item, id_field)
            if ident in seen:
                raise _fail(
                    f"{key}.{id_field}",
                    f"{ident} is already used by {name}[{seen[ident]}]; give each its own "
                    f"{id_field}.",
                )
            seen[ident] = i
        return items

    def outcome(self, code: str) -> OutcomeConfig:
        for o in self.outcomes:
            if o.code == code:
                return o
        raise KeyError(code)

    def population_indicator(self, id: str) -> PopulationIndicatorConfig:
        for p in self.population_indicators:
            if p.id == id:
                return p
        raise KeyError(id)

    def partner(self, code: str) -> PartnerConfig:
        for p in self.partners:
            if p.code == code:
                return p
        raise KeyError(code)


# ---- reading -------------------------------------------------------------------------

_TABLES: dict[str, tuple[type, dict[str, str]]] = {
    # TOML table -> (dataclass, {TOML key: field name})
    "periods": (
        PeriodsConfig,
        {k: k for k in ("frequency", "first", "submission_due_days")},
    ),
    "disclosure": (
        DisclosureConfig,
        {k: k for k in (*AUDIENCES, "public_rounding", "min_peers")},
    ),
    "linkage": (LinkageConfig, {"secret_file": "secret_file"}),
    "agenda": (AgendaConfig, {"vision": "vision", "goals": "goals"}),
    "indicators": (
        IndicatorsConfig,
        {k: k for k in ("attendance_threshold", "age_min", "age_max", "population_file")},
    ),
}
_TOP_LEVEL = (
    "initiative",
    "periods",
    "disclosure",
    "linkage",
    "partners",
    "agenda",
    "outcomes",
    "indicators",
    "population_indicators",
)
_OUTCOME_KEYS = ("code", "title", "description", "indicators")
_POPULATION_KEYS = (
    "id",
    "title",
    "description",
    "unit",
    "direction",
    "baseline",
    "target",
    "source",
)


def _check_keys(where: str, data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    allowed = list(allowed)
    for key in data:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(allowed)}."
            name = f"{where}.{key}" if where else key
            raise _fail(name, f"unknown key; {hint}")


def _table(key: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(key, f"must be a table ([{key}]), not {_kind(value)}.")
    return value


def _named(key: str, placeholder: str, make: Any) -> Any:
    """``make()``, with an error's ``placeholder`` key (``partners[]``) replaced by the
    item's place in the file (``partners[2]``)."""
    try:
        return make()
    except NeedleInputError as exc:
        raise NeedleInputError(str(exc).replace(placeholder, key, 1)) from None


def _array(data: Mapping[str, Any], name: str, example: str) -> list[Mapping[str, Any]] | None:
    """The tables of ``[[name]]``, or None when the file has none."""
    if name not in data:
        return None
    raw = data[name]
    if not isinstance(raw, list):
        raise _fail(name, f"must be a list of [[{name}]] tables, each {example}.")
    return [_table(f"{name}[{i}]", item) for i, item in enumerate(raw)]


def _required(key: str, table: Mapping[str, Any], names: Iterable[str], what: str) -> None:
    for name in names:
        if name not in table:
            raise _fail(f"{key}.{name}", f"is missing; {what}.")


def _point(key: str, raw: Any) -> CurvePoint | None:
    if raw is None:
        return None
    name = key.rsplit(".", 1)[-1]
    if not isinstance(raw, Mapping):
        raise _fail(
            key,
            f'must be a table: {name} = {{ period = "2023", value = 4.5 }}, not {_kind(raw)}.',
        )
    _check_keys(key, raw, ("period", "value"))
    _required(key, raw, ("period", "value"), f"the {name} needs a period and a value")
    return _named(key, "point", lambda: CurvePoint(raw["period"], raw["value"]))


def parse_config(data: Mapping[str, Any]) -> InitiativeConfig:
    """An :class:`InitiativeConfig` from parsed TOML (a dict), checked key by key."""
    _check_keys("", data, _TOP_LEVEL)
    initiative = _table("initiative", data.get("initiative", {}))
    _check_keys("initiative", initiative, ("name", "area"))
    if "name" not in initiative:
        raise _fail(
            "initiative.name",
            'is missing; add name = "Your initiative" under [initiative].',
        )
    area = initiative.get("area", [])
    if not isinstance(area, list):
        if isinstance(area, str):
            raise _fail("initiative.area", f'must be a list of codes: area = ["{area}"].')
        raise _fail("initiative.area", f"must be a list of codes, not {_kind(area)}.")

    parts: dict[str, Any] = {}
    for name, (kind, keys) in _TABLES.items():
        table = _table(name, data.get(name, {}))
        _check_keys(name, table, keys)
        if name == "periods" and "first" not in table:
            raise _fail(
                "periods.first",
                'is missing; add first = "2024-Q4" (the first reporting period) under [periods].',
            )
        parts[name] = kind(**{keys[k]: v for k, v in table.items()})

    raw_partners = data.get("partners", [])
    if not isinstance(raw_partners, list):
        raise _fail("partners", "must be a list of [[partners]] tables, each a code and name.")
    partners = []
    for i, raw in enumerate(raw_partners):
        key = f"partners[{i}]"
        table = _table(key, raw)
        _check_keys(key, table, ("code", "name"))
        _required(key, table, ("code", "name"), "each partner needs a code and a name")
        partners.append(
            _named(key, "partners[]", lambda t=table: PartnerConfig(code=t["code"], name=t["name"]))
        )

    outcomes = _array(data, "outcomes", "a code, a title and a list of indicators")
    if outcomes is not None:
        parsed = []
        for i, table in enumerate(outcomes):
            key = f"outcomes[{i}]"
            _check_keys(key, table, _OUTCOME_KEYS)
            _required(key, table, ("code", "title"), "each outcome needs a code and a title")
            parsed.append(
                _named(key, "outcomes[]", lambda t=table: OutcomeConfig(**dict(t.items())))
            )
        outcomes = parsed

    population = []
    for i, table in enumerate(
        _array(data, "population_indicators", "an id, title, unit and direction") or []
    ):
        key = f"population_indicators[{i}]"
        _check_keys(key, table, _POPULATION_KEYS)
        _required(
            key,
            table,
            ("id", "title", "unit", "direction"),
            "each population indicator needs an id, a title, a unit and a direction",
        )
        points = {name: _point(f"{key}.{name}", table.get(name)) for name in ("baseline", "target")}
        fields = {k: v for k, v in table.items() if k not in points}
        population.append(
            _named(
                key,
                "population_indicators[]",
                lambda f=fields, p=points: PopulationIndicatorConfig(**f, **p),
            )
        )

    return InitiativeConfig(
        name=initiative["name"],
        area=tuple(area),
        periods=parts["periods"],
        disclosure=parts["disclosure"],
        linkage=parts["linkage"],
        partners=tuple(partners),
        agenda=parts["agenda"],
        outcomes=DEFAULT_OUTCOMES if outcomes is None else tuple(outcomes),
        indicators=parts["indicators"],
        population_indicators=tuple(population),
    )


def load_config(path: str | Path) -> InitiativeConfig:
    """Read and check ``needle.toml``; every problem names the file and the key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NeedleInputError(f"{path} not found.") from None
    except UnicodeDecodeError:
        raise NeedleInputError(f"{path} is not UTF-8 text; save it as UTF-8.") from None
    except OSError as exc:
        raise NeedleInputError(f"{path} cannot be read: {exc.strerror}.") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise NeedleInputError(
            f"{path} is not valid TOML: {exc}. Check quotes around text and [table] headers."
        ) from None
    try:
        return parse_config(data)
    except NeedleInputError as exc:
        raise NeedleInputError(f"{path}: {exc}") from None


# ---- writing -------------------------------------------------------------------------

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f"}
_ESCAPES["\r"] = "\\r"


def _toml_str(value: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_list(values: Iterable[str]) -> str:
    return "[" + ", ".join(_toml_str(v) for v in values) + "]"


def _toml_point(point: CurvePoint) -> str:
    return f"{{ period = {_toml_str(point.period)}, value = {point.value!r} }}"


def config_to_toml(config: InitiativeConfig) -> str:
    """``needle.toml`` for ``config``, with a comment on every key."""
    area = ", ".join(_toml_str(code) for code in config.area)
    d = config.disclosure
    ind = config.indicators
    lines = [
        "# Needle initiative configuration: docs/guides/initiative.md explains every key.",
        "# Needle checks this file whenever it opens the home; edit it freely.",
        "",
        "[initiative]",
        f"name = {_toml_str(config.name)}",
        "# ONS (GSS) codes of the local authorities the initiative covers, e.g. E08000009.",
        f"area = [{area}]",
        "",
        "# The common agenda (docs/guides/outcomes-framework.md).",
        "[agenda]",
        "# The shared vision: the condition of young people's lives the partners work towards.",
        f"vision = {_toml_str(config.agenda.vision)}",
        "# The goals the partners agreed, each in quotes.",
    ]
    if config.agenda.goals:
        lines += ["goals = [", *(f"    {_toml_str(g)}," for g in config.agenda.goals), "]"]
    else:
        lines.append("goals = []")
    lines += [
        "",
        "[periods]",
        "# How often partners submit: quarter, month or year.",
        f"frequency = {_toml_str(config.periods.frequency)}",
        "# The first reporting period: 2024-Q4 (quarter), 2024-10 (month) or 2024 (year).",
        f"first = {_toml_str(config.periods.first)}",
        "# Days after a period ends by which its data is due (late after that).",
        f"submission_due_days = {config.periods.submission_due_days}",
        "",
        "[disclosure]",
        "# The smallest count each audience may see; smaller counts are suppressed.",
        "# public: open data and the public dashboard.",
        f"public = {d.public}",
        "# steering_group: the steering group, working groups and funders.",
        f"steering_group = {d.steering_group}",
        "# partner: a partner's own feedback and peer benchmarks.",
        f"partner = {d.partner}",
        "# backbone: the backbone team, who hold the data (0: every number).",
        f"backbone = {d.backbone}",
        "# Round counts shown to the public to the nearest this many (0: no rounding).",
        f"public_rounding = {d.public_rounding}",
        "# The fewest partners, the partner itself included, that must contribute before a",
        "# peer benchmark is shown (3 or more).",
        f"min_peers = {d.min_peers}",
        "",
        "[indicators]",
        '# N of "% attending at least N sessions".',
        f"attendance_threshold = {ind.attendance_threshold}",
        "# The youngest and oldest age (inclusive) whose resident population is the",
        "# denominator of reach.",
        f"age_min = {ind.age_min}",
        f"age_max = {ind.age_max}",
        "# The population indicator series CSV, relative to this folder (read by",
        "# `needle population load`).",
        f"population_file = {_toml_str(ind.population_file)}",
        "",
        "[linkage]",
        "# The linkage secret file, relative to this folder. NEEDLE_LINKAGE_SECRET (the",
        "# secret itself) or NEEDLE_LINKAGE_SECRET_FILE (another path) override it.",
        f"secret_file = {_toml_str(config.linkage.secret_file)}",
        "",
        "# Partners registered in the pool's partner register when the home is created.",
        "# The register is the live list from then on (docs/decisions/0006-initiative-home.md).",
    ]
    if not config.partners:
        lines += ["# [[partners]]", '# code = "TYC"', '# name = "Trafford Youth Clubs"']
    for i, p in enumerate(config.partners):
        lines += [*([""] if i else []), "[[partners]]"]
        lines += [f"code = {_toml_str(p.code)}", f"name = {_toml_str(p.name)}"]
    lines += [
        "",
        "# The outcomes framework: each outcome, and the indicators that evidence it.",
        "# code: a short id in lower_snake_case; title: as shown on outputs; description",
        "# (optional): what the outcome means here; indicators: ids of performance measures",
        "# (docs/guides/outcomes-framework.md) or of [[population_indicators]] below.",
        "# Leave every [[outcomes]] out for the standard's five outcome areas.",
    ]
    for i, o in enumerate(config.outcomes):
        lines += [*([""] if i else []), "[[outcomes]]", f"code = {_toml_str(o.code)}"]
        lines.append(f"title = {_toml_str(o.title)}")
        if o.description:
            lines.append(f"description = {_toml_str(o.description)}")
        lines.append(f"indicators = {_toml_list(o.indicators)}")
    lines += [
        "",
        "# Population indicators: conditions of all young people in the area, from public",
        "# statistics (docs/guides/outcomes-framework.md). id: lower_snake_case; title;",
        "# description (optional); unit: percent, rate_per_1000, rate_per_100000, count or",
        "# number; direction: up (higher is better) or down; baseline and target (optional):",
        '# { period = "2023", value = 4.5 }, periods written as the series writes them',
        "# (2023, 2022/23 or 2024-Q1); source: who publishes the series.",
    ]
    if not config.population_indicators:
        lines += [
            "# [[population_indicators]]",
            '# id = "neet_16_17"',
            '# title = "16-17 year olds not in education, employment or training (NEET) or'
            ' not known"',
            '# unit = "percent"',
            '# direction = "down"',
            '# baseline = { period = "2023", value = 4.3 }',
            '# target = { period = "2028", value = 3.0 }',
            '# source = "DfE, NEET and participation: local authority figures"',
        ]
    for i, ind_ in enumerate(config.population_indicators):
        lines += [*([""] if i else []), "[[population_indicators]]"]
        lines += [f"id = {_toml_str(ind_.id)}", f"title = {_toml_str(ind_.title)}"]
        if ind_.description:
            lines.append(f"description = {_toml_str(ind_.description)}")
        lines += [f"unit = {_toml_str(ind_.unit)}", f"direction = {_toml_str(ind_.direction)}"]
        for name in ("baseline", "target"):
            point = getattr(ind_, name)
            if point is not None:
                lines.append(f"{name} = {_toml_point(point)}")
        if ind_.source:
            lines.append(f"source = {_toml_str(ind_.source)}")
    return "\n".join(lines) + "\n"


def write_config(config: InitiativeConfig, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write ``needle.toml``; refuses to replace an existing file unless ``overwrite``."""
    path = Path(path)
    mode = "w" if overwrite else "x"
    try:
        with path.open(mode, encoding="utf-8") as fh:
            fh.write(config_to_toml(config))
    except FileExistsError:
        raise NeedleInputError(f"{path} already exists; Needle will not replace it.") from None
    return path


# ---- helpers -------------------------------------------------------------------------


def period_containing(frequency: str, day: date) -> Period:
    """The reporting period of ``frequency`` that ``day`` falls in."""
    if frequency == "quarter":
        return parse_period(f"{day.year}-Q{(day.month - 1) // 3 + 1}")
    if frequency == "month":
        return parse_period(f"{day.year}-{day.month:02d}")
    if frequency == "year":
        return parse_period(str(day.year))
    raise _fail(
        "periods.frequency",
        f"{frequency!r} is not a reporting frequency. Use one of: {', '.join(FREQUENCIES)}.",
    )


# The demo's agenda and population indicators are ILLUSTRATIVE: written to show what the
# file can hold, not agreed by anyone in Trafford. The baselines and targets match the
# synthetic series needle/indicators/data/trafford_population_indicators.csv, which are
# not official statistics either.
_ILLUSTRATIVE = "Illustrative values for the Needle demo, not official statistics."

DEMO_AGENDA = AgendaConfig(
    vision=(
        "Every young person in Trafford has a trusted adult, a safe place to go and "
        "something positive to do, and grows up healthy, happy and ready for adult life."
    ),
    goals=(
        "More young people, especially from the most deprived neighbourhoods, take part "
        "regularly in positive activities.",
        "Young people's wellbeing and social and emotional capabilities improve.",
        "Fewer young people are not in education, employment or training.",
        "Fewer young people enter the youth justice system.",
    ),
)

DEMO_POPULATION_INDICATORS = (
    PopulationIndicatorConfig(
        id="neet_16_17",
        title=(
            "16-17 year olds not in education, employment or training (NEET) or whose "
            "activity is not known"
        ),
        description=(
            "Percentage of 16 and 17 year olds known to the local authority who are NEET or "
            f"whose activity is not known, December to February average. {_ILLUSTRATIVE}"
        ),
        unit="percent",
        direction="down",
        baseline=CurvePoint("2023", 4.3),
        target=CurvePoint("2028", 3.0),
        source="DfE, Participation in education, training and NEET age 16 to 17 by local "
        "authority (explore-education-statistics.service.gov.uk)",
    ),
    PopulationIndicatorConfig(
        id="school_absence",
        title="Overall absence rate in state-funded schools",
        description=(
            "Percentage of possible sessions missed through authorised or unauthorised "
            f"absence, by academic year. {_ILLUSTRATIVE}"
        ),
        unit="percent",
        direction="down",
        baseline=CurvePoint("2022/23", 6.8),
        target=CurvePoint("2027/28", 5.0),
        source="DfE, Pupil absence in schools in England "
        "(explore-education-statistics.service.gov.uk)",
    ),
    PopulationIndicatorConfig(
        id="first_time_entrants",
        title="First-time entrants to the youth justice system",
        description=(
            "Young people aged 10 to 17 receiving their first youth caution or conviction, "
            f"per 100,000 of the 10 to 17 population. {_ILLUSTRATIVE}"
        ),
        unit="rate_per_100000",
        direction="down",
        baseline=CurvePoint("2023", 145.0),
        target=CurvePoint("2028", 110.0),
        source="MoJ and YJB, Youth Justice Statistics (gov.uk)",
    ),
)


def _demo_outcomes() -> tuple[OutcomeConfig, ...]:
    """The standard's framework, with school absence as evidence of education too."""
    return tuple(
        OutcomeConfig(o.code, o.title, o.description, (*o.indicators, "school_absence"))
        if o.code == "education_employment_training"
        else o
        for o in DEFAULT_OUTCOMES
    )


def trafford_demo_config() -> InitiativeConfig:
    """The demo initiative: the partners of the synthetic Trafford data set (so its
    submissions match the register), quarterly from 2024-Q4, with an illustrative common
    agenda and population indicators (not agreed by anyone in Trafford)."""
    from needle.synth.partners import load_partners

    return InitiativeConfig(
        name="Trafford Youth Collective",
        area=(TRAFFORD,),
        periods=PeriodsConfig(first="2024-Q4", frequency="quarter"),
        partners=tuple(PartnerConfig(p.code, p.name) for p in load_partners()),
        agenda=DEMO_AGENDA,
        outcomes=_demo_outcomes(),
        population_indicators=DEMO_POPULATION_INDICATORS,
    )
