"""An initiative home for the journeys pages: the hand-made pool of the core's tests
(tests/indicators/pools.py) with two records linked as one young person
(tests/journeys/links.py), where linkage writes its links. No indicators are computed:
journeys read the pool."""

from __future__ import annotations

import sys
from pathlib import Path

from needle.initiative import open_home
from needle_web.dashboards.tests.homes import empty_home

# The core's test helpers live in tests/ (on the path when tests/ is collected; added here
# so that `pytest needle_web` alone works too).
_TESTS = Path(__file__).resolve().parents[3] / "tests"
if str(_TESTS) not in sys.path:
    sys.path.insert(0, str(_TESTS))

from indicators.pools import Data, submit_all  # noqa: E402
from journeys.links import LINKED, write_links  # noqa: E402

__all__ = ["LINKED", "journeys_home"]


def journeys_home(root: Path) -> Path:
    """A home (steering group threshold 2, public 3) with the pool and the links."""
    empty_home(root)
    with open_home(root).open_pool() as pool:
        submit_all(pool, Data.original())
    write_links(root / "indicators" / "person_links.parquet")
    return root
