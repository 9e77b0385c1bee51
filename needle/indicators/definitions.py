"""Indicator definitions: declarative, versioned, one registry for built-ins and an
initiative's own.

An indicator is data (YAML): a title, a description, a *kind* (the shape of calculation:
count young people, add up events, a share, a rate against the resident population, a
paired change on a questionnaire scale...), the *source* facts it reads, SQL expressions
for its value and filters, a unit, which direction is good, the breakdowns it allows and
the audiences that may see it. The kinds are a small fixed set implemented once by the
engine (:mod:`needle.indicators.engine`) as engine-neutral SQL, so a new indicator is a
few lines of YAML, never code, and the same definitions can run on another SQL engine.

Built-ins live in ``needle/indicators/builtin.yaml``; an initiative adds its own in
``HOME/indicators/*.yaml`` with the same keys. Expressions are checked when loaded: they
must parse and may only name columns of their source.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import sqlglot
import yaml
from sqlglot import exp

from needle.errors import NeedleInputError
from needle.indicators.schema import AUDIENCES, DIMENSIONS

KINDS = (
    "people",
    "cumulative_people",
    "events",
    "share",
    "ratio_events",
    "population_rate",
    "representation",
    "composition",
    "retention",
    "paired_change",
    "median",
)
STATS = (
    "mean_change",
    "effect_size_dz",
    "effect_size_d",
    "reliable_improvement",
    "reliable_deterioration",
    "left_low",
)
UNITS = ("people", "count", "hours", "percent", "ratio", "score", "effect_size", "days")
DIRECTIONS = ("up", "down", "none")
THEMES = ("reach", "engagement", "outcomes", "referrals")

_PERSON_DIMS = tuple(name for name, d in DIMENSIONS.items() if d.person)
# The columns of each source the engine builds (needle.indicators.engine), which filters
# and value expressions may use, and the breakdowns each supports.
SOURCE_COLUMNS: dict[str, tuple[str, ...]] = {
    "person_period": (
        "period", "person_id", "age", "lsoa21", "resident", "education_employment_status",
        "attendances", "contact_minutes", "partners", *_PERSON_DIMS,
    ),
    "participation": (
        "period", "person_id", "org", "provision_category", "attendances",
        "contact_minutes", "age", "resident", *_PERSON_DIMS,
    ),
    "sessions": (
        "period", "org", "provision_category", "ward", "local_authority", "duration_minutes",
        "anonymous_attendance", "session_date",
    ),
    "referrals": (
        "period", "person_id", "org", "direction", "partner_org", "status", "days_to_status",
        "age", *_PERSON_DIMS,
    ),
    "milestones": (
        "period", "person_id", "org", "milestone", "evidence", "age", *_PERSON_DIMS,
    ),
    "scores": (
        "period", "person_id", "org", "instrument", "scale", "score", "band", "timepoint",
        "age", *_PERSON_DIMS,
    ),
}  # fmt: skip
SOURCE_BREAKDOWNS: dict[str, tuple[str, ...]] = {
    "person_period": ("period", "partner", "provision_category", *_PERSON_DIMS),
    "participation": ("period", "partner", "provision_category", *_PERSON_DIMS),
    "sessions": ("period", "partner", "provision_category", "ward", "local_authority"),
    "referrals": ("period", "partner", *_PERSON_DIMS),
    "milestones": ("period", "partner", *_PERSON_DIMS),
    "scores": ("period", "partner", *_PERSON_DIMS),
}
# Breakdowns with a resident population denominator (Census 2021 by LSOA, age and sex).
POPULATION_BREAKDOWNS = (
    "period", "ward", "local_authority", "age_band", "gender", "imd_quintile", "imd_decile",
)  # fmt: skip
DEFAULT_SOURCE = {
    "people": "person_period",
    "cumulative_people": "person_period",
    "share": "person_period",
    "retention": "person_period",
    "paired_change": "scores",
}
_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)?$")
_KEYS = {
    "title", "description", "kind", "theme", "source", "value", "filter",
    "denominator_filter", "numerator", "follows", "scale", "stat", "unit", "direction",
    "breakdowns", "audiences", "note", "version",
}  # fmt: skip
_REQUIRED = ("title", "description", "kind", "unit", "direction")


@dataclass(frozen=True)
class IndicatorDefinition:
    """One indicator, as loaded and checked. See docs/guides/indicators.md for each key."""

    id: str
    title: str
    description: str
    kind: str
    unit: str
    direction: str
    theme: str = "reach"
    source: str = "person_period"
    value: str | None = None
    filter: str | None = None
    denominator_filter: str | None = None
    numerator: str | None = None
    follows: str | None = None
    scale: str | None = None
    stat: str | None = None
    breakdowns: tuple[str, ...] = ()
    audiences: tuple[str, ...] = AUDIENCES
    note: str = ""
    version: int = 1
    origin: str = "built-in"

    @property
    def measure(self) -> str:
        """How disclosure control treats the numbers (needle.indicators.disclosure)."""
        if self.kind in ("people",):
            return "people"
        if self.kind == "cumulative_people":
            return "cumulative_people"
        if self.kind == "events":
            return "events"
        if self.kind in ("paired_change", "median"):
            return "statistic"
        return "rate"


@dataclass
class Registry:
    """Every indicator an initiative computes, by id, in definition order."""

    indicators: dict[str, IndicatorDefinition] = field(default_factory=dict)

    def __iter__(self):
        return iter(self.indicators.values())

    def __len__(self) -> int:
        return len(self.indicators)

    def __contains__(self, key: str) -> bool:
        return key in self.indicators

    def get(self, indicator_id: str) -> IndicatorDefinition:
        try:
            return self.indicators[indicator_id]
        except KeyError:
            close = difflib.get_close_matches(indicator_id, self.indicators, n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise NeedleInputError(
                f"There is no indicator {indicator_id!r}.{hint} "
                "`needle indicators list` shows them all."
            ) from None


def _fail(where: str, message: str) -> NeedleInputError:
    return NeedleInputError(f"{where}: {message}")


def _names(where: str, key: str, value: Any, allowed: tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(f"{where}.{key}", "must be a list of names.")
    for v in value:
        if v not in allowed:
            close = difflib.get_close_matches(v, allowed, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else f" Use: {', '.join(allowed)}."
            raise _fail(f"{where}.{key}", f"{v!r} is not allowed here.{hint}")
    return tuple(value)


def _choice(where: str, key: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise _fail(f"{where}.{key}", f"{value!r} is not one of: {', '.join(allowed)}.")
    return value


def _fill(where: str, text: str, params: dict[str, Any]) -> str:
    try:
        return str(text).format(**params)
    except (KeyError, IndexError) as exc:
        raise _fail(
            where, f"uses the parameter {{{exc.args[0]}}}, which is not one of "
            f"{', '.join(sorted(params)) or 'none'}."
        ) from None  # fmt: skip


def check_expression(where: str, text: str, source: str, params: dict[str, Any]) -> str:
    """Parse an SQL expression (after filling ``{parameters}``) and check that it names
    only columns of ``source``. Returns the filled text."""
    if not isinstance(text, str) or not text.strip():
        raise _fail(where, 'must be an SQL expression in quotes, e.g. "attendances >= 4".')
    filled = _fill(where, text, params)
    try:
        tree = sqlglot.parse_one(filled, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        message = str(exc).splitlines()[0]
        raise _fail(where, f"is not a valid SQL expression ({message}).") from None
    if isinstance(tree, exp.Select | exp.Union) or tree.find(exp.Select):
        raise _fail(where, "must be an expression, not a query.")
    columns = SOURCE_COLUMNS[source]
    for column in tree.find_all(exp.Column):
        if column.name not in columns:
            close = difflib.get_close_matches(column.name, columns, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise _fail(
                where, f"names {column.name!r}, which the {source} source does not have.{hint} "
                f"Its columns: {', '.join(columns)}."
            )  # fmt: skip
    return filled


def parse_definition(
    indicator_id: str, data: Any, *, origin: str, params: dict[str, Any]
) -> IndicatorDefinition:
    """One definition from its YAML mapping, checked key by key."""
    where = f"{origin}: indicators.{indicator_id}"
    if not isinstance(indicator_id, str) or not _ID.match(indicator_id):
        raise _fail(
            where, "an indicator id is lower case letters, digits and underscores, e.g. reach."
        )
    if not isinstance(data, dict):
        raise _fail(where, "must be a mapping of keys (title, description, kind, ...).")
    for key in data:
        if key not in _KEYS:
            close = difflib.get_close_matches(str(key), sorted(_KEYS), n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(_KEYS))}."
            raise _fail(f"{where}.{key}", f"unknown key; {hint}")
    for key in _REQUIRED:
        if key not in data:
            raise _fail(f"{where}.{key}", "is missing.")
    kind = _choice(where, "kind", data["kind"], KINDS)
    source = data.get("source", DEFAULT_SOURCE.get(kind, "person_period"))
    source = _choice(where, "source", source, tuple(SOURCE_COLUMNS))
    expressions = {}
    for key in ("value", "filter", "denominator_filter"):
        if data.get(key) is not None:
            expressions[key] = check_expression(f"{where}.{key}", data[key], source, params)
    if kind in ("events", "median") and "value" not in expressions and kind == "median":
        raise _fail(f"{where}.value", "a median needs a value expression.")
    allowed = SOURCE_BREAKDOWNS[source]
    if kind in ("population_rate", "representation"):
        allowed = tuple(b for b in allowed if b in POPULATION_BREAKDOWNS)
    breakdowns = _names(where, "breakdowns", data.get("breakdowns", list(allowed)), allowed)
    if kind in ("cumulative_people", "retention"):
        breakdowns = tuple(b for b in breakdowns if b != "provision_category")
    if kind in ("paired_change",):
        stat = _choice(where, "stat", data.get("stat"), STATS)
        scale = data.get("scale")
        if not isinstance(scale, str) or not (
            scale == "*" or re.match(r"^[a-z][a-z0-9_]*$", scale)
        ):
            raise _fail(f"{where}.scale", "names the questionnaire scale, e.g. swemwbs (or *).")
    else:
        stat = None
    if kind in ("population_rate", "representation", "composition") and not data.get("numerator"):
        raise _fail(f"{where}.numerator", f"a {kind} names the people indicator it divides.")
    audiences = _names(where, "audiences", data.get("audiences", list(AUDIENCES)), AUDIENCES)
    if "backbone" not in audiences:
        audiences = ("backbone", *audiences)
    for key in ("title", "description"):
        if not isinstance(data[key], str) or not data[key].strip():
            raise _fail(f"{where}.{key}", "must be non-empty text.")
    return IndicatorDefinition(
        id=indicator_id,
        title=_fill(f"{where}.title", data["title"], params).strip(),
        description=" ".join(_fill(f"{where}.description", data["description"], params).split()),
        kind=kind,
        unit=_choice(where, "unit", data["unit"], UNITS),
        direction=_choice(where, "direction", data["direction"], DIRECTIONS),
        theme=_choice(where, "theme", data.get("theme", "reach"), THEMES),
        source=source,
        value=expressions.get("value"),
        filter=expressions.get("filter"),
        denominator_filter=expressions.get("denominator_filter"),
        numerator=data.get("numerator"),
        follows=data.get("follows"),
        scale=data.get("scale"),
        stat=stat,
        breakdowns=breakdowns,
        audiences=audiences,
        note=str(data.get("note", "")).strip(),
        version=int(data.get("version", 1)),
        origin=origin,
    )


def _read_yaml(path: Path | str, text: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise NeedleInputError(f"{path}: not valid YAML{where}. Check the indentation.") from None
    if not isinstance(data, dict) or not isinstance(data.get("indicators", {}), dict):
        raise NeedleInputError(f"{path}: expected a mapping with an `indicators:` section.")
    return data


def load_registry(
    *,
    params: dict[str, Any] | None = None,
    extra_dirs: list[Path] | None = None,
) -> Registry:
    """The built-in indicators, then every ``*.yaml`` of ``extra_dirs`` (an initiative's
    own: they may add indicators or replace a built-in by using its id)."""
    params = dict(DEFAULT_PARAMS | (params or {}))
    registry = Registry()
    builtin = resources.files("needle.indicators").joinpath("builtin.yaml").read_text("utf-8")
    sources: list[tuple[str, str]] = [("builtin.yaml", builtin)]
    for folder in extra_dirs or []:
        for path in sorted(Path(folder).glob("*.yaml")):
            sources.append((str(path), path.read_text(encoding="utf-8")))
    for origin, text in sources:
        data = _read_yaml(origin, text)
        for indicator_id, body in data.get("indicators", {}).items():
            registry.indicators[indicator_id] = parse_definition(
                indicator_id, body, origin=origin, params=params
            )
    _check_references(registry)
    return registry


def _check_references(registry: Registry) -> None:
    for d in registry:
        for key in ("numerator", "follows"):
            ref = getattr(d, key)
            if ref is not None and ref not in registry:
                raise _fail(
                    f"{d.origin}: indicators.{d.id}.{key}",
                    f"names {ref!r}, which is not an indicator.",
                )
        if d.numerator is not None and registry.get(d.numerator).kind != "people":
            raise _fail(
                f"{d.origin}: indicators.{d.id}.numerator",
                f"{d.numerator!r} must be a people indicator (kind: people).",
            )


DEFAULT_PARAMS: dict[str, Any] = {"attendance_threshold": 4, "age_min": 11, "age_max": 25}


def with_titles(frame, registry: Registry):
    """Results with each indicator's title and unit beside its id, for spreadsheets."""
    import polars as pl

    meta = pl.DataFrame(
        {
            "indicator": [d.id for d in registry],
            "title": [d.title for d in registry],
            "unit": [d.unit for d in registry],
        }
    )
    return frame.join(meta, on="indicator", how="left").select(
        "indicator", "title", "unit", *[c for c in frame.columns if c != "indicator"]
    )
