"""Population indicators: the conditions of all young people in the area, and turning their
curves.

Results-Based Accountability separates two kinds of measure. **Performance measures** are
about the partners' own work (how much did we do, how well, is anyone better off): the
registry's indicators, computed from partners' submissions. **Population indicators** are
about every young person in the area, whether or not any partner met them: the share of
16-17 year olds not in education, employment or training, the school absence rate, the
rate of first-time entrants to the youth justice system. No one partner can move them;
the initiative, with everyone else, tries to **turn the curve**: to do better than the
trend would have done if nothing changed.

Population indicators come from public statistics, not from partners. The backbone
downloads them and writes one CSV (columns ``indicator, area_code, period, value`` and
optionally ``numerator, denominator, source``)::

    indicator,area_code,period,value,numerator,denominator,source
    neet_16_17,E08000009,2023,4.3,264,6130,"DfE, NEET and participation"
    school_absence,E08000009,2022/23,6.8,,,"DfE, Pupil absence in schools"

Where the real series are published (England):

- NEET or not known, 16-17 year olds, by local authority: DfE, "Participation in
  education, training and NEET age 16 to 17 by local authority", on
  explore-education-statistics.service.gov.uk (yearly, December to February average).
- Overall absence rate: DfE, "Pupil absence in schools in England", also on
  explore-education-statistics (by academic year; its ``time_period`` 202223 is read as
  2022/23).
- First-time entrants to the youth justice system per 100,000 10-17 year olds: MoJ and
  YJB, "Youth Justice Statistics" (gov.uk), and the Youth Justice Board's local
  comparison data.

The series bundled with Needle (``data/trafford_population_indicators.csv``) is an
ILLUSTRATIVE SYNTHETIC series for the Trafford demo, **not official statistics**; its
``source`` column says so.

:func:`load_population_series` reads and checks such a CSV (every problem names the file,
row and column); :func:`save_population_series` and :func:`read_population_series` keep
it in the home as Parquet; :func:`turn_the_curve` lays out one indicator's curve (actual,
baseline, target path, forecast) and :func:`curve_summary` says how it is doing. See
docs/guides/outcomes-framework.md.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import os
import re
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import polars as pl

from needle.errors import NeedleInputError
from needle.initiative.config import (
    POPULATION_PERIOD_KINDS,
    InitiativeConfig,
    PopulationIndicatorConfig,
    PopulationPeriod,
    parse_population_period,
    population_period_label,
    unit_range,
)

__all__ = [
    "BUNDLED_TRAFFORD_SERIES",
    "CURVE_SCHEMA",
    "POPULATION_FILE",
    "SERIES_SCHEMA",
    "curve_summary",
    "format_value",
    "load_population_series",
    "population_series_path",
    "read_population_series",
    "save_population_series",
    "turn_the_curve",
]

BUNDLED_TRAFFORD_SERIES = Path(__file__).parent / "data" / "trafford_population_indicators.csv"
POPULATION_FILE = Path("indicators") / "population.parquet"  # in the home

SERIES_SCHEMA: dict[str, pl.DataType] = {
    "indicator": pl.String(),
    "area_code": pl.String(),
    "period": pl.String(),  # canonical: 2023, 2022/23, 2024-Q1
    "time": pl.Float64(),  # the period's start as a decimal year: sorts and fits trends
    "value": pl.Float64(),
    "numerator": pl.Float64(),
    "denominator": pl.Float64(),
    "source": pl.String(),
}
CURVE_SCHEMA: dict[str, pl.DataType] = {
    "indicator": pl.String(),
    "area_code": pl.String(),
    "period": pl.String(),
    "time": pl.Float64(),
    "actual": pl.Float64(),  # the published value, null where there is none
    "baseline": pl.Float64(),  # the agreed baseline value, on every row
    "target": pl.Float64(),  # the straight path from the baseline to the target
    "forecast": pl.Float64(),  # the linear trend: the curve if nothing changes
    "fitted": pl.Boolean(),  # whether this actual value was used to fit the forecast
}

_REQUIRED = ("indicator", "area_code", "period", "value")
_OPTIONAL = ("numerator", "denominator", "source")
_GSS_CODE = re.compile(r"^[EWSNK]\d{8}$")
_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
# What published tables put where a number is missing or suppressed (DfE: c, x, z, low,
# u; ONS and others: ':', '..', '-', '*').
_SYMBOLS = {"c", "x", "z", "u", "low", ":", "..", "-", "*", "[c]", "[x]", "[z]", "n/a", "na"}
_SCALE = {"percent": 100.0, "rate_per_1000": 1000.0, "rate_per_100000": 100000.0}
_EPSILON = 1e-9


# ---- reading a series -------------------------------------------------------------------


def _definitions(
    definitions: Mapping[str, PopulationIndicatorConfig]
    | Iterable[PopulationIndicatorConfig]
    | InitiativeConfig,
) -> dict[str, PopulationIndicatorConfig]:
    if isinstance(definitions, InitiativeConfig):
        definitions = definitions.population_indicators
    items = definitions.values() if isinstance(definitions, Mapping) else definitions
    found = {d.id: d for d in items}
    if not found:
        raise NeedleInputError(
            "No population indicators are defined: add a [[population_indicators]] table "
            "to needle.toml for each indicator the series holds (id, title, unit, "
            "direction; see docs/guides/outcomes-framework.md)."
        )
    return found


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NeedleInputError(f"{path} not found.") from None
    except IsADirectoryError:
        raise NeedleInputError(f"{path} is a folder; give the series CSV file.") from None
    except OSError as exc:
        raise NeedleInputError(f"{path} cannot be read: {exc.strerror}.") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NeedleInputError(
            f"{path} is not UTF-8 text; save it as 'CSV UTF-8 (comma delimited)'."
        ) from None


def _number(text: str, where: str, column: str, example: str) -> float:
    value = text.strip()
    if _THOUSANDS.match(value):
        value = value.replace(",", "")
    if value.lower() in _SYMBOLS:
        raise NeedleInputError(
            f"{where}, column {column}: {text.strip()!r} is a symbol for a missing or "
            "suppressed figure, not a number. Leave out the row of a period with no "
            "published figure."
        )
    try:
        number = float(value)
    except ValueError:
        raise NeedleInputError(
            f"{where}, column {column}: {text.strip()!r} is not a number. Write it with a "
            f"point for decimals and no units or % sign, e.g. {example}."
        ) from None
    if not math.isfinite(number):
        raise NeedleInputError(f"{where}, column {column}: {text.strip()!r} is not a number.")
    return number


def load_population_series(
    path: str | os.PathLike[str],
    definitions: Mapping[str, PopulationIndicatorConfig]
    | Iterable[PopulationIndicatorConfig]
    | InitiativeConfig,
) -> pl.DataFrame:
    """Read and check a population series CSV; one row per indicator, area and period.

    ``definitions`` are the initiative's population indicators (``[[population_indicators]]``
    of ``needle.toml``: a mapping by id, a list, or the whole configuration). Every problem
    is a :class:`NeedleInputError` naming the file, the row (the header is row 1) and the
    column, and saying how to fix it. Periods are made canonical (``2022-23`` becomes
    ``2022/23``); the frame has :data:`SERIES_SCHEMA` and is sorted by indicator, area and
    time.
    """
    path = Path(path)
    known = _definitions(definitions)
    text = _read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(reader, None)
        if header is None:
            raise NeedleInputError(
                f"{path} is empty: expected a CSV file whose header row is "
                f"{','.join(_REQUIRED)} (and optionally {','.join(_OPTIONAL)})."
            )
        header_row = reader.line_num
        columns = _check_header(path, header_row, header)
        rows = _read_rows(path, reader, columns, known)
    except csv.Error as exc:
        raise NeedleInputError(
            f"{path}, row {reader.line_num}: not valid CSV ({exc}). Check the quotes."
        ) from None
    if not rows:
        raise NeedleInputError(
            f"{path} has a header but no rows: add one row per indicator, area and period."
        )
    frame = pl.DataFrame(rows, schema=SERIES_SCHEMA, orient="row")
    return frame.sort("indicator", "area_code", "time")


def _check_header(path: Path, row: int, header: list[str]) -> dict[str, int]:
    allowed = (*_REQUIRED, *_OPTIONAL)
    columns: dict[str, int] = {}
    for i, cell in enumerate(header):
        name = cell.strip().lower()
        if not name:
            raise NeedleInputError(
                f"{path}, row {row}, column {i + 1}: the header has an empty column name; "
                f"name it ({', '.join(allowed)}) or delete the column."
            )
        if name not in allowed:
            close = difflib.get_close_matches(name, allowed, n=1)
            hint = (
                f"did you mean {close[0]!r}?" if close else f"the columns are {', '.join(allowed)}."
            )
            raise NeedleInputError(
                f"{path}, row {row}, column {cell.strip()}: unknown column; {hint} "
                "Delete other columns."
            )
        if name in columns:
            raise NeedleInputError(
                f"{path}, row {row}, column {cell.strip()}: the header names {name} twice; "
                "keep one."
            )
        columns[name] = i
    missing = [c for c in _REQUIRED if c not in columns]
    if missing:
        raise NeedleInputError(
            f"{path}, row {row}: missing column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}. The header must have {', '.join(_REQUIRED)}, and may "
            f"have {', '.join(_OPTIONAL)}."
        )
    return columns


def _read_rows(
    path: Path,
    reader: Any,
    columns: dict[str, int],
    known: dict[str, PopulationIndicatorConfig],
) -> list[tuple]:
    rows: list[tuple] = []
    seen: dict[tuple[str, str, str], int] = {}
    kinds: dict[str, tuple[str, int, str]] = {}  # indicator -> (kind, row, label)
    for record in reader:
        row = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        where = f"{path}, row {row}"
        if len(record) != len(columns):
            raise NeedleInputError(
                f"{where}: has {len(record)} values but the header has {len(columns)} "
                "columns. Check for a missing value or an unquoted comma (put text with "
                'commas in double quotes: "DfE, 2024").'
            )
        cell = {name: record[i] for name, i in columns.items()}
        indicator = cell["indicator"].strip()
        if indicator not in known:
            close = difflib.get_close_matches(indicator, list(known), n=1)
            hint = f"Did you mean {close[0]!r}? " if close else ""
            raise NeedleInputError(
                f"{where}, column indicator: {indicator!r} is not a population indicator of "
                f"this initiative. {hint}Known: {', '.join(known)}. Correct the id, or add "
                "a [[population_indicators]] table for it to needle.toml."
            )
        definition = known[indicator]
        area = cell["area_code"].strip()
        if not _GSS_CODE.match(area):
            raise NeedleInputError(
                f"{where}, column area_code: {area!r} is not a GSS area code. Use the "
                "nine-character ONS code, e.g. E08000009 for Trafford or E92000001 for "
                "England."
            )
        try:
            period = parse_population_period(cell["period"])
        except NeedleInputError as exc:
            raise NeedleInputError(f"{where}, column period: {exc}") from None
        _check_kind(where, definition, period, kinds, row)
        key = (indicator, area, period.label)
        if key in seen:
            raise NeedleInputError(
                f"{where}, column period: {indicator} for {area} in {period.label} is "
                f"already in row {seen[key]}; keep one row per indicator, area and period."
            )
        seen[key] = row
        value = _number(cell["value"], where, "value", "4.3")
        least, most = unit_range(definition.unit)
        if not least <= value <= most:
            raise NeedleInputError(
                f"{where}, column value: {value:g} is not a possible {definition.unit} value "
                f"for {indicator}: give one from {least:g} to {most:g}"
                + (" (a percentage, not a proportion)." if definition.unit == "percent" else ".")
            )
        numerator, denominator = (
            _number(cell[c], where, c, "264") if c in cell and cell[c].strip() else None
            for c in ("numerator", "denominator")
        )
        _check_ratio(where, definition, value, numerator, denominator)
        source = (cell["source"].strip() or None) if "source" in cell else None
        rows.append(
            (indicator, area, period.label, period.time, value, numerator, denominator, source)
        )
    return rows


def _check_kind(
    where: str,
    definition: PopulationIndicatorConfig,
    period: PopulationPeriod,
    kinds: dict[str, tuple[str, int, str]],
    row: int,
) -> None:
    """One kind of period per indicator, and the kind of its baseline in needle.toml."""
    said = POPULATION_PERIOD_KINDS
    if definition.baseline is not None and period.kind != definition.period_kind:
        raise NeedleInputError(
            f"{where}, column period: {period.label} is {said[period.kind]} but the "
            f"baseline of {definition.id} in needle.toml, {definition.baseline.period}, is "
            f"{said[definition.period_kind]}; write the periods of an indicator the same way "
            "as its baseline and target."
        )
    first = kinds.setdefault(definition.id, (period.kind, row, period.label))
    if first[0] != period.kind:
        raise NeedleInputError(
            f"{where}, column period: {period.label} is {said[period.kind]} but row "
            f"{first[1]} gives {definition.id} for {first[2]}, {said[first[0]]}; write "
            "every period of an indicator the same way."
        )


def _check_ratio(
    where: str,
    definition: PopulationIndicatorConfig,
    value: float,
    numerator: float | None,
    denominator: float | None,
) -> None:
    if numerator is not None and numerator < 0:
        raise NeedleInputError(f"{where}, column numerator: {numerator:g} is negative.")
    if denominator is not None and denominator <= 0:
        raise NeedleInputError(
            f"{where}, column denominator: {denominator:g} is not a population; give the "
            "number of young people the rate is out of, or leave it empty."
        )
    if numerator is None or denominator is None or definition.unit not in _SCALE:
        return
    if definition.unit == "percent" and numerator > denominator:
        raise NeedleInputError(
            f"{where}, column numerator: {numerator:g} is more than the denominator "
            f"{denominator:g}; are the two columns the wrong way round?"
        )
    expected = numerator / denominator * _SCALE[definition.unit]
    if abs(expected - value) > max(0.1, 0.05 * abs(value)):
        raise NeedleInputError(
            f"{where}, column value: {value:g} does not match numerator / denominator "
            f"({numerator:g} / {denominator:g} = {expected:.3g} as a {definition.unit}). "
            "Check the three columns, or leave numerator and denominator empty."
        )


# ---- keeping it in the home ---------------------------------------------------------------


def _root(home: Any) -> Path:
    """The folder of ``home``: a path, or a :class:`needle.initiative.Home`."""
    if isinstance(home, str | os.PathLike):
        return Path(home)
    return Path(home.root)


def population_series_path(home: Any) -> Path:
    """Where the series is kept: HOME/indicators/population.parquet (``home`` is a
    folder or a :class:`needle.initiative.Home`)."""
    return _root(home) / POPULATION_FILE


def _conform(frame: pl.DataFrame) -> pl.DataFrame:
    missing = [c for c in (*_REQUIRED, "time") if c not in frame.columns]
    if missing:
        raise ValueError(f"a population series needs the columns {', '.join(missing)}")
    return frame.select(
        (pl.col(c) if c in frame.columns else pl.lit(None)).cast(t).alias(c)
        for c, t in SERIES_SCHEMA.items()
    )


def save_population_series(home: Any, frame: pl.DataFrame) -> Path:
    """Write ``frame`` (from :func:`load_population_series`) to
    HOME/indicators/population.parquet, replacing the series there. The file is written
    beside the old one and renamed over it, so a reader sees the old series or the new
    one, never half of one."""
    root = _root(home)
    if not root.is_dir():
        raise NeedleInputError(f"{root} is not a folder; give the initiative's home.")
    frame = _conform(frame)
    target = population_series_path(root)
    target.parent.mkdir(exist_ok=True)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        frame.write_parquet(temporary)
        with temporary.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    if os.name == "posix":
        descriptor = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    return target


def read_population_series(home: Any) -> pl.DataFrame:
    """The series kept in the home by :func:`save_population_series`."""
    path = population_series_path(home)
    if not path.is_file():
        raise NeedleInputError(
            f"No population series in {_root(home)} yet: load one with `needle population "
            "load FILE` (docs/guides/outcomes-framework.md)."
        )
    try:
        frame = pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise NeedleInputError(
            f"{path} cannot be read ({type(exc).__name__}); load the series again with "
            "`needle population load FILE`."
        ) from None
    return _conform(frame)


# ---- turning the curve --------------------------------------------------------------------


def _fit(points: list[tuple[float, float]]) -> tuple[float, float, float] | None:
    """The ordinary least squares line through (time, value) points, as (mean time, mean
    value, slope): the line is mean value + slope * (time - mean time), which keeps the
    arithmetic exact-ish with times near 2025. None with fewer than two distinct times."""
    if len({t for t, _ in points}) < 2:
        return None
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    sxx = sum((t - mean_t) ** 2 for t, _ in points)
    sxy = sum((t - mean_t) * (v - mean_v) for t, v in points)
    return mean_t, mean_v, sxy / sxx


def turn_the_curve(
    series: pl.DataFrame,
    definition: PopulationIndicatorConfig,
    area_code: str | None = None,
    *,
    history: str = "baseline",
) -> pl.DataFrame:
    """One indicator's curve in one area, one row per period (:data:`CURVE_SCHEMA`).

    Rows run from the first published period (or the baseline, if earlier) to the last
    published period or the target period, whichever is later, every period in between
    included (``actual`` is null where nothing is published). Columns:

    - ``actual``: the published value;
    - ``baseline``: the agreed baseline value of ``needle.toml``, on every row;
    - ``target``: the straight path from the baseline (at its period) to the target (at
      its period), null outside them;
    - ``forecast``: the curve if nothing changes, an ordinary least squares straight line
      through the published values against ``time``, on every row. With
      ``history="baseline"`` (the default) it is fitted on the values up to and including
      the baseline period, the trend the initiative set out to turn; when there are fewer
      than two of them, or ``history="all"``, on every published value. ``fitted`` says
      which values were used. Forecasts are kept within what the unit allows (a
      percentage between 0 and 100, a rate or count not below 0).

    ``area_code`` chooses the area when the series has several for this indicator.
    """
    if history not in ("baseline", "all"):
        raise ValueError("history is 'baseline' or 'all'")
    rows = series.filter(pl.col("indicator") == definition.id)
    if rows.is_empty():
        raise NeedleInputError(
            f"No series for {definition.id}: add its rows to the population CSV and load it "
            "with `needle population load FILE`."
        )
    areas = sorted(set(rows["area_code"].to_list()))
    if area_code is None:
        if len(areas) > 1:
            raise NeedleInputError(
                f"The series of {definition.id} covers {len(areas)} areas "
                f"({', '.join(areas)}); say which one (area_code, or --area)."
            )
        area_code = areas[0]
    elif area_code not in areas:
        raise NeedleInputError(
            f"No series of {definition.id} for area {area_code}; it has {', '.join(areas)}."
        )
    rows = rows.filter(pl.col("area_code") == area_code)
    actual: dict[int, tuple[PopulationPeriod, float]] = {}
    for label, value in rows.select("period", "value").iter_rows():
        period = parse_population_period(label)
        actual[period.ordinal] = (period, value)
    kinds = {p.kind for p, _ in actual.values()}
    if len(kinds) > 1 or (definition.baseline and definition.period_kind not in kinds):
        raise NeedleInputError(
            f"The periods of {definition.id} are not all of one kind "
            f"({', '.join(sorted(kinds))}) or not the kind of its baseline in needle.toml; "
            "load the series again."
        )
    kind = kinds.pop()
    base = definition.baseline.population_period if definition.baseline else None
    aim = definition.target.population_period if definition.target else None
    ordinals = [*actual, *(p.ordinal for p in (base, aim) if p is not None)]
    first, last = min(ordinals), max(ordinals)

    points = [(p.time, v) for p, v in actual.values()]
    used = set(actual)
    if history == "baseline" and base is not None:
        before = {o for o in actual if o <= base.ordinal}
        if len(before) >= 2:
            used = before
            points = [(actual[o][0].time, actual[o][1]) for o in sorted(before)]
    line = _fit(points)
    least, most = unit_range(definition.unit)

    out = []
    for ordinal in range(first, last + 1):
        period = parse_population_period(population_period_label(kind, ordinal))
        value = actual[ordinal][1] if ordinal in actual else None
        path = None
        if base is not None and aim is not None and base.ordinal <= ordinal <= aim.ordinal:
            share = (period.time - base.time) / (aim.time - base.time)
            path = definition.baseline.value + share * (
                definition.target.value - definition.baseline.value
            )
        forecast = None
        if line is not None:
            mean_t, mean_v, slope = line
            forecast = min(max(mean_v + slope * (period.time - mean_t), least), most)
        out.append(
            (
                definition.id,
                area_code,
                period.label,
                period.time,
                value,
                definition.baseline.value if definition.baseline else None,
                path,
                forecast,
                ordinal in used,
            )
        )
    return pl.DataFrame(out, schema=CURVE_SCHEMA, orient="row")


def _compare(value: float, reference: float, direction: str) -> int:
    """1 when ``value`` is better than ``reference``, -1 when worse, 0 when the same."""
    if abs(value - reference) <= _EPSILON * max(1.0, abs(reference)):
        return 0
    better = value > reference if direction == "up" else value < reference
    return 1 if better else -1


def curve_summary(curve: pl.DataFrame, definition: PopulationIndicatorConfig) -> dict:
    """How one curve (from :func:`turn_the_curve`) is doing, which way is good taken from
    ``definition.direction``.

    Keys: ``indicator``, ``title``, ``area_code``, ``unit``, ``direction``;
    ``latest_period`` and ``latest_value`` (the last published value);
    ``baseline_period``, ``baseline_value``, ``change_since_baseline`` (latest minus
    baseline) and ``better_than_baseline``; ``target_period``, ``target_value``,
    ``target_at_latest`` (the target path at the latest period, or the target itself once
    that period is past) and ``on_track`` (the latest value is at least as good as that);
    ``forecast_at_latest`` and ``better_than_forecast``; ``status``: ``on_track``,
    ``off_track``, ``no_target`` (no target, or the latest value is before the baseline)
    or ``no_data``; ``summary``: the same in words. A comparison that cannot be made is
    None.
    """
    d = definition
    summary: dict[str, Any] = {
        "indicator": d.id,
        "title": d.title,
        "area_code": curve["area_code"][0] if curve.height else None,
        "unit": d.unit,
        "direction": d.direction,
        "latest_period": None,
        "latest_value": None,
        "baseline_period": d.baseline.period if d.baseline else None,
        "baseline_value": d.baseline.value if d.baseline else None,
        "change_since_baseline": None,
        "better_than_baseline": None,
        "target_period": d.target.period if d.target else None,
        "target_value": d.target.value if d.target else None,
        "target_at_latest": None,
        "on_track": None,
        "forecast_at_latest": None,
        "better_than_forecast": None,
        "status": "no_data",
        "summary": "no data",
    }
    published = curve.filter(pl.col("actual").is_not_null())
    if published.is_empty():
        return summary
    latest = published.row(published.height - 1, named=True)
    value = latest["actual"]
    summary.update(latest_period=latest["period"], latest_value=value)
    words = []
    if d.baseline is not None:
        change = value - d.baseline.value
        compared = _compare(value, d.baseline.value, d.direction)
        summary.update(change_since_baseline=change, better_than_baseline=compared > 0)
        words.append(
            {1: "better than", 0: "the same as", -1: "worse than"}[compared] + " the baseline"
        )
    if d.target is not None and latest["time"] >= d.baseline.population_period.time:
        aim = latest["target"] if latest["target"] is not None else d.target.value
        on_track = _compare(value, aim, d.direction) >= 0
        summary.update(target_at_latest=aim, on_track=on_track)
        words.append("on track for the target" if on_track else "not on track for the target")
    if latest["forecast"] is not None:
        better = _compare(value, latest["forecast"], d.direction) > 0
        summary.update(forecast_at_latest=latest["forecast"], better_than_forecast=better)
        words.append("better than the forecast" if better else "not better than the forecast")
    if summary["on_track"] is None:
        summary["status"] = "no_target"
        words.append("no target to compare with")
    else:
        summary["status"] = "on_track" if summary["on_track"] else "off_track"
    summary["summary"] = "; ".join(words)
    return summary


def format_value(value: float | None, unit: str, digits: int = 1) -> str:
    """``value`` as shown to people: ``4.3%``, ``145.0 per 100,000``, ``1,204`` (counts
    are whole; ``digits`` decimals otherwise, 2 for a plain number by default)."""
    if value is None:
        return "-"
    if unit == "percent":
        return f"{value:.{digits}f}%"
    if unit == "rate_per_1000":
        return f"{value:,.{digits}f} per 1,000"
    if unit == "rate_per_100000":
        return f"{value:,.{digits}f} per 100,000"
    if unit == "count":
        return f"{value:,.0f}"
    return f"{value:,.{max(digits, 2)}f}"
