"""An exact attacker for protected results: how much can be worked out about a hidden cell?

Given everything published for one indicator, the attacker writes down every linear
relation a knowledgeable reader knows between its cells, and solves two linear programmes
(HiGHS, through needle.indicators.audit.ranges, the same solver core protect() audits with)
per hidden cell: the smallest and the largest value consistent with all of them.
That is the strongest attack on linear relations there is (integrality aside, which can
only narrow intervals by less than one), so a protected table passes when, for every
hidden cell, the interval is at least the threshold wide and a small cell's interval
reaches the threshold.

The relations are written here independently of needle.indicators.disclosure, from the
meaning of each measure kind, so that a relation the production code forgets is still
used against it:

* every kind: counts are never negative;
* ``people`` (distinct young people): in each period a headline is the sum of the groups
  of every person dimension; a parent group is the sum of its nested groups; a partner's
  or provision category's count is at most the headline; a period's count is at most the
  ``all`` count; the ``all`` count is at most the sum of the periods' counts;
* ``events``: every breakdown adds up to the headline, nested groups to their parent, and
  the periods add up to ``all``;
* ``cumulative_people``: cross-sections like ``people``, never falling from one period to
  the next, and ``all`` equal to the last period;
* ``rate`` (attacked on ``n``): person dimensions add up to the headline.

Published numbers are exact, or intervals ``[v - base/2, v + base/2]`` when rounded.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import polars as pl
from scipy.sparse import csr_matrix

from needle.indicators.audit import System, ranges
from needle.indicators.schema import ALL_PERIODS, DIMENSIONS, HEADLINE, PUBLISHED, UNKNOWN

Key = tuple[str, str, str]  # period, breakdown, group


@dataclass(frozen=True)
class Finding:
    """What the attacker learnt about one hidden cell."""

    key: Key
    status: str
    true: float
    low: float
    high: float


def _constraints(
    keys: list[Key], kind: str, nesting: dict[str, dict[str, str]]
) -> tuple[list[dict[int, float]], list[dict[int, float]]]:
    """Equalities (coefficients summing to 0) and inequalities (coefficients <= 0)."""
    index = {k: i for i, k in enumerate(keys)}
    eq: list[dict[int, float]] = []
    ub: list[dict[int, float]] = []
    by_period: dict[str, dict[str, list[Key]]] = defaultdict(lambda: defaultdict(list))
    for k in keys:
        by_period[k[0]][k[1]].append(k)

    def total_minus_parts(total: Key, parts: list[Key]) -> None:
        if total in index and parts:
            row = {index[total]: 1.0}
            for p in parts:
                row[index[p]] = row.get(index[p], 0.0) - 1.0
            eq.append(row)

    for period, breakdowns in by_period.items():
        head = (period, HEADLINE, HEADLINE)
        for dim, cells in breakdowns.items():
            if dim == HEADLINE:
                continue
            person = DIMENSIONS[dim].person
            if kind == "events" or person:
                total_minus_parts(head, cells)
            elif kind in ("people", "cumulative_people"):
                for cell in cells:  # overlapping groups: each at most the headline
                    if head in index:
                        ub.append({index[cell]: 1.0, index[head]: -1.0})
            parent = DIMENSIONS[dim].parent
            if parent and dim in nesting:
                children: dict[str, list[Key]] = defaultdict(list)
                for cell in cells:
                    children[nesting[dim].get(cell[2], UNKNOWN)].append(cell)
                for group, parts in children.items():
                    total_minus_parts((period, parent, group), parts)

    series: dict[tuple[str, str], list[Key]] = defaultdict(list)
    for k in keys:
        if k[0] != ALL_PERIODS:
            series[(k[1], k[2])].append(k)
    for (dim, group), cells in series.items():
        cells.sort()
        everything = (ALL_PERIODS, dim, group)
        if kind == "events":
            total_minus_parts(everything, cells)
        elif kind == "people" and everything in index:
            for cell in cells:
                ub.append({index[cell]: 1.0, index[everything]: -1.0})
            row = {index[everything]: 1.0}
            for cell in cells:
                row[index[cell]] = -1.0
            ub.append(row)
        elif kind == "cumulative_people":
            for before, after in pairwise(cells):
                ub.append({index[before]: 1.0, index[after]: -1.0})
            total_minus_parts(everything, cells[-1:])
    return eq, ub


def attack(
    protected: pl.DataFrame,
    truth: pl.DataFrame,
    kind: str,
    *,
    rounding: int = 0,
    nesting: dict[str, dict[str, str]] | None = None,
    threshold: int | None = None,
) -> list[Finding]:
    """The tightest interval for every hidden cell of one indicator's ``protected`` rows.

    ``truth`` (the same rows before protection) is used only to report each cell's true
    value next to what was learnt, never in the attack itself. Counts are read from ``n``
    (the number disclosure control protects).

    With ``threshold``, only the verdict is exact: a cell whose feasible values seen so far
    (the true table, and every solution found on the way) already span the threshold is
    not solved further, so its ``low``/``high`` are values it can take rather than the
    ends of its interval; :func:`disclosures` gives the same answer either way, faster.
    """
    rows = protected.sort("period", "breakdown", "group")
    keys: list[Key] = list(zip(rows["period"], rows["breakdown"], rows["group"], strict=True))
    true_of = {
        (p, b, g): float(n)
        for p, b, g, n in truth.select("period", "breakdown", "group", "n").iter_rows()
    }
    eq, ub = _constraints(keys, kind, nesting or {})
    lower, upper = [], []
    for status, n in zip(rows["status"], rows["n"], strict=True):
        if status != PUBLISHED:
            lower.append(0.0)
            upper.append(np.inf)
        elif rounding:
            lower.append(max(0.0, n - rounding / 2))
            upper.append(n + rounding / 2)
        else:
            lower.append(float(n))
            upper.append(float(n))

    def matrix(rows_: list[dict[int, float]]) -> csr_matrix:
        r, c, d = [], [], []
        for i, row in enumerate(rows_):
            for j, x in row.items():
                r.append(i)
                c.append(j)
                d.append(x)
        return csr_matrix((d, (r, c)), shape=(len(rows_), len(keys)))

    system = System(
        a_eq=matrix(eq),
        b_eq=np.zeros(len(eq)),
        a_ub=matrix(ub),
        b_ub=np.zeros(len(ub)),
        lower=np.array(lower),
        upper=np.array(upper),
    )
    hidden = [i for i, s in enumerate(rows["status"]) if s != PUBLISHED]
    targets = np.array(hidden, dtype=np.int64)
    if threshold is None:
        found = ranges(system, targets)
    else:
        point = np.array([true_of[k] for k in keys])
        small = np.array([rows["status"][i] == "suppressed_small" for i in hidden], dtype=bool)
        found = ranges(system, targets, point=point, threshold=threshold, primary=small)
    return [
        Finding(keys[i], rows["status"][i], true_of[keys[i]], float(lo), float(hi))
        for i, lo, hi in zip(hidden, found.low, found.high, strict=True)
    ]


def disclosures(findings: list[Finding], threshold: int) -> list[Finding]:
    """The findings that break protection: a hidden cell pinned to an interval narrower
    than the threshold, or a small cell shown to be below the threshold."""
    tol = 1e-6
    return [
        f
        for f in findings
        if f.high - f.low < threshold - tol
        or (f.status == "suppressed_small" and f.high < threshold - tol)
    ]
