"""Shared indicators: definitions, instruments, the engine, disclosure control.

``refresh_indicators(home)`` brings an initiative's indicators up to date with its pool;
``load_results(home.root, audience)`` reads them as an audience may see them;
``load_registry()`` lists the built-in definitions. See docs/guides/indicators.md.
Imported on first use: the engine pulls in DuckDB and SciPy, which the CLI should not
pay for at start-up.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_LAZY = {
    "load_registry": ("needle.indicators.definitions", "load_registry"),
    "load_results": ("needle.indicators.refresh", "load_results"),
    "refresh_indicators": ("needle.indicators.refresh", "refresh"),
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attribute = _LAZY[name]
        return getattr(import_module(module), attribute)
    raise AttributeError(f"module 'needle.indicators' has no attribute {name!r}")
