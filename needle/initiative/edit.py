"""Changing an initiative's settings in place: ``needle.toml`` and the partner register.

Why a module of its own: ``needle.toml`` is the admin's file (decision 0006). It holds
their comments, their order and their blank lines, and it is reviewed by people at a
steering group, so a change made from the web platform must read as if the admin had made
it by hand: one value changed, everything else left exactly as it was. tomlkit edits the
document without rewriting it; the result is then checked by the same code that checks
the file whenever a home is opened (:func:`needle.initiative.config.parse_config`), so a
change that would leave a file Needle refuses to open is never written. The file is
replaced in one step (a temporary file, then ``os.replace``), so a reader sees the old
file or the new one, never half of one.

Every function returns the new :class:`InitiativeConfig`; every refusal is a
:class:`SettingsError` (a :class:`NeedleInputError`) naming the key and how to fix it, and
leaves the file and the register as they were.
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import AoT, Table
from tomlkit.toml_document import TOMLDocument

from needle.errors import NeedleInputError
from needle.initiative.config import InitiativeConfig, parse_config
from needle.initiative.home import Home

__all__ = [
    "DISCLOSURE_KEYS",
    "SettingsError",
    "add_partner",
    "rename_partner",
    "set_disclosure",
    "set_vision",
]

# The [disclosure] keys the web platform changes (backbone stays 0: it sees every number).
DISCLOSURE_KEYS = ("public", "steering_group", "partner", "public_rounding", "min_peers")
# The config's messages start with the key they are about: "disclosure.public: ...".
_KEYED = re.compile(r"^([a-z_]+(?:\[\d+\])?(?:\.[a-z_]+(?:\[\d+\])?)*): (.*)$", re.S)


class SettingsError(NeedleInputError):
    """A change refused. ``key`` is the setting it is about (``disclosure.public``,
    ``partners[3].code``), or "" when it is about the whole file; ``problem`` is the
    message without the key, for a form to show beside the field."""

    def __init__(self, message: str, key: str = "", problem: str = "") -> None:
        super().__init__(message)
        self.key = key
        self.problem = problem or message


def _refused(error: NeedleInputError) -> SettingsError:
    message = str(error)
    found = _KEYED.match(message)
    if found is None:
        return SettingsError(message)
    key, problem = found.groups()
    return SettingsError(f"{key}: {problem}", key, problem)


# ---- reading, checking and writing the file ---------------------------------------------


def _read(path: Path) -> TOMLDocument:
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"{path} not found.") from None
    except tomlkit.exceptions.ParseError as exc:
        raise SettingsError(
            f"{path} is not valid TOML ({exc}); fix it by hand before changing settings here."
        ) from None


def _check(text: str) -> InitiativeConfig:
    """The configuration ``text`` would give, read exactly as ``open_home`` reads it."""
    try:
        return parse_config(tomllib.loads(text))
    except NeedleInputError as exc:
        raise _refused(exc) from None


def _write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step, keeping the file's permissions."""
    mode = path.stat().st_mode & 0o7777
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _edit(path: Path, change: Callable[[TOMLDocument], None]) -> InitiativeConfig:
    """Apply ``change`` to the document, check the result, then write it."""
    document = _read(path)
    _check(document.as_string())  # a file that was already wrong is reported as it is
    change(document)
    text = document.as_string()
    config = _check(text)
    _write_atomically(path, text)
    return config


def _table(document: TOMLDocument, name: str) -> Table:
    if name not in document:
        document.add(tomlkit.nl())
        document.add(name, tomlkit.table())
    table = document[name]
    if not isinstance(table, Table):
        raise SettingsError(f"{name}: must be a table ([{name}]); fix needle.toml by hand.", name)
    return table


# ---- the settings -------------------------------------------------------------------------


def set_disclosure(path: str | os.PathLike[str], values: Mapping[str, Any]) -> InitiativeConfig:
    """Change keys of ``[disclosure]`` (any of :data:`DISCLOSURE_KEYS`). The rules are the
    core's own (:class:`~needle.initiative.config.DisclosureConfig`); a key the file does
    not have yet is added at the end of the table."""
    unknown = sorted(set(values) - set(DISCLOSURE_KEYS))
    if unknown:
        raise SettingsError(
            f"disclosure.{unknown[0]}: cannot be changed here; change one of "
            f"{', '.join(DISCLOSURE_KEYS)}.",
            f"disclosure.{unknown[0]}",
        )

    def change(document: TOMLDocument) -> None:
        table = _table(document, "disclosure")
        for key, value in values.items():
            table[key] = value

    return _edit(Path(path), change)


def set_vision(path: str | os.PathLike[str], vision: str) -> InitiativeConfig:
    """Change the common agenda's shared vision (``[agenda] vision``)."""

    def change(document: TOMLDocument) -> None:
        _table(document, "agenda")["vision"] = vision

    return _edit(Path(path), change)


# ---- partners: the register and needle.toml together ---------------------------------------


def _partners(document: TOMLDocument) -> AoT | None:
    partners = document.get("partners")
    if partners is None:
        return None
    if not isinstance(partners, AoT):
        raise SettingsError(
            "partners: must be a list of [[partners]] tables; fix needle.toml by hand.",
            "partners",
        )
    return partners


def _append_partner(partners: AoT, code: str, name: str) -> None:
    """Add ``[[partners]]`` after the last one. The comments after the last partner
    introduce whatever follows the list (tomlkit keeps them in that partner's table), so
    they move to the new one: the new partner lands in the list, not under them."""
    table = tomlkit.table()
    table["code"] = code
    table["name"] = name
    if len(partners):
        body = partners[-1].value.body
        trailing = []
        while body and body[-1][0] is None:  # comments and blank lines, not keys
            trailing.insert(0, body.pop()[1])
        partners[-1].add(tomlkit.nl())
        for item in trailing[1:] if trailing and not trailing[0].as_string().strip() else trailing:
            table.add(item)
    partners.append(table)


def add_partner(home: Home, code: str, name: str) -> InitiativeConfig:
    """Register a new partner in the pool's register and list it in ``needle.toml``, as
    ``needle init`` does, so the two agree.

    The code is written as the register stores it (upper case, no spaces). The file is
    checked first, then the register takes the partner (it refuses a code ever used, even
    by a removed partner), and only then is the file written.
    """
    code = (code or "").strip().upper()
    name = (name or "").strip()
    path = home.config_path
    document = _read(path)
    _check(document.as_string())
    partners = _partners(document)
    if partners is None:
        document.add(tomlkit.nl())
        document.add("partners", tomlkit.aot())
        partners = _partners(document)
    if not any(str(p.get("code")) == code for p in partners):
        _append_partner(partners, code, name)
    text = document.as_string()
    config = _check(text)
    try:
        with home.open_pool() as pool:
            pool.add_partner(code, name)
    except NeedleInputError as exc:
        raise SettingsError(str(exc), "partners.code") from None
    _write_atomically(path, text)
    return config


def rename_partner(home: Home, code: str, name: str) -> InitiativeConfig:
    """Give a registered partner a new name, in the register and, when ``needle.toml``
    lists the partner, there too. The code never changes: submissions and history are
    kept under it."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise SettingsError(
            "partners.name: give the organisation's name, 1 to 200 characters.",
            "partners.name",
            "Give the organisation's name, 1 to 200 characters.",
        )
    path = home.config_path
    document = _read(path)
    _check(document.as_string())
    for table in _partners(document) or []:
        if str(table.get("code")) == code:
            table["name"] = name
    text = document.as_string()
    config = _check(text)
    with home.open_pool() as pool:
        try:
            code = pool.partner(code).code
        except NeedleInputError as exc:
            raise SettingsError(str(exc), "partners.code") from None
        _rename_registered(pool, code, name)
    _write_atomically(path, text)
    return config


def _rename_registered(pool: Any, code: str, name: str) -> None:
    """The register's side of a rename, in one write transaction with its audit entry.

    The pool has no rename of its own yet; this uses its tables and its lock the way
    ``Pool.add_partner`` does, and belongs there as ``Pool.rename_partner``.
    """

    from needle.pool import catalogue
    from needle.pool.db import write_transaction
    from needle.pool.schema import partners

    now = catalogue.utcnow()
    with write_transaction(pool.engine, lock_partner=code) as conn:
        conn.execute(partners.update().where(partners.c.code == code).values(name=name))
        catalogue.add_audit(conn, "partner_renamed", at=now, org=code)
