"""Outcome instruments as registered definitions, and the SQL that scores them.

An instrument (ONS4, WEMWBS, SWEMWBS, or an initiative's own questionnaire) is data: how
many items, the response range, which items are reverse-scored, and its scales, each with
a scoring method, a missing-item rule, an optional conversion table, bands and a reliable
change threshold. The built-ins live in ``instruments.yaml`` beside this module; an
initiative adds its own in ``HOME/instruments/*.yaml`` (:func:`home_instruments`), in the
same shape. Keeping them as data means a new questionnaire needs configuration and
review, not code.

Scoring is one SQL ``SELECT`` generated with sqlglot, so that it runs on DuckDB today and
transpiles to Spark (or PostgreSQL) when a pool outgrows one machine, and so that scores
never need to be pulled into Python. It turns each measurement row into one row per
(measurement, scale). Measurements of an instrument Needle does not know are not scored.
Needle ships no item wording: scoring needs only item numbers.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import sqlglot
import yaml
from sqlglot import exp

from needle.errors import NeedleInputError
from needle.indicators.stats import DIRECTIONS, reliable_change_index

BUILTIN_PATH = Path(__file__).with_name("instruments.yaml")

#: The measurements entity has q1..q14, so no instrument can have more items.
MAX_ITEMS = 14

#: Columns carried from a measurement row to each of its score rows, in output order
#: (``scale`` goes after ``instrument``, ``score`` and ``band`` at the end).
_CARRIED = ("submission_id", "org", "period", "person_ref", "instrument")
_CARRIED_AFTER = ("administered_on", "timepoint")
OUTPUT_COLUMNS = (*_CARRIED, "scale", *_CARRIED_AFTER, "score", "band")

METHODS = ("sum", "mean", "item")
MISSING_METHODS = ("none", "prorate")

_INSTRUMENT_KEYS = {
    "id",
    "title",
    "owner",
    "licence",
    "items",
    "response",
    "reverse_scored",
    "scales",
    "replaces_builtin",
}
_INSTRUMENT_REQUIRED = ("id", "title", "items", "response", "scales")
_SCALE_KEYS = {
    "id",
    "title",
    "items",
    "method",
    "conversion",
    "missing",
    "range",
    "direction",
    "bands",
    "low_band",
    "reliable_change",
}
_SCALE_REQUIRED = ("id", "title", "items", "method", "range", "direction", "reliable_change")
_BAND_KEYS = {"code", "label", "min", "max"}
_MISSING_KEYS = {"max_missing", "method"}
_RESPONSE_KEYS = {"min", "max"}
_RCI_KEYS = {"value", "sd", "reliability", "source"}
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Band:
    """A named score range, inclusive at both ends (``low``: 14 to 42)."""

    code: str
    label: str
    min: float
    max: float

    def contains(self, score: float) -> bool:
        return self.min <= score <= self.max


@dataclass(frozen=True)
class Scale:
    """One score computed from some of an instrument's items.

    ``rci`` is the reliable change threshold in score points, whichever form the
    definition gave it in; ``rci_source`` says where it comes from (or that it is an
    assumption). ``conversion`` maps a raw item sum to the published score.
    """

    id: str
    instrument: str
    title: str
    items: tuple[int, ...]
    method: str
    max_missing: int
    missing_method: str
    range: tuple[float, float]
    direction: str
    bands: tuple[Band, ...]
    low_bands: tuple[str, ...]
    rci: float
    rci_source: str
    conversion: tuple[tuple[int, float], ...] | None = None

    def band_of(self, score: float | None) -> str | None:
        """The code of the band ``score`` falls in (None for a missing score)."""
        if score is None or (isinstance(score, float) and math.isnan(score)):
            return None
        for band in self.bands:
            if band.contains(score):
                return band.code
        return None

    def low_range(self) -> tuple[float, float] | None:
        """The inclusive score range of the low / concern bands, for threshold crossing."""
        chosen = [b for b in self.bands if b.code in self.low_bands]
        if not chosen:
            return None
        return min(b.min for b in chosen), max(b.max for b in chosen)


@dataclass(frozen=True)
class Instrument:
    """A questionnaire: its items' response range and the scales scored from them."""

    id: str
    title: str
    owner: str | None
    licence: str | None
    items: int
    response_min: int
    response_max: int
    reverse_scored: tuple[int, ...]
    scales: tuple[Scale, ...]


# --------------------------------------------------------------------------- loading


def load_instruments(extra: list[dict[str, Any]] | None = None) -> dict[str, Instrument]:
    """The built-in instruments plus an initiative's own, validated, by id.

    An extra instrument may not reuse a built-in id unless it says
    ``replaces_builtin: true``: replacing is how an initiative changes cut points, and it
    should never happen by accident. Scale ids must be unique across all instruments,
    because the results table names scales without their instrument.
    """
    with BUILTIN_PATH.open(encoding="utf-8") as f:
        builtin_raw = yaml.safe_load(f)["instruments"]
    instruments: dict[str, Instrument] = {}
    for raw in builtin_raw:
        instrument = parse_instrument(raw)
        instruments[instrument.id] = instrument
    builtin_ids = set(instruments)
    seen_extra: set[str] = set()
    for raw in extra or []:
        instrument = parse_instrument(raw)
        if instrument.id in seen_extra:
            raise NeedleInputError(f"instrument {instrument.id}: defined twice.")
        seen_extra.add(instrument.id)
        if instrument.id in builtin_ids and not raw.get("replaces_builtin"):
            raise NeedleInputError(
                f"instrument {instrument.id}: is built in. To change it, give its whole "
                "definition with replaces_builtin: true, or choose another id."
            )
        instruments[instrument.id] = instrument
    owners: dict[str, str] = {}
    for instrument in instruments.values():
        for scale in instrument.scales:
            if scale.id in owners:
                raise NeedleInputError(
                    f"instrument {instrument.id}: scale id {scale.id} is already used by "
                    f"instrument {owners[scale.id]}."
                )
            owners[scale.id] = instrument.id
    return instruments


#: Where an initiative keeps its own instruments: ``HOME/instruments/*.yaml``.
HOME_FOLDER = "instruments"
_HOME_FILE_KEYS = {"instruments"}


def home_instruments(root: Path) -> dict[str, Instrument]:
    """The built-in instruments plus those of the initiative home at ``root``, by id.

    Each ``root/instruments/*.yaml`` holds ``instruments: {id: definition}``, a definition
    having the keys of ``instruments.yaml`` (``id`` may be left out: it is the key). Files
    are read in name order; a home without the folder has only the built-ins. A mistake is
    a :class:`NeedleInputError` naming the file and the key.

    A replacement of a built-in (``replaces_builtin: true``) may change how it is scored
    but must keep its item count and response range: partners' files are validated
    against the standard, which every initiative shares.
    """
    builtins = load_instruments()
    folder = Path(root) / HOME_FOLDER
    paths = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    extra: list[dict[str, Any]] = []
    defined_in: dict[str, Path] = {}
    for path in paths:
        for key, raw in _home_file(path).items():
            where = f"{path}: instruments.{key}"
            if key in defined_in:
                raise NeedleInputError(f"{where}: already defined in {defined_in[key]}.")
            if not isinstance(raw, Mapping):
                raise NeedleInputError(
                    f"{where}: must be a mapping of the instrument's keys (title, items, "
                    "response, scales, ...)."
                )
            if raw.get("id", key) != key:
                raise NeedleInputError(f"{where}: has id {raw['id']!r}; leave id out or use {key}.")
            body = {"id": key, **raw}
            try:
                parsed = parse_instrument(body)
                load_instruments([*extra, body])  # clashes with built-ins and earlier files
            except NeedleInputError as exc:
                raise NeedleInputError(_within(where, key, str(exc))) from None
            builtin = builtins.get(key)
            if builtin is not None and (
                parsed.items,
                parsed.response_min,
                parsed.response_max,
            ) != (builtin.items, builtin.response_min, builtin.response_max):
                raise NeedleInputError(
                    f"{where}: a replacement of the built-in {key} must keep its "
                    f"{builtin.items} items answered {builtin.response_min} to "
                    f"{builtin.response_max}, which partners' files are checked against. "
                    "To ask different questions, choose another id."
                )
            extra.append(body)
            defined_in[key] = path
    return load_instruments(extra)


def _within(where: str, key: str, message: str) -> str:
    """``message`` about instrument ``key`` placed at ``where`` (file and key), without
    saying the instrument twice: "f.yaml: instruments.x scale x: method ..."."""
    own = f"instrument {key}"
    if message.startswith((f"{own}:", f"{own} ")):
        rest = message.removeprefix(own)
        return f"{where}{rest}"
    return f"{where}: {message}"


def _home_file(path: Path) -> Mapping[Any, Any]:
    """The ``instruments`` mapping of one home file (empty for an empty file)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise NeedleInputError(f"{path}: not valid YAML{at}. Check the indentation.") from None
    if not isinstance(data, Mapping):
        raise NeedleInputError(f"{path}: expected a mapping with an `instruments:` section.")
    unknown = sorted(str(k) for k in data if k not in _HOME_FILE_KEYS)
    if unknown:
        raise NeedleInputError(
            f"{path}: unknown key {', '.join(unknown)} (expected only `instruments:`)."
        )
    section = data.get("instruments") or {}
    if not isinstance(section, Mapping):
        raise NeedleInputError(
            f"{path}: instruments must be a mapping of id to definition "
            "(instruments: {confidence: {title: ..., ...}}), not a list."
        )
    for key in section:
        if not isinstance(key, str) or not _ID.match(key):
            raise NeedleInputError(
                f"{path}: instruments.{key}: the id must be lower-case letters, digits and _, "
                "starting with a letter."
            )
    return section


def _fail(where: str, message: str) -> NeedleInputError:
    return NeedleInputError(f"{where}: {message}")


def _mapping(value: Any, where: str, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(where, f"{key} must be a mapping, not {type(value).__name__}.")
    return value


def _check_keys(
    raw: Mapping[str, Any], allowed: set[str], required: Iterable[str], where: str
) -> None:
    unknown = sorted(str(k) for k in raw if k not in allowed)
    if unknown:
        raise _fail(
            where, f"unknown key {', '.join(unknown)} (expected {', '.join(sorted(allowed))})."
        )
    missing = [k for k in required if k not in raw]
    if missing:
        raise _fail(where, f"missing key {', '.join(missing)}.")


def _int(value: Any, where: str, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(where, f"{key} must be a whole number, not {value!r}.")
    return value


def _number(value: Any, where: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise _fail(where, f"{key} must be a number, not {value!r}.")
    return float(value)


def _text(value: Any, where: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, f"{key} must be non-empty text.")
    return value


def parse_instrument(raw: Mapping[str, Any]) -> Instrument:
    """One instrument definition, validated; errors name the instrument and the key."""
    raw = _mapping(raw, "instrument", "an instrument definition")
    where = f"instrument {raw.get('id', '?')}"
    _check_keys(raw, _INSTRUMENT_KEYS, _INSTRUMENT_REQUIRED, where)
    iid = raw["id"]
    if not isinstance(iid, str) or not _ID.match(iid):
        raise _fail(where, "id must be lower-case letters, digits and _, starting with a letter.")
    items = _int(raw["items"], where, "items")
    if not 1 <= items <= MAX_ITEMS:
        raise _fail(where, f"items is {items}; measurements hold 1 to {MAX_ITEMS} (q1..q14).")
    response = _mapping(raw["response"], where, "response")
    _check_keys(response, _RESPONSE_KEYS, ("min", "max"), f"{where} response")
    lo = _int(response["min"], where, "response.min")
    hi = _int(response["max"], where, "response.max")
    if lo >= hi:
        raise _fail(where, f"response.min {lo} must be below response.max {hi}.")
    reverse = raw.get("reverse_scored") or []
    if not isinstance(reverse, list):
        raise _fail(where, "reverse_scored must be a list of item numbers.")
    reverse_items = tuple(_item_number(i, items, where, "reverse_scored") for i in reverse)
    if len(set(reverse_items)) != len(reverse_items):
        raise _fail(where, "reverse_scored lists an item twice.")
    scales_raw = raw["scales"]
    if not isinstance(scales_raw, list) or not scales_raw:
        raise _fail(where, "scales must be a non-empty list.")
    scales = tuple(_parse_scale(s, iid, items, lo, hi, where) for s in scales_raw)
    ids = [s.id for s in scales]
    if len(set(ids)) != len(ids):
        raise _fail(where, "two scales have the same id.")
    if len(scales) == 1 and scales[0].id != iid:
        raise _fail(where, f"its only scale must have the instrument's id {iid}.")
    for s in scales:
        if len(scales) > 1 and not s.id.startswith(f"{iid}_"):
            raise _fail(where, f"scale {s.id}: id must start with {iid}_.")
    owner, licence = raw.get("owner"), raw.get("licence")
    return Instrument(
        id=iid,
        title=_text(raw["title"], where, "title"),
        owner=None if owner is None else _text(owner, where, "owner"),
        licence=None if licence is None else _text(licence, where, "licence"),
        items=items,
        response_min=lo,
        response_max=hi,
        reverse_scored=reverse_items,
        scales=scales,
    )


def _item_number(value: Any, items: int, where: str, key: str) -> int:
    number = _int(value, where, key)
    if not 1 <= number <= items:
        raise _fail(where, f"{key} has item {number}, outside 1..{items}.")
    return number


def _parse_scale(
    raw: Any, iid: str, n_items: int, lo: int, hi: int, instrument_where: str
) -> Scale:
    raw = _mapping(raw, instrument_where, "each scale")
    where = f"{instrument_where} scale {raw.get('id', '?')}"
    _check_keys(raw, _SCALE_KEYS, _SCALE_REQUIRED, where)
    sid = raw["id"]
    if not isinstance(sid, str) or not _ID.match(sid):
        raise _fail(where, "id must be lower-case letters, digits and _, starting with a letter.")
    if not isinstance(raw["items"], list) or not raw["items"]:
        raise _fail(where, "items must be a non-empty list of item numbers.")
    items = tuple(_item_number(i, n_items, where, "items") for i in raw["items"])
    if len(set(items)) != len(items):
        raise _fail(where, "items lists an item twice.")
    method = raw["method"]
    if method not in METHODS:
        raise _fail(where, f"method must be one of {', '.join(METHODS)}, not {method!r}.")
    if method == "item" and len(items) != 1:
        raise _fail(where, "method item needs exactly one item.")

    missing = _mapping(raw.get("missing", {"max_missing": 0, "method": "none"}), where, "missing")
    _check_keys(missing, _MISSING_KEYS, ("max_missing", "method"), f"{where} missing")
    max_missing = _int(missing["max_missing"], where, "missing.max_missing")
    missing_method = missing["method"]
    if missing_method not in MISSING_METHODS:
        raise _fail(where, f"missing.method must be none or prorate, not {missing_method!r}.")
    if not 0 <= max_missing < len(items):
        raise _fail(where, f"missing.max_missing must be 0 to {len(items) - 1}.")
    if missing_method == "none" and max_missing:
        raise _fail(where, "missing.method none allows no missing items: set max_missing 0.")

    conversion = None
    if raw.get("conversion") is not None:
        conversion = _parse_conversion(raw["conversion"], items, lo, hi, method, max_missing, where)

    rng = raw["range"]
    if not isinstance(rng, list | tuple) or len(rng) != 2:
        raise _fail(where, "range must be [min, max].")
    score_range = (_number(rng[0], where, "range"), _number(rng[1], where, "range"))
    if score_range[0] >= score_range[1]:
        raise _fail(where, "range min must be below range max.")
    direction = raw["direction"]
    if direction not in DIRECTIONS:
        raise _fail(where, f"direction must be up or down, not {direction!r}.")

    achievable = achievable_scores(len(items), lo, hi, method, max_missing, conversion)
    outside = [s for s in achievable if not score_range[0] <= s <= score_range[1]]
    if outside:
        raise _fail(where, f"score {outside[0]:g} is possible but outside range {rng}.")

    bands = _parse_bands(raw.get("bands") or [], score_range, achievable, where)
    low_raw = raw.get("low_band") or []
    low_bands = tuple([low_raw] if isinstance(low_raw, str) else low_raw)
    codes = [b.code for b in bands]
    for code in low_bands:
        if code not in codes:
            raise _fail(where, f"low_band {code!r} is not one of its bands.")
    positions = sorted(codes.index(c) for c in set(low_bands))
    if positions and positions != list(range(positions[0], positions[-1] + 1)):
        raise _fail(where, "low_band must be adjacent bands, so they make one score range.")

    rci, rci_source = _parse_rci(raw["reliable_change"], where)
    return Scale(
        id=sid,
        instrument=iid,
        title=_text(raw["title"], where, "title"),
        items=items,
        method=method,
        max_missing=max_missing,
        missing_method=missing_method,
        range=score_range,
        direction=direction,
        bands=bands,
        low_bands=low_bands,
        rci=rci,
        rci_source=rci_source,
        conversion=conversion,
    )


def _parse_conversion(
    raw: Any, items: tuple[int, ...], lo: int, hi: int, method: str, max_missing: int, where: str
) -> tuple[tuple[int, float], ...]:
    """A raw-sum-to-score table covering every raw sum exactly once.

    Keys may be numbers (YAML) or digit strings (TOML and JSON keys are always text).
    """
    if method != "sum" or max_missing:
        raise _fail(where, "conversion needs method sum and max_missing 0 (whole raw sums).")
    table = _mapping(raw, where, "conversion")
    parsed: dict[int, float] = {}
    for key, value in table.items():
        try:
            raw_sum = int(key)
        except (TypeError, ValueError):
            raise _fail(where, f"conversion key {key!r} is not a whole number.") from None
        if raw_sum in parsed:
            raise _fail(where, f"conversion gives raw sum {raw_sum} twice.")
        parsed[raw_sum] = _number(value, where, f"conversion[{key}]")
    expected = set(range(len(items) * lo, len(items) * hi + 1))
    if set(parsed) != expected:
        lacking = sorted(expected - set(parsed))
        extra = sorted(set(parsed) - expected)
        detail = f"lacks {lacking}" if lacking else f"has raw sums {extra} that cannot occur"
        raise _fail(
            where,
            f"conversion must cover raw sums {min(expected)} to {max(expected)}: it {detail}.",
        )
    return tuple(sorted(parsed.items()))


def _parse_bands(
    raw: Any, score_range: tuple[float, float], achievable: list[float], where: str
) -> tuple[Band, ...]:
    """Bands in ascending order, not overlapping, each possible score in exactly one."""
    if not isinstance(raw, list):
        raise _fail(where, "bands must be a list.")
    bands = []
    for b in raw:
        b = _mapping(b, where, "each band")
        _check_keys(b, _BAND_KEYS, ("code", "label", "min", "max"), f"{where} band")
        code = b["code"]
        if not isinstance(code, str) or not _ID.match(code):
            raise _fail(where, f"band code {code!r} must be lower-case letters, digits and _.")
        band = Band(
            code=code,
            label=_text(b["label"], where, f"band {code} label"),
            min=_number(b["min"], where, f"band {code} min"),
            max=_number(b["max"], where, f"band {code} max"),
        )
        if band.min > band.max:
            raise _fail(where, f"band {code} min {band.min:g} is above its max {band.max:g}.")
        if not (score_range[0] <= band.min and band.max <= score_range[1]):
            raise _fail(where, f"band {code} is outside the range {list(score_range)}.")
        bands.append(band)
    if len({b.code for b in bands}) != len(bands):
        raise _fail(where, "two bands have the same code.")
    for first, second in itertools.pairwise(bands):
        if second.min <= first.max:
            raise _fail(
                where,
                f"bands {first.code} and {second.code} overlap or are out of order "
                f"({first.code} ends at {first.max:g}, {second.code} starts at {second.min:g}).",
            )
    if bands:
        for score in achievable:
            if not any(b.contains(score) for b in bands):
                raise _fail(where, f"score {score:g} is possible but falls in no band (a gap).")
    return tuple(bands)


def _parse_rci(raw: Any, where: str) -> tuple[float, str]:
    rc = _mapping(raw, where, "reliable_change")
    _check_keys(rc, _RCI_KEYS, ("source",), f"{where} reliable_change")
    source = _text(rc["source"], where, "reliable_change.source")
    if "value" in rc:
        if "sd" in rc or "reliability" in rc:
            raise _fail(where, "reliable_change takes either value or sd and reliability.")
        value = _number(rc["value"], where, "reliable_change.value")
        if value <= 0:
            raise _fail(where, "reliable_change.value must be positive.")
        return value, source
    if "sd" not in rc or "reliability" not in rc:
        raise _fail(where, "reliable_change needs value, or both sd and reliability.")
    sd = _number(rc["sd"], where, "reliable_change.sd")
    reliability = _number(rc["reliability"], where, "reliable_change.reliability")
    try:
        return reliable_change_index(sd, reliability), source
    except ValueError as e:
        raise _fail(where, f"reliable_change: {e}.") from None


def achievable_scores(
    n_items: int,
    lo: int,
    hi: int,
    method: str,
    max_missing: int,
    conversion: tuple[tuple[int, float], ...] | None = None,
) -> list[float]:
    """Every score a scale can produce, computed with the same arithmetic as the SQL.

    Validating bands against this finite set (rather than against intervals) is what
    makes "no gaps" exact: a prorated 42.5 or a mean of 3.25 is caught if no band holds it.
    """
    if conversion is not None:
        return sorted({score for _, score in conversion})
    scores: set[float] = set()
    for answered in range(n_items - max_missing, n_items + 1):
        for total in range(answered * lo, answered * hi + 1):
            scores.add(_score_value(float(total), answered, n_items, method))
    return sorted(scores)


def _score_value(total: float, answered: int, n_items: int, method: str) -> float:
    """The score from a raw sum of ``answered`` items, as the SQL computes it."""
    if method == "mean":
        return total / answered
    if method == "sum" and answered < n_items:
        return total * n_items / answered
    return total


# --------------------------------------------------------------------------- scoring SQL


def _col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table, quoted=False)


def _num(value: float) -> exp.Expression:
    """A float literal typed as DOUBLE, so every engine compares in binary floating point."""
    return exp.cast(exp.Literal.number(repr(float(value))), exp.DataType.build("double"))


def _response(instrument: Instrument, item: int) -> exp.Expression:
    """An item's response, NULL when blank or out of range, reversed if reverse-scored.

    Validation rejects out-of-range responses before they are pooled; treating any that
    slip through as missing keeps one bad cell from producing an impossible score.
    """
    q = _col(f"q{item}")
    lo, hi = instrument.response_min, instrument.response_max
    value: exp.Expression = q
    if item in instrument.reverse_scored:
        value = exp.Sub(this=exp.Literal.number(lo + hi), expression=q)
    in_range = exp.and_(
        exp.GTE(this=q, expression=exp.Literal.number(lo)),
        exp.LTE(this=q, expression=exp.Literal.number(hi)),
    )
    return exp.Case().when(in_range, value)


def _add(terms: list[exp.Expression]) -> exp.Expression:
    total = terms[0]
    for term in terms[1:]:
        total = exp.Add(this=total, expression=term)
    return exp.Paren(this=total)


def _scale_select(instrument: Instrument, scale: Scale, source: exp.Table) -> exp.Select:
    """One scale's rows: responses, then raw sum and count answered, then score, then band."""
    names = [f"r{i}" for i in scale.items]
    carried = [*_CARRIED, *_CARRIED_AFTER]

    responses = (
        exp.select(*carried)
        .select(
            *(
                exp.alias_(_response(instrument, i), n)
                for i, n in zip(scale.items, names, strict=True)
            )
        )
        .from_(source.copy())
        .where(exp.EQ(this=_col("instrument"), expression=exp.Literal.string(instrument.id)))
    )

    answered = _add(
        [
            exp.Case()
            .when(exp.Is(this=_col(n), expression=exp.Null()), exp.Literal.number(0))
            .else_(exp.Literal.number(1))
            for n in names
        ]
    )
    raw_sum = _add([exp.func("COALESCE", _col(n), exp.Literal.number(0)) for n in names])
    totals = (
        exp.select(*carried)
        .select(exp.alias_(answered, "answered"), exp.alias_(raw_sum, "raw_sum"))
        .from_(responses.subquery("responses"))
    )

    n = len(scale.items)
    as_double = exp.cast(_col("raw_sum"), exp.DataType.build("double"))
    if scale.conversion is not None:
        value: exp.Expression = exp.Case(
            this=_col("raw_sum"),
            ifs=[exp.If(this=exp.Literal.number(r), true=_num(s)) for r, s in scale.conversion],
        )
    elif scale.method == "mean":
        value = exp.Div(this=as_double, expression=_col("answered"))
    elif scale.method == "sum" and scale.max_missing:
        # (sum * n) / answered, in this order so it rounds as achievable_scores does.
        value = exp.Div(
            this=exp.Mul(this=as_double, expression=exp.Literal.number(n)),
            expression=_col("answered"),
        )
    else:
        value = as_double
    enough = exp.GTE(this=_col("answered"), expression=exp.Literal.number(n - scale.max_missing))
    scored = (
        exp.select(*carried)
        .select(exp.alias_(exp.Case().when(enough, value), "score"))
        .from_(totals.subquery("totals"))
    )

    band: exp.Expression = exp.cast(exp.Null(), exp.DataType.build("varchar"))
    if scale.bands:
        case = exp.Case()
        for b in scale.bands:
            inside = exp.and_(
                exp.GTE(this=_col("score"), expression=_num(b.min)),
                exp.LTE(this=_col("score"), expression=_num(b.max)),
            )
            case = case.when(inside, exp.Literal.string(b.code))
        band = case
    return (
        exp.select(*_CARRIED)
        .select(
            exp.alias_(exp.Literal.string(scale.id), "scale"),
            *_CARRIED_AFTER,
            "score",
            exp.alias_(band, "band"),
        )
        .from_(scored.subquery("scored"))
    )


def scoring_sql(
    instruments: Mapping[str, Instrument], source: str = "measurements", dialect: str = "duckdb"
) -> str:
    """One SELECT giving a row per (measurement, scale) with its score and band.

    ``source`` is a table or view name (optionally ``schema.table``) holding measurement
    rows with their provenance columns. Output columns: submission_id, org, period,
    person_ref, instrument, scale, administered_on, timepoint, score (DOUBLE; NULL when
    too many items are missing) and band (NULL when the score is NULL or the scale has no
    bands). Reverse-scored items count as ``min + max - response``; prorating a sum scales
    the answered items' total up to all items. Measurements of instruments not in
    ``instruments`` produce no rows.
    """
    if not instruments:
        raise ValueError("no instruments to score")
    table = exp.to_table(source)
    selects = [
        _scale_select(instrument, scale, table)
        for instrument in instruments.values()
        for scale in instrument.scales
    ]
    union: exp.Expression = selects[0]
    for select in selects[1:]:
        union = exp.union(union, select, distinct=False)
    # Round-trip through the generic representation, so that dialect-specific rewrites
    # (DOUBLE -> DOUBLE PRECISION, quoting) are sqlglot's job, not ours.
    return sqlglot.transpile(union.sql(dialect="duckdb"), read="duckdb", write=dialect)[0]


def scale_meta(instruments: Mapping[str, Instrument]) -> pl.DataFrame:
    """What the engine needs to know about each scale, one row per scale.

    ``low_bands`` joins the concern band codes with ``;``; ``low_min`` and ``low_max``
    give their combined inclusive score range (null without bands), ready for
    :func:`needle.indicators.stats.paired_change`.
    """
    rows = []
    for instrument in instruments.values():
        for s in instrument.scales:
            low = s.low_range()
            rows.append(
                {
                    "scale": s.id,
                    "instrument": instrument.id,
                    "title": s.title,
                    "direction": s.direction,
                    "min": s.range[0],
                    "max": s.range[1],
                    "rci": s.rci,
                    "low_bands": ";".join(s.low_bands),
                    "low_min": None if low is None else low[0],
                    "low_max": None if low is None else low[1],
                }
            )
    schema = {
        "scale": pl.String(),
        "instrument": pl.String(),
        "title": pl.String(),
        "direction": pl.String(),
        "min": pl.Float64(),
        "max": pl.Float64(),
        "rci": pl.Float64(),
        "low_bands": pl.String(),
        "low_min": pl.Float64(),
        "low_max": pl.Float64(),
    }
    return pl.DataFrame(rows, schema=schema)
