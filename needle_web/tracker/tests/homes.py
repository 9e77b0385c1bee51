"""An initiative home for the tracker's tests: the hand-made pool of the core's indicator
tests (tests/indicators/pools.py: partners YC, SPORT and ARTS, quarters 2025-Q1 to Q3),
except that SPORT's 2025-Q3 file was rejected (four errors) and ARTS sent nothing for
2025-Q1 or Q3. No indicators are computed: the tracker reads the pool only.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from needle.initiative import open_home
from needle_web.dashboards.tests.homes import empty_home

# On the path thanks to needle_web.dashboards.tests.homes.
from indicators.pools import Data, submit_all  # isort: skip

__all__ = ["REJECTED_REPORT", "tracker_home"]

REJECTED_REPORT = {
    "valid": False,
    "summary": {
        "errors": 4,
        "warnings": 0,
        "by_rule": {
            "code_unknown": {"severity": "error", "count": 3, "listed": 3},
            "required": {"severity": "error", "count": 1, "listed": 1},
        },
    },
    "problems": [],
}


def tracker_home(root: Path) -> Path:
    """The home described above, at ``root``."""
    empty_home(root)
    home = open_home(root)
    data = Data.original()
    with home.open_pool() as pool:
        submit_all(pool, data.only(set(data.submissions()) - {("SPORT", "2025-Q3")}))
        pool.receive(
            org="SPORT",
            period="2025-Q3",
            standard_version="1.0",
            content_sha256=hashlib.sha256(b"SPORT/2025-Q3/bad").hexdigest(),
            tables=None,
            report=REJECTED_REPORT,
            source_name="sport-q3.xlsx",
        )
    return home.root
