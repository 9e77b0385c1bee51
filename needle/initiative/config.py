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
rules. See docs/guides/initiative.md for every key.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from needle.errors import NeedleInputError
from needle.periods import Period, parse_period

__all__ = [
    "AUDIENCES",
    "FREQUENCIES",
    "TRAFFORD",
    "DisclosureConfig",
    "InitiativeConfig",
    "LinkageConfig",
    "PartnerConfig",
    "PeriodsConfig",
    "config_to_toml",
    "load_config",
    "parse_config",
    "period_containing",
    "trafford_demo_config",
    "write_config",
]

FREQUENCIES = ("quarter", "month", "year")
AUDIENCES = ("public", "steering_group", "partner")
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
    a label of that frequency: ``2024-Q4``, ``2024-10`` or ``2024``)."""

    first: str
    frequency: str = "quarter"

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

    @property
    def first_period(self) -> Period:
        return parse_period(self.first)


@dataclass(frozen=True)
class DisclosureConfig:
    """The smallest count each audience may see; smaller counts are suppressed.

    ``public``: open data and the public dashboard; ``steering_group``: the steering group,
    working groups and funders; ``partner``: a partner's own feedback and benchmarks.
    """

    public: int = 10
    steering_group: int = 5
    partner: int = 5

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

    def threshold(self, audience: str) -> int:
        """The minimum cell size for ``audience`` (one of ``AUDIENCES``)."""
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
class InitiativeConfig:
    """The whole of ``needle.toml``."""

    name: str
    periods: PeriodsConfig
    area: tuple[str, ...] = ()
    disclosure: DisclosureConfig = field(default_factory=DisclosureConfig)
    linkage: LinkageConfig = field(default_factory=LinkageConfig)
    partners: tuple[PartnerConfig, ...] = ()

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

    def partner(self, code: str) -> PartnerConfig:
        for p in self.partners:
            if p.code == code:
                return p
        raise KeyError(code)


# ---- reading -------------------------------------------------------------------------

_TABLES: dict[str, tuple[type, dict[str, str]]] = {
    # TOML table -> (dataclass, {TOML key: field name})
    "periods": (PeriodsConfig, {"frequency": "frequency", "first": "first"}),
    "disclosure": (DisclosureConfig, {a: a for a in AUDIENCES}),
    "linkage": (LinkageConfig, {"secret_file": "secret_file"}),
}
_TOP_LEVEL = ("initiative", "periods", "disclosure", "linkage", "partners")


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
        for required in ("code", "name"):
            if required not in table:
                raise _fail(
                    f"{key}.{required}", "is missing; each partner needs a code and a name."
                )
        try:
            partners.append(PartnerConfig(code=table["code"], name=table["name"]))
        except NeedleInputError as exc:  # name the partner by its place in the file
            raise NeedleInputError(str(exc).replace("partners[]", key, 1)) from None
    return InitiativeConfig(
        name=initiative["name"],
        area=tuple(area),
        periods=parts["periods"],
        disclosure=parts["disclosure"],
        linkage=parts["linkage"],
        partners=tuple(partners),
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


def config_to_toml(config: InitiativeConfig) -> str:
    """``needle.toml`` for ``config``, with a comment on every key."""
    area = ", ".join(_toml_str(code) for code in config.area)
    d = config.disclosure
    lines = [
        "# Needle initiative configuration: docs/guides/initiative.md explains every key.",
        "# Needle checks this file whenever it opens the home; edit it freely.",
        "",
        "[initiative]",
        f"name = {_toml_str(config.name)}",
        "# ONS (GSS) codes of the local authorities the initiative covers, e.g. E08000009.",
        f"area = [{area}]",
        "",
        "[periods]",
        "# How often partners submit: quarter, month or year.",
        f"frequency = {_toml_str(config.periods.frequency)}",
        "# The first reporting period: 2024-Q4 (quarter), 2024-10 (month) or 2024 (year).",
        f"first = {_toml_str(config.periods.first)}",
        "",
        "[disclosure]",
        "# The smallest count each audience may see; smaller counts are suppressed.",
        f"public = {d.public}",
        f"steering_group = {d.steering_group}",
        f"partner = {d.partner}",
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


def trafford_demo_config() -> InitiativeConfig:
    """The demo initiative: the partners of the synthetic Trafford data set (so its
    submissions match the register), quarterly from 2024-Q4."""
    from needle.synth.partners import load_partners

    return InitiativeConfig(
        name="Trafford Youth Collective",
        area=(TRAFFORD,),
        periods=PeriodsConfig(first="2024-Q4", frequency="quarter"),
        partners=tuple(PartnerConfig(p.code, p.name) for p in load_partners()),
    )
