"""Settings are data: every environment variable Needle reads is in one table, read in one
place, and documented in docs/reference/settings.md (generated from the table)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from needle.settings import SETTINGS, get_setting, read_settings, settings_reference

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs" / "reference" / "settings.md"
PACKAGES = ("needle", "needle_web")  # scanned for environment reads
READS_THE_ENVIRONMENT = {"needle/settings.py"}  # the one place that may
# Where a setting may be used besides the package (tests-only settings).
ALSO_USED_IN = ("tests/conftest.py", ".ci/run")
NAMES = {s.name for s in SETTINGS}


def test_the_settings_reference_is_up_to_date() -> None:
    assert DOCS.read_text(encoding="utf-8") == settings_reference(), (
        "docs/reference/settings.md is stale: run "
        "`python -m needle.settings > docs/reference/settings.md`"
    )


def test_every_setting_is_documented_and_unique() -> None:
    assert len(NAMES) == len(SETTINGS)
    for s in SETTINGS:
        assert s.name.isupper() and " " not in s.name
        assert len(s.help) > 40 and s.help.endswith("."), f"{s.name} needs a real help text"
        assert f"## `{s.name}`" in settings_reference()


def test_get_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert get_setting("NEEDLE_HOME", {}) == "."
    assert get_setting("NEEDLE_HOME", {"NEEDLE_HOME": ""}) == "."  # empty counts as unset
    assert get_setting("NEEDLE_HOME", {"NEEDLE_HOME": "/srv/x"}) == "/srv/x"
    assert get_setting("DATABASE_URL", {}) is None
    monkeypatch.setenv("NEEDLE_HOME", "/srv/y")
    assert get_setting("NEEDLE_HOME") == "/srv/y"
    assert read_settings({})["NEEDLE_REQUIRE_SERVICES"] == "0"
    assert set(read_settings()) == NAMES
    with pytest.raises(KeyError, match="not a Needle setting"):
        get_setting("NEEDLE_UNDOCUMENTED")


# ---- the scan --------------------------------------------------------------------------

_ENVIRON = ("environ", "environb")
_GETENV = ("getenv", "getenvb")


class _Scan(ast.NodeVisitor):
    """Every environment read in one module: ``os.environ.get(X)``, ``os.environ[X]``,
    ``os.getenv(X)``, ``X in os.environ`` (also through ``from os import ...``), and every
    ``get_setting(X)`` call, each with the variable's name when it can be told."""

    def __init__(self, tree: ast.Module, module: str) -> None:
        self.module = module
        self.constants = {
            target.id: stmt.value.value
            for stmt in tree.body
            if isinstance(stmt, ast.Assign)
            and isinstance(stmt.value, ast.Constant)
            and isinstance(stmt.value.value, str)
            for target in stmt.targets
            if isinstance(target, ast.Name)
        }
        self.from_os = {  # local name -> os attribute, for `from os import environ as e`
            alias.asname or alias.name: alias.name
            for stmt in ast.walk(tree)
            if isinstance(stmt, ast.ImportFrom) and stmt.module == "os"
            for alias in stmt.names
        }
        self.reads: list[tuple[int, str | None]] = []
        self.settings_calls: list[tuple[int, str | None]] = []
        self.unrecognised: list[int] = []
        self._recognised: set[int] = set()
        for node in ast.walk(tree):
            self._classify(node)
        for node in ast.walk(tree):
            if (self._is(node, _ENVIRON) or self._is(node, _GETENV)) and id(
                node
            ) not in self._recognised:
                self.unrecognised.append(node.lineno)

    def _is(self, node: ast.AST, attrs: tuple[str, ...]) -> bool:
        if isinstance(node, ast.Attribute):
            return node.attr in attrs and isinstance(node.value, ast.Name) and node.value.id == "os"
        return isinstance(node, ast.Name) and self.from_os.get(node.id) in attrs

    def _name(self, node: ast.AST | None) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in self.constants:
                return self.constants[node.id]
            value = getattr(importlib.import_module(self.module), node.id, None)  # imported
            return value if isinstance(value, str) else None
        return None

    def _classify(self, node: ast.AST) -> None:
        env = key = None
        if isinstance(node, ast.Call):
            func, first = node.func, node.args[0] if node.args else None
            if (
                isinstance(func, ast.Attribute)
                and func.attr in ("get", "pop", "setdefault")
                and self._is(func.value, _ENVIRON)
            ):
                env, key = func.value, first
            elif self._is(func, _GETENV):
                env, key = func, first
            elif getattr(func, "id", None) == "get_setting" or getattr(func, "attr", "") == (
                "get_setting"
            ):
                self.settings_calls.append((node.lineno, self._name(first)))
        elif isinstance(node, ast.Subscript) and self._is(node.value, _ENVIRON):
            env, key = node.value, node.slice
        elif (
            isinstance(node, ast.Compare)
            and len(node.ops) == 1
            and isinstance(node.ops[0], ast.In | ast.NotIn)
            and self._is(node.comparators[0], _ENVIRON)
        ):
            env, key = node.comparators[0], node.left
        if env is not None:
            self._recognised.add(id(env))
            self.reads.append((node.lineno, self._name(key)))


def _scan(path: Path, module: str | None = None) -> _Scan:
    if module is None:
        parts = path.relative_to(ROOT).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
    return _Scan(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)), module)


def _sources() -> list[Path]:
    """The packages' code; the web apps' own tests (needle_web/*/tests/) set up their
    environment like any test does."""
    return sorted(
        p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py") if "tests" not in p.parts
    )


def test_every_variable_read_is_in_the_table() -> None:
    problems = []
    for path in _sources():
        rel = path.relative_to(ROOT).as_posix()
        if rel in READS_THE_ENVIRONMENT:  # the table itself, read by name
            continue
        scan = _scan(path)
        for line, name in scan.reads + scan.settings_calls:
            if name is None:
                problems.append(
                    f"{rel}:{line}: cannot tell which variable is read; use a literal name "
                    "or a module-level constant"
                )
            elif name not in NAMES:
                problems.append(f"{rel}:{line}: {name} is not in needle.settings.SETTINGS")
        problems += [
            f"{rel}:{line}: uses os.environ or getenv in a way this test cannot check; "
            "read settings with needle.settings.get_setting"
            for line in scan.unrecognised
        ]
    assert not problems, "\n".join(problems)


def test_the_environment_is_read_in_one_place() -> None:
    direct = []
    for path in _sources():
        rel = path.relative_to(ROOT).as_posix()
        if rel not in READS_THE_ENVIRONMENT:
            direct += [f"{rel}:{line}: reads {name} directly" for line, name in _scan(path).reads]
    assert not direct, "read environment variables with needle.settings.get_setting:\n" + "\n".join(
        direct
    )


def test_every_setting_is_used() -> None:
    texts = [p.read_text(encoding="utf-8") for p in _sources() if p.name != "settings.py"]
    texts += [(ROOT / f).read_text(encoding="utf-8") for f in ALSO_USED_IN if (ROOT / f).exists()]
    unused = [s.name for s in SETTINGS if not any(s.name in t for t in texts)]
    assert not unused, f"settings nobody reads (remove them from SETTINGS): {unused}"


def test_the_scan_finds_every_kind_of_read(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\n"
        "from os import environ, getenv as ge\n"
        "X = 'NEEDLE_X'\n"
        "a = os.environ.get('NEEDLE_A')\n"
        "b = os.environ['NEEDLE_B']\n"
        "c = os.getenv(X)\n"
        "d = 'NEEDLE_D' in os.environ\n"
        "e = environ.get('NEEDLE_E')\n"
        "f = ge('NEEDLE_F')\n"
        "g = dict(os.environ)\n"
        "h = get_setting('NEEDLE_H')\n"
        "i = os.environ.get(x + 'Y')\n",
        encoding="utf-8",
    )
    scan = _scan(sample, module="json")  # any importable module: nothing is looked up
    names = sorted(n or "?" for _, n in scan.reads)
    assert names == ["?", "NEEDLE_A", "NEEDLE_B", "NEEDLE_D", "NEEDLE_E", "NEEDLE_F", "NEEDLE_X"]
    assert scan.settings_calls == [(11, "NEEDLE_H")]
    assert scan.unrecognised == [10]  # dict(os.environ)
    other = tmp_path / "other.py"
    other.write_text(
        "import os\ndef j(environ):\n    return environ.get('a mapping, not os')\n",
        encoding="utf-8",
    )
    scan = _scan(other, module="json")
    assert scan.reads == [] and scan.unrecognised == []
