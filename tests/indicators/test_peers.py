"""Peer benchmarks: only published cells of the partner audience's table enter them."""

from __future__ import annotations

import polars as pl
import pytest

from needle.indicators.peers import ALL_PARTNERS, peer_benchmarks
from needle.indicators.schema import PUBLISHED, SUPPRESSED


def _table(cells: dict[str, tuple[float, str]]) -> pl.DataFrame:
    """One indicator, one period, a partner row per (partner: (value, status))."""
    return pl.DataFrame(
        {
            "indicator": ["attendances"] * len(cells),
            "period": ["2025-Q2"] * len(cells),
            "breakdown": ["partner"] * len(cells),
            "group": list(cells),
            "value": [value for value, _ in cells.values()],
            "status": [status for _, status in cells.values()],
        }
    )


CATEGORIES = {p: "sport" for p in ("A", "B", "C", "D")}


def test_quartiles_come_from_published_cells_only():
    table = _table(
        {"A": (3, SUPPRESSED), "B": (5, PUBLISHED), "C": (10, PUBLISHED), "D": (20, PUBLISHED)}
    )
    peers = peer_benchmarks(table, CATEGORIES, min_peers=3)
    rows = {r["partner"]: r for r in peers.iter_rows(named=True)}
    # A's hidden 3 is not in the distribution: the median of 5, 10, 20 is 10, not 7.5.
    assert rows["B"]["median"] == pytest.approx(10)
    assert rows["B"]["peers"] == 3
    assert rows["A"]["value"] is None  # its own cell is hidden, so no own value either
    assert rows["A"]["median"] == pytest.approx(10)
    assert (rows["B"]["p25"], rows["B"]["p75"]) == (pytest.approx(7.5), pytest.approx(15))


def test_too_few_published_peers_means_no_benchmark():
    table = _table(
        {"A": (3, SUPPRESSED), "B": (5, SUPPRESSED), "C": (10, PUBLISHED), "D": (20, PUBLISHED)}
    )
    assert peer_benchmarks(table, CATEGORIES, min_peers=3).is_empty()


def test_a_small_category_falls_back_to_all_partners():
    table = _table({p: (v, PUBLISHED) for p, v in zip("ABCD", (4, 6, 8, 10), strict=True)})
    categories = {"A": "arts", "B": "sport", "C": "sport", "D": "sport"}
    rows = {
        r["partner"]: r
        for r in peer_benchmarks(table, categories, min_peers=3).iter_rows(named=True)
    }
    assert rows["A"]["peer_group"] == ALL_PARTNERS and rows["A"]["peers"] == 4
    assert rows["B"]["peer_group"] == "sport" and rows["B"]["median"] == pytest.approx(8)
