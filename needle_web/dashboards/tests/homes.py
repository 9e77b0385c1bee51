"""Initiative homes for the dashboard tests: a real home (``needle.init_home``) whose
indicators are computed by the core from the hand-made pool of the core's own indicator
tests (tests/indicators/pools.py: three partners, three quarters, thirteen young people).

The thresholds are set low (public 3, steering group and partners 2) so that each
protected audience has both published and suppressed numbers on so small a pool. The
home also has the demo's population indicators (baselines and targets) with the bundled
illustrative series, so that the dashboards draw "turn the curve" charts.
"""

from __future__ import annotations

import sys
from pathlib import Path

from needle.indicators.population import (
    BUNDLED_TRAFFORD_SERIES,
    load_population_series,
    save_population_series,
)
from needle.indicators.refresh import indicators_dir, refresh_files, registry_for
from needle.initiative import init_home, open_home
from needle.initiative.config import (
    DisclosureConfig,
    InitiativeConfig,
    PartnerConfig,
    PeriodsConfig,
    trafford_demo_config,
)

# The core's test helpers live in tests/ (on the path when tests/ is collected; added here
# so that `pytest needle_web` alone works too).
_TESTS = Path(__file__).resolve().parents[3] / "tests"
if str(_TESTS) not in sys.path:
    sys.path.insert(0, str(_TESTS))

from indicators.pools import PARTNERS, Data, population_frame, submit_all  # noqa: E402

# Tests query pages as trees (tests/web/html_tree.py), not by grepping the markup.
from web.html_tree import find, find_all, parse, text  # noqa: E402

__all__ = [
    "INITIATIVE",
    "empty_home",
    "find",
    "find_all",
    "home_with_results",
    "parse",
    "text",
]

INITIATIVE = "Hand-made initiative"


def _config() -> InitiativeConfig:
    return InitiativeConfig(
        name=INITIATIVE,
        periods=PeriodsConfig(first="2025-Q1"),
        partners=tuple(PartnerConfig(code, name) for code, name in PARTNERS.items()),
        disclosure=DisclosureConfig(public=3, steering_group=2, partner=2, min_peers=3),
        population_indicators=trafford_demo_config().population_indicators,
    )


def empty_home(root: Path) -> Path:
    """A home whose indicators have never been computed."""
    init_home(root, _config(), reference=False)
    return root


def home_with_results(root: Path) -> Path:
    """A home with the hand-made submissions pooled and the indicators refreshed."""
    empty_home(root)
    home = open_home(root)
    series = BUNDLED_TRAFFORD_SERIES
    save_population_series(
        home.root, load_population_series(series, home.config.population_indicators)
    )
    with home.open_pool() as pool:
        submit_all(pool, Data.original())
        files = pool.files()
    refresh_files(
        indicators_dir(home.root),
        files,
        config=home.config,
        population=population_frame(),
        registry=registry_for(home),
    )
    return home.root
