"""Needle: shared measurement and learning infrastructure for collective impact.

The core library is framework-free: the CLI (and later the web app and API) call it. The
names below are the public surface; heavier ones are imported on first use, so
``import needle`` stays fast for the command line.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from needle.errors import NeedleInputError
from needle.periods import Period, parse_period

_LAZY = {
    "load_standard": "needle.standard",
    "validate_path": "needle.validation",
    "load_submission": "needle.validation",
    "init_home": "needle.initiative",
    "open_home": "needle.initiative",
    "Pool": "needle.pool",
    "submit_path": "needle.ingest",
    "prepare_path": "needle.ingest",
    "refresh_indicators": "needle.indicators",
    "load_results": "needle.indicators",
    "load_registry": "needle.indicators",
}

__all__ = ["NeedleInputError", "Period", "parse_period", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'needle' has no attribute {name!r}")
