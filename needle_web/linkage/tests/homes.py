"""An initiative home for the linkage pages: a real home (``needle.init_home``, partners
YC, SPORT and ARTS) holding the linkage engine's hand-made young people
(tests/linkage/people.py: two people recorded by two partners, a duplicate within one
partner, and twins the model is unsure about), linked by the core. Its review queue has
one pair: the twins."""

from __future__ import annotations

import sys
from pathlib import Path

from needle.initiative import open_home
from needle.linkage import link
from needle_web.dashboards.tests.homes import empty_home

# The core's test helpers live in tests/ (on the path when tests/ is collected; added here
# so that `pytest needle_web` alone works too).
_TESTS = Path(__file__).resolve().parents[3] / "tests"
if str(_TESTS) not in sys.path:
    sys.path.insert(0, str(_TESTS))

from linkage.people import PEOPLE, pooled_people, submit  # noqa: E402

__all__ = ["PEOPLE", "linked_home", "pooled_people", "unlinked_home"]


def unlinked_home(root: Path) -> Path:
    """A home with the young people pooled and linkage never run."""
    empty_home(root)
    with open_home(root).open_pool() as pool:
        submit(pool, PEOPLE)
    return root


def linked_home(root: Path) -> Path:
    """The same home after one linkage run."""
    unlinked_home(root)
    link(open_home(root))
    return root
