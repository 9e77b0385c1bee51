"""What the initiative settings pages show, read from the home: its needle.toml, the
pool's partner register and the indicator registry. Reading only; changes go through
:mod:`needle_web.initiative.services`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings

from needle.initiative.config import InitiativeConfig, period_containing
from needle.initiative.home import Home
from needle.pool.model import Partner

__all__ = [
    "PeriodsView",
    "home",
    "indicator_definitions",
    "partner",
    "partners",
    "periods",
    "published_thresholds",
]


def home() -> Home:
    """The initiative home the app serves (``settings.HOME``), opened afresh so a change
    made a moment ago is what the page shows."""
    from needle.initiative import open_home

    return open_home(settings.HOME)


def partners(the_home: Home) -> list[Partner]:
    """Every partner in the register, removed ones too (their history stays), by code."""
    with the_home.open_pool() as pool:
        return pool.partners(include_removed=True)


def partner(the_home: Home, code: str) -> Partner | None:
    """The registered partner with ``code``, or None."""
    return next((p for p in partners(the_home) if p.code == code), None)


@dataclass(frozen=True)
class PeriodsView:
    frequency: str
    first: str
    current: str
    so_far: list[str]  # newest first, the current period included once it has started


def periods(config: InitiativeConfig, today: date) -> PeriodsView:
    """The reporting calendar as of ``today``."""
    from needle_web.submissions.selectors import period_choices

    return PeriodsView(
        frequency=config.periods.frequency,
        first=config.periods.first,
        current=period_containing(config.periods.frequency, today).label,
        so_far=period_choices(config, today),
    )


def indicator_definitions(the_home: Home) -> list[Any]:
    """The indicators this initiative computes (built-in and its own), in registry order."""
    from needle.indicators.refresh import registry_for

    return list(registry_for(the_home))


def published_thresholds(the_home: Home) -> dict[str, int] | None:
    """The thresholds the published numbers were protected with (the last refresh's), or
    None before the first refresh."""
    from needle.errors import NeedleInputError
    from needle.indicators.refresh import current_run

    try:
        run = current_run(the_home.root)
    except (NeedleInputError, OSError, ValueError, KeyError):
        return None
    kept = run.get("thresholds", {})
    shown = {audience: values[0] for audience, values in kept.items() if audience != "backbone"}
    if "public" in kept:
        shown["public_rounding"] = kept["public"][1]
    return shown
