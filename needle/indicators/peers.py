"""Comparative performance: each partner's measures beside the anonymous distribution of
similar partners.

Similar means sharing a main provision category (the category of most of a partner's
sessions). A partner sees its own value with the median and quartiles of its peer group,
never another partner's name or value, and only when at least ``min_peers`` partners
(itself included) contribute a value. A group smaller than that falls back to all
partners, labelled as such, if *they* are enough; otherwise nothing is shown.

Why the distribution is drawn from the partner audience's *protected* table, and only
from its published cells: quartiles of a few values give those values back (with three
peers, linear quartiles determine all three), so every value that enters must be one the
disclosure control already lets partners and the steering group see. A cell hidden by
primary or secondary suppression never enters, or a partner could recover its own hidden
number, and from it, through the margins, a small count.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from needle.indicators.schema import PUBLISHED

ALL_PARTNERS = "all_partners"
PEER_SCHEMA = {
    "indicator": pl.String,
    "period": pl.String,
    "partner": pl.String,
    "value": pl.Float64,
    "peer_group": pl.String,
    "peers": pl.Int64,
    "p25": pl.Float64,
    "median": pl.Float64,
    "p75": pl.Float64,
}


def main_categories(sessions: pl.DataFrame) -> dict[str, str]:
    """Each partner's main provision category from (org, provision_category, sessions)
    rows; ties go to the alphabetically first category so the answer is stable."""
    if sessions.is_empty():
        return {}
    ranked = sessions.sort(
        ["org", "sessions", "provision_category"], descending=[False, True, False]
    )
    return dict(ranked.unique("org", keep="first").select("org", "provision_category").iter_rows())


def _quartiles(values: np.ndarray) -> tuple[float, float, float]:
    q = np.quantile(values, [0.25, 0.5, 0.75])
    return float(q[0]), float(q[1]), float(q[2])


def peer_benchmarks(
    protected: pl.DataFrame,
    categories: dict[str, str],
    *,
    min_peers: int,
) -> pl.DataFrame:
    """Peer distributions for every indicator with a partner breakdown, per period.

    ``protected`` is the partner audience's protected table (with ``status``); the output
    has one row per (indicator, period, partner) whose peer group is large enough,
    holding the partner's own value (null when its own cell is not published) and its
    peers' quartiles, computed from published cells only.
    """
    rows = protected.filter(pl.col("breakdown") == "partner").select(
        "indicator",
        "period",
        partner="group",
        value="value",
        published=pl.col("status").fill_null(PUBLISHED) == PUBLISHED
        if "status" in protected.columns
        else pl.lit(True),
    )
    if rows.is_empty():
        return pl.DataFrame(schema=PEER_SCHEMA)
    rows = rows.with_columns(
        category=pl.col("partner").replace_strict(categories, default=None),
        usable=pl.col("published") & pl.col("value").is_not_null() & pl.col("value").is_finite(),
    )
    out: list[dict] = []
    for (indicator, period), block in rows.group_by(["indicator", "period"], maintain_order=True):
        usable = block.filter(pl.col("usable"))
        everyone = usable["value"].to_numpy()
        for partner, own, category, ok in block.select(
            "partner", "value", "category", "usable"
        ).iter_rows():
            group = usable.filter(pl.col("category") == category) if category else usable.clear()
            label, values = category, group["value"].to_numpy()
            if len(values) < min_peers:
                label, values = ALL_PARTNERS, everyone
            if len(values) < min_peers:
                continue
            p25, median, p75 = _quartiles(values)
            out.append(
                {
                    "indicator": indicator,
                    "period": period,
                    "partner": partner,
                    "value": own if ok else None,
                    "peer_group": label,
                    "peers": len(values),
                    "p25": p25,
                    "median": median,
                    "p75": p75,
                }
            )
    return pl.DataFrame(out, schema=PEER_SCHEMA)


def for_partner(peers: pl.DataFrame, partner: str) -> pl.DataFrame:
    """What one partner may see: its own rows only (the ``partner`` column is its own)."""
    return peers.filter(pl.col("partner") == partner)


def partner_view(protected: pl.DataFrame, partner: str) -> pl.DataFrame:
    """The partner audience's results for one partner: collective numbers, and of the
    per-partner rows only its own."""
    own = (pl.col("breakdown") != "partner") | (pl.col("group") == partner)
    frame = protected.filter(own)
    if "status" in frame.columns:
        return frame
    return frame.with_columns(pl.lit(PUBLISHED).alias("status"))
