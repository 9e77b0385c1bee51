"""Person links for the journeys tests, written by hand as linkage would write them.

The hand-made pool (tests/indicators/pools.py) has ``A1`` at the youth club (YC) and
``A1`` at SPORT; here they are one young person, ``P-0001``: the youth club referred
them to SPORT on 10 January 2025 (R1) and they first played football there on 13
January (session F2). Every other record is left unlinked, so it is its own person,
``ORG:reference``.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

LINKED = "P-0001"
LINKS = [("YC", "A1", LINKED), ("SPORT", "A1", LINKED)]


def write_links(path: Path) -> Path:
    """``person_links.parquet`` (org, person_ref, person_id) at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(LINKS, schema=["org", "person_ref", "person_id"], orient="row").write_parquet(path)
    return path
