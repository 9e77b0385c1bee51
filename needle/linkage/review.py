"""The review queue: pairs the model is unsure about, decided by the backbone team.

A reviewer sees only what is safe (which partners, pseudonymous references, similarity
levels in words, gender and ward); a decision (confirmed or rejected, who, when) is kept
for good and honoured by every later run, even a full rerun with a retrained model.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from needle.errors import NeedleInputError
from needle.linkage import store

DECISIONS = ("confirmed", "rejected")


def review_queue(home_root: Path) -> pl.DataFrame:
    """Pairs waiting for a decision, most likely matches first."""
    path = store.linkage_dir(home_root) / "review.parquet"
    if not path.exists():
        raise NeedleInputError("Linkage has not run yet. Run `needle link run`.")
    return pl.read_parquet(path)


def decide_pair(home_root: Path, pair: str, decision: str, *, by: str) -> dict[str, str]:
    """Record the backbone's decision on a pair from the review queue (or on any scored
    pair, to undo a wrong link). Applied from the next linkage run."""
    if decision not in DECISIONS:
        raise NeedleInputError(f"A decision is one of {', '.join(DECISIONS)}.")
    if not by.strip():
        raise NeedleInputError("Say who decides (a name or account), for the record.")
    pairs = store.read_parquet(store.linkage_dir(home_root) / "pairs.parquet")
    found = pairs.filter(pl.col("pair_id") == pair) if pairs is not None else None
    if found is None or found.height == 0:
        raise NeedleInputError(
            f"No scored pair {pair!r}. `needle link review list` shows the pairs to decide."
        )
    row = {
        "pair_id": pair,
        "record_l": found["record_l"][0],
        "record_r": found["record_r"][0],
        "decision": decision,
        "decided_by": by.strip(),
        "decided_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    decisions = store.decisions(home_root).filter(pl.col("pair_id") != pair)
    store.save_decisions(
        home_root,
        pl.concat([decisions, pl.DataFrame([row], schema=store.DECISIONS_SCHEMA)]),
    )
    return row
