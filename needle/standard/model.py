"""Load the machine-readable standard into plain, immutable objects.

The YAML files in ``definitions/`` are what people edit and review; everything else
(validator, templates, exports, docs) reads the objects built here, so there is exactly
one description of the standard.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from needle.errors import NeedleInputError

CURRENT_VERSION = "1.0"

COLUMN_TYPES = ("string", "integer", "number", "date", "time", "postcode", "code", "codes")
SEVERITIES = ("error", "warning")

_STANDARD_KEYS = {
    "name",
    "version",
    "status",
    "licence",
    "homepage",
    "entities",
    "instruments",
    "codelists",
    "rules",
}
_ENTITY_KEYS = {"title", "description", "primary_key", "activity_date", "checks", "columns"}
_COLUMN_KEYS = {
    "type",
    "description",
    "required",
    "pi",
    "codelist",
    "min",
    "max",
    "references",
    "example",
    "deprecated",
}
_CODE_KEYS = {"code", "label", "group"}
_RULE_KEYS = {"severity", "title", "hint"}
_INSTRUMENT_KEYS = {"items", "min", "max", "owner", "licence"}


class StandardDefinitionError(ValueError):
    """The YAML definition itself is broken: a bug in Needle or in an initiative's extension.

    Raised instead of ``assert`` so the checks survive ``python -O``.
    """


@dataclass(frozen=True)
class Code:
    code: str
    label: str
    group: str | None = None


@dataclass(frozen=True)
class CodeList:
    name: str
    codes: tuple[Code, ...]

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.codes)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(c.label for c in self.codes)

    def lookup(self) -> dict[str, str]:
        """Map every accepted spelling (code or label, normalised) to its code.

        Partners type labels from the drop-down or codes from the docs, in any case and
        with stray spaces or hyphens; all of those are the same answer.
        """
        table: dict[str, str] = {}
        for c in self.codes:
            table[normalise_token(c.label)] = c.code
        for c in self.codes:  # codes win over labels that normalise the same way
            table[normalise_token(c.code)] = c.code
        return table


@dataclass(frozen=True)
class Deprecation:
    since: str
    use: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str = ""
    required: bool = False
    pi: bool = False
    codelist: str | None = None
    min: float | None = None
    max: float | None = None
    references: tuple[str, str] | None = None
    example: str = ""
    deprecated: Deprecation | None = None


@dataclass(frozen=True)
class Entity:
    name: str
    title: str
    description: str
    columns: dict[str, Column]
    primary_key: tuple[str, ...] = ()
    activity_date: str | None = None
    checks: tuple[dict[str, str], ...] = ()

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns.values() if c.required)

    @property
    def pi_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns.values() if c.pi)

    def has_check(self, rule: str) -> bool:
        return any(check["rule"] == rule for check in self.checks)


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    title: str
    hint: str


@dataclass(frozen=True)
class Instrument:
    name: str
    items: int
    min: int
    max: int
    owner: str | None = None
    licence: str | None = None


@dataclass(frozen=True)
class Standard:
    name: str
    version: str
    status: str
    licence: str | None
    entities: dict[str, Entity]
    codelists: dict[str, CodeList]
    rules: dict[str, Rule]
    instruments: dict[str, Instrument] = field(default_factory=dict)

    def codelist_for(self, column: Column) -> CodeList:
        if column.codelist is None:
            raise KeyError(f"column {column.name} has no code list")
        return self.codelists[column.codelist]

    @property
    def pi_columns(self) -> frozenset[tuple[str, str]]:
        """Every (entity, column) pair that holds a personal identifier."""
        return frozenset(
            (e.name, c.name) for e in self.entities.values() for c in e.columns.values() if c.pi
        )

    def with_instruments(self, instruments: Mapping[str, Any]) -> Standard:
        """A copy that also accepts an initiative's own questionnaires.

        ``instruments`` maps an id to an instrument: the indicators' definition
        (``needle.indicators.instruments.Instrument``: ``items``, ``response_min``,
        ``response_max``, ``title``) or this module's :class:`Instrument` (``items``,
        ``min``, ``max``). Each new id joins ``instruments`` and the ``instrument`` code
        list (labelled with its title), so the validator checks its items exactly as it
        checks a built-in's. An id the standard already has is left as the standard says,
        and must agree with it on items and range. This standard is not changed.
        """
        known = dict(self.instruments)
        codes = list(self.codelists["instrument"].codes)
        taken = self.codelists["instrument"].lookup()
        for key, given in instruments.items():
            items, low, high = _instrument_shape(given)
            current = known.get(key)
            if current is not None:
                if (current.items, current.min, current.max) != (items, low, high):
                    raise NeedleInputError(
                        f"instrument {key}: the standard has {current.items} items answered "
                        f"{current.min} to {current.max}, not {items} answered {low} to {high}."
                    )
                continue
            label = str(getattr(given, "title", None) or key)
            for spelling in (key, label):
                clash = taken.get(normalise_token(spelling))
                if clash is not None:
                    raise NeedleInputError(
                        f"instrument {key}: {spelling!r} would be read as the instrument "
                        f"code {clash}; choose another id or title."
                    )
            known[key] = Instrument(
                name=key,
                items=items,
                min=low,
                max=high,
                owner=getattr(given, "owner", None),
                licence=getattr(given, "licence", None),
            )
            codes.append(Code(code=key, label=label))
            taken = CodeList(name="instrument", codes=tuple(codes)).lookup()
        if len(known) == len(self.instruments):
            return self
        codelists = {**self.codelists, "instrument": CodeList("instrument", tuple(codes))}
        return replace(self, codelists=codelists, instruments=known)


def _instrument_shape(given: Any) -> tuple[int, int, int]:
    """(items, lowest response, highest response) of either kind of instrument."""
    if hasattr(given, "response_min"):
        return int(given.items), int(given.response_min), int(given.response_max)
    return int(given.items), int(given.min), int(given.max)


_TOKEN_RE = re.compile(r"[^a-z0-9]+")


def normalise_token(text: str) -> str:
    """Fold a header or code to lower snake case: 'Date of Birth ' -> 'date_of_birth'."""
    return _TOKEN_RE.sub("_", text.strip().lower()).strip("_")


def available_versions() -> tuple[str, ...]:
    folder = resources.files("needle.standard") / "definitions"
    names = [p.name for p in folder.iterdir() if p.name.endswith(".yaml")]
    return tuple(sorted((n.removesuffix(".yaml") for n in names), key=_version_key))


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


@cache
def load_standard(version: str | None = None) -> Standard:
    """The standard at ``version`` (the current one by default).

    Raises KeyError for a version Needle does not ship; callers that face users turn that
    into a ``standard_version`` problem.
    """
    version = version or CURRENT_VERSION
    if version not in available_versions():
        raise KeyError(version)
    text = (resources.files("needle.standard") / "definitions" / f"{version}.yaml").read_text(
        encoding="utf-8"
    )
    return parse_standard(yaml.safe_load(text))


def load_standard_file(path: str | Path) -> Standard:
    """A standard from any YAML file: for tests and for initiatives extending the standard."""
    return parse_standard(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


def parse_standard(data: dict[str, Any]) -> Standard:
    try:
        return _parse_standard(data)
    except (KeyError, TypeError) as exc:
        raise StandardDefinitionError(f"missing or malformed key in the definition: {exc}") from exc


def _parse_standard(data: dict[str, Any]) -> Standard:
    _known_keys(data, _STANDARD_KEYS, "the definition")
    codelists = {}
    for name, codes in data["codelists"].items():
        for c in codes:
            _known_keys(c, _CODE_KEYS, f"code list {name}")
        codelists[name] = CodeList(
            name=name,
            codes=tuple(
                Code(code=str(c["code"]), label=str(c["label"]), group=c.get("group"))
                for c in codes
            ),
        )
    rules = {}
    for rule_id, r in data["rules"].items():
        _known_keys(r, _RULE_KEYS, f"rule {rule_id}")
        rules[rule_id] = Rule(id=rule_id, severity=r["severity"], title=r["title"], hint=r["hint"])
    entities = {name: _parse_entity(name, raw) for name, raw in data["entities"].items()}
    instruments = {}
    for name, i in (data.get("instruments") or {}).items():
        _known_keys(i, _INSTRUMENT_KEYS, f"instrument {name}")
        instruments[name] = Instrument(
            name=name,
            items=int(i["items"]),
            min=int(i["min"]),
            max=int(i["max"]),
            owner=i.get("owner"),
            licence=i.get("licence"),
        )
    standard = Standard(
        name=data["name"],
        version=str(data["version"]),
        status=data.get("status", "current"),
        licence=data.get("licence"),
        entities=entities,
        codelists=codelists,
        rules=rules,
        instruments=instruments,
    )
    _check_consistency(standard)
    return standard


def _known_keys(raw: dict[str, Any], allowed: set[str], where: str) -> None:
    """Reject unknown keys: a typo or a YAML slip (an unquoted comma) must not load quietly."""
    if not isinstance(raw, dict):
        raise StandardDefinitionError(f"{where}: expected a mapping, got {raw!r}")
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise StandardDefinitionError(f"{where}: unknown key(s) {unknown}")


def _parse_entity(name: str, raw: dict[str, Any]) -> Entity:
    _known_keys(raw, _ENTITY_KEYS, f"entity {name}")
    columns = {}
    for col_name, c in raw["columns"].items():
        _known_keys(c, _COLUMN_KEYS, f"column {name}.{col_name}")
        dep = c.get("deprecated")
        ref = c.get("references")
        columns[col_name] = Column(
            name=col_name,
            type=c["type"],
            description=str(c.get("description", "")).strip(),
            required=bool(c.get("required", False)),
            pi=bool(c.get("pi", False)),
            codelist=c.get("codelist"),
            min=c.get("min"),
            max=c.get("max"),
            references=tuple(ref.split(".", 1)) if ref else None,
            example=str(c.get("example", "")),
            deprecated=Deprecation(**dep) if dep else None,
        )
    return Entity(
        name=name,
        title=raw.get("title", name),
        description=str(raw.get("description", "")).strip(),
        columns=columns,
        primary_key=tuple(raw.get("primary_key", ())),
        activity_date=raw.get("activity_date"),
        checks=tuple(dict(c) for c in raw.get("checks", ())),
    )


def _check_consistency(standard: Standard) -> None:
    """Fail loudly on a broken definition: it is a bug, not the user's data."""
    problems = []
    for entity in standard.entities.values():
        for col in entity.columns.values():
            where = f"{entity.name}.{col.name}"
            if col.type not in COLUMN_TYPES:
                problems.append(f"{where}: unknown type {col.type!r}")
            if col.type in ("code", "codes") and col.codelist not in standard.codelists:
                problems.append(f"{where}: unknown code list {col.codelist!r}")
            if col.references:
                target, target_col = col.references
                if target_col not in standard.entities.get(target, _NO_ENTITY).columns:
                    problems.append(f"{where}: references unknown {target}.{target_col}")
            if col.min is not None and col.max is not None and col.min > col.max:
                problems.append(f"{where}: min above max")
        named = [*entity.primary_key, *([entity.activity_date] if entity.activity_date else [])]
        for check in entity.checks:
            if check.get("rule") not in standard.rules:
                problems.append(f"{entity.name}: check names unknown rule {check.get('rule')!r}")
            named += [v for k, v in check.items() if k != "rule"]
        problems += [
            f"{entity.name}: unknown column {c!r}" for c in named if c not in entity.columns
        ]
    problems += [
        f"rule {r.id}: severity must be one of {SEVERITIES}"
        for r in standard.rules.values()
        if r.severity not in SEVERITIES
    ]
    if problems:
        raise StandardDefinitionError("; ".join(problems))


_NO_ENTITY = Entity(name="", title="", description="", columns={})
