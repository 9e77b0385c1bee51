"""The exact attacker: how narrowly can a hidden cell be pinned down by linear programming?

:mod:`needle.indicators.disclosure` protects results with fast interval reasoning. Interval
reasoning is weaker than an attacker who combines the relations jointly, so this module
plays that stronger attacker: for a hidden cell it solves two linear programmes (HiGHS),
the smallest and the largest value consistent
with everything published and every relation. That is the strongest attack on linear
relations (integrality aside, which narrows an interval by less than one).

Three uses:

* :func:`ranges` is the core: min and max of chosen variables of a linear system, with a
  shortcut for "is it at least ``threshold`` wide?" (below). tests/indicators/attack.py
  uses it with relations written independently of the production ones.
* :func:`audit_hidden` is what :func:`~needle.indicators.disclosure.protect` runs after
  its fast repair: the hidden cells are split into the connected components of the
  relation graph (hidden cells sharing a relation; published cells are constants, so they
  do not link anything), and each component of at most :data:`AUDIT_LIMIT` cells is
  audited exactly. A component above the limit is audited per period instead (each
  period's hidden cells with the relations among them alone), which catches whatever
  combines margins and nested groups within a period but not what also needs the
  relations between periods; those are left to the fast repair.
* :func:`feasible_intervals` audits one indicator's published rows as a reader sees them
  (rounded values as intervals), with the same relations the protection uses.

What keeps it fast:

* Components without a cycle of relations (the bipartite graph of hidden cells and the
  relations linking two or more of them is a forest) are skipped: on such a network,
  interval propagation to a fixpoint is already exact, so the fast repair's check is the
  exact one.
* A component's programmes differ only in their objective, so HiGHS (through its own
  Python interface, ``highspy``, see :class:`_Solver`) re-solves each from the previous
  optimal basis.
* Every solution is a feasible table, so it shows every hidden cell a value it can take.
  A cell whose values seen so far (the true table; two pseudo-random tables; "every
  unsettled cell as large as it goes, each capped where it would pass") already span the
  threshold, and reach it for a small cell, passes without programmes of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import highspy
import numpy as np
import polars as pl
from scipy.sparse import coo_matrix, csr_matrix, vstack
from scipy.sparse.csgraph import connected_components

if TYPE_CHECKING:
    from needle.indicators.disclosure import _Relations

__all__ = [
    "AUDIT_LIMIT",
    "Ranges",
    "System",
    "Weak",
    "audit_hidden",
    "feasible_intervals",
    "ranges",
]

# Largest component (in hidden cells) audited exactly. A component's programmes grow with
# its size and so does their number when many of its cells are close to the threshold;
# 3,000 keeps one component's audit to seconds at worst while every component of a
# city-sized initiative's tables fits (the demo's largest is under 500; see
# docs/guides/disclosure-control.md for national tables).
AUDIT_LIMIT = 3000
_TOL = 1e-6


@dataclass(frozen=True)
class System:
    """``a_eq @ x == b_eq``, ``a_ub @ x <= b_ub``, ``lower <= x <= upper`` (``inf`` for
    no upper bound)."""

    a_eq: csr_matrix
    b_eq: np.ndarray
    a_ub: csr_matrix
    b_ub: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


@dataclass(frozen=True)
class Ranges:
    """Per target: ``low``/``high`` (exact unless the threshold shortcut settled the cell
    earlier, in which case they are values the cell can take, an inner bound), and for a
    weak target the rows that bind it (non-zero duals): equality rows and ``<=`` rows."""

    low: np.ndarray
    high: np.ndarray
    weak: np.ndarray
    binding_eq: dict[int, np.ndarray]
    binding_ub: dict[int, np.ndarray]


@dataclass(frozen=True)
class _Block:
    """One independent part of a system: its variables and rows, and its own system."""

    variables: np.ndarray
    eq_rows: np.ndarray
    ub_rows: np.ndarray
    system: System
    big: float  # a largest value beyond this means "no largest value"


def _split_system(system: System, blocks: np.ndarray) -> list[_Block]:
    """``system`` cut into the blocks labelled by ``blocks`` (one label per variable;
    no row may span two blocks)."""
    out = []
    a_eq, a_ub = system.a_eq.tocsr(), system.a_ub.tocsr()

    def row_block(a: csr_matrix) -> np.ndarray:
        first = np.full(a.shape[0], -1, dtype=np.int64)
        has = np.diff(a.indptr) > 0
        first[has] = blocks[a.indices[a.indptr[:-1][has]]]
        return first

    eq_block, ub_block = row_block(a_eq), row_block(a_ub)
    for label in np.unique(blocks):
        variables = np.flatnonzero(blocks == label)
        eq_rows = np.flatnonzero(eq_block == label)
        ub_rows = np.flatnonzero(ub_block == label)
        upper = system.upper[variables]
        sub = System(
            a_eq=a_eq[eq_rows][:, variables],
            b_eq=system.b_eq[eq_rows],
            a_ub=a_ub[ub_rows][:, variables],
            b_ub=system.b_ub[ub_rows],
            lower=system.lower[variables],
            upper=upper,
        )
        finite = np.concatenate([sub.lower, upper[np.isfinite(upper)]])
        big = np.abs(sub.b_eq).sum() + np.abs(sub.b_ub).sum() + np.abs(finite).sum()
        out.append(_Block(variables, eq_rows, ub_rows, sub, 2.0 * float(big) + 1000.0))
    return out


class _Solver:
    """One block's programme, re-solved with one objective after another.

    HiGHS through its own Python interface (``highspy``) keeps the model and the last
    optimal basis between solves, so the next objective starts from there: a few pivots
    instead of a fresh solve (SciPy's ``linprog`` would rebuild the model every time)."""

    def __init__(self, block: _Block) -> None:
        self.block = block
        s = block.system
        self.n = s.lower.size
        self.m_eq = s.a_eq.shape[0]
        self.upper = np.minimum(s.upper, 4.0 * block.big)
        self.cost = np.zeros(self.n)
        # The plain binding: highspy.Highs adds Python callbacks, unused here, whose logger
        # prints a banner on the terminal however output_flag is set.
        h = highspy._Highs()
        h.setOptionValue("output_flag", False)
        h.addVars(self.n, s.lower.astype(float), self.upper.astype(float))
        rows = csr_matrix(vstack([s.a_eq, s.a_ub], format="csr"))
        if rows.shape[0]:
            h.addRows(
                rows.shape[0],
                np.concatenate([s.b_eq, np.full(s.b_ub.size, -highspy.kHighsInf)]),
                np.concatenate([s.b_eq, s.b_ub]),
                rows.nnz,
                rows.indptr[:-1].astype(np.int32),
                rows.indices.astype(np.int32),
                rows.data.astype(float),
            )
        self.highs = h

    def solve(
        self, cost: np.ndarray, caps: tuple[np.ndarray, np.ndarray] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Minimise ``cost @ x``: the solution, and the block's equality and ``<=`` rows
        with a non-zero dual. ``caps`` (columns, values) lowers some upper bounds for this
        solve only."""
        s = self.block.system
        upper = self.upper
        if caps is not None:
            upper = upper.copy()
            upper[caps[0]] = np.minimum(upper[caps[0]], caps[1])
        if caps is not None:
            cols = caps[0].astype(np.int32)
            h = self.highs
            h.changeColsBounds(cols.size, cols, s.lower[cols].astype(float), upper[cols])
            try:
                return self.solve(cost)
            finally:
                h.changeColsBounds(cols.size, cols, s.lower[cols].astype(float), self.upper[cols])
        h = self.highs
        changed = np.flatnonzero(cost != self.cost).astype(np.int32)
        if changed.size:
            h.changeColsCost(changed.size, changed, cost[changed].astype(float))
            self.cost = cost.copy()
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            raise ValueError("the relations have no solution")
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"linear programme failed: {h.modelStatusToString(status)}")
        solution = h.getSolution()
        x = np.array(solution.col_value)
        duals = np.array(solution.row_dual)
        binding = np.abs(duals) > 1e-9
        return x, binding[: self.m_eq], binding[self.m_eq :]


def ranges(
    system: System,
    targets: np.ndarray,
    *,
    point: np.ndarray | None = None,
    threshold: float | None = None,
    primary: np.ndarray | None = None,
    blocks: np.ndarray | None = None,
) -> Ranges:
    """The smallest and largest value of each variable in ``targets`` over ``system``
    (``inf`` for a variable with no largest value).

    ``blocks`` labels the variables of a system made of independent parts (one part by
    default); each part is solved on its own. A part's programmes differ only in their
    objective, so HiGHS re-solves each from the last one's optimal basis.

    Without ``threshold`` both ends are solved exactly for every target. With it, a target
    is *settled* as soon as the values seen for it span ``threshold`` (and, where
    ``primary`` is true, reach it); seen are ``point`` (a known solution, such as the true
    table), the solutions of two programmes per block with pseudo-random objectives (fixed
    seed), and every solution found on the way. Only unsettled targets get their largest
    value solved, and only those still unsettled their smallest. A target not settled by
    its exact ends is *weak*: the attacker pins it down.

    Raises ``ValueError`` when the system has no solution (the relations do not hold).
    """
    targets = np.asarray(targets, dtype=np.int64)
    k, n = targets.size, system.lower.size
    primary = np.zeros(k, dtype=bool) if primary is None else np.asarray(primary, dtype=bool)
    low = np.full(k, np.inf) if point is None else point[targets].astype(float)
    high = np.full(k, -np.inf) if point is None else point[targets].astype(float)
    if blocks is None:
        finite = np.concatenate([system.lower, system.upper[np.isfinite(system.upper)]])
        big = np.abs(system.b_eq).sum() + np.abs(system.b_ub).sum() + np.abs(finite).sum()
        everything = np.arange(n)
        eq_rows, ub_rows = np.arange(system.a_eq.shape[0]), np.arange(system.a_ub.shape[0])
        parts = [_Block(everything, eq_rows, ub_rows, system, 2.0 * float(big) + 1000.0)]
    else:
        parts = _split_system(system, blocks)
    where = np.zeros(n, dtype=np.int64)  # each variable's block
    local = np.zeros(n, dtype=np.int64)  # and its position in it
    for b, part in enumerate(parts):
        where[part.variables] = b
        local[part.variables] = np.arange(part.variables.size)
    # The targets of each block, as positions in ``targets`` and in the block.
    order = np.argsort(where[targets], kind="stable")
    cut = np.searchsorted(where[targets][order], np.arange(len(parts) + 1))
    in_block = [order[cut[b] : cut[b + 1]] for b in range(len(parts))]
    binding_eq: dict[int, np.ndarray] = {}
    binding_ub: dict[int, np.ndarray] = {}
    duals_eq: dict[int, np.ndarray] = {}
    duals_ub: dict[int, np.ndarray] = {}
    t = None if threshold is None else float(threshold) - _TOL

    def unsettled() -> np.ndarray:
        if t is None:
            return np.ones(k, dtype=bool)
        return ~((high - low >= t) & (~primary | (high >= t)))

    def unsettled_one(i: int) -> bool:
        return not (high[i] - low[i] >= t and (not primary[i] or high[i] >= t))

    rng = np.random.default_rng(0)
    for b, part in enumerate(parts):
        mine = in_block[b]
        if mine.size == 0:
            continue
        solver = _Solver(part)
        positions = local[targets[mine]]

        def run(cost: np.ndarray, caps=None, solver=solver, mine=mine, positions=positions):
            x, d_eq, d_ub = solver.solve(cost, caps)
            values = x[positions]
            np.minimum.at(low, mine, values)
            np.maximum.at(high, mine, values)
            return x, d_eq, d_ub

        if t is not None:  # a few tables first: together they settle most cells
            for _ in range(2):  # pseudo-random ones
                run(rng.standard_normal(part.variables.size))
            for _ in range(3):
                # Every unsettled cell as large as it goes, but no larger than it needs
                # to be settled: capped, the largest sum spreads over all of them.
                open_ = ~((high[mine] - low[mine] >= t) & (~primary[mine] | (high[mine] >= t)))
                if not open_.any():
                    break
                before = int(open_.sum())
                cols = positions[open_]
                goal = low[mine][open_] + float(threshold)
                goal = np.where(primary[mine][open_], np.maximum(goal, float(threshold)), goal)
                cost = np.zeros(part.variables.size)
                cost[cols] = -1.0
                run(cost, (cols, goal))
                still = ~((high[mine] - low[mine] >= t) & (~primary[mine] | (high[mine] >= t)))
                if int(still.sum()) == before:
                    break
        for i, at in zip(mine.tolist(), positions.tolist(), strict=True):
            for sign in (-1.0, 1.0):  # the largest value first: it settles most small cells
                if t is not None and not unsettled_one(i):
                    break
                cost = np.zeros(part.variables.size)
                cost[at] = sign
                x, d_eq, d_ub = run(cost)
                if sign < 0:
                    high[i] = np.inf if x[at] > part.big else x[at]
                else:
                    low[i] = x[at]
                duals_eq[i] = np.concatenate([duals_eq.get(i, []), part.eq_rows[d_eq]])
                duals_ub[i] = np.concatenate([duals_ub.get(i, []), part.ub_rows[d_ub]])
    weak = unsettled() if t is not None else np.zeros(k, dtype=bool)
    for i in np.flatnonzero(weak):
        binding_eq[int(i)] = np.unique(duals_eq.get(int(i), np.empty(0))).astype(np.int64)
        binding_ub[int(i)] = np.unique(duals_ub.get(int(i), np.empty(0))).astype(np.int64)
    return Ranges(low, high, weak, binding_eq, binding_ub)


# --- relations as a linear system ---------------------------------------------------------


@dataclass(frozen=True)
class _Rows:
    """Every relation with a variable member, as sparse rows over all cells.

    ``kind`` per row: 0 equality, 1 ``<=``. ``const`` is what the constant (non-variable)
    members contribute, moved to the right-hand side. ``coo_*``: the variable members."""

    kind: np.ndarray
    const: np.ndarray
    coo_row: np.ndarray
    coo_cell: np.ndarray
    coo_coef: np.ndarray
    # every member (variable or not), for the repair: row, cell, is the row's total
    all_row: np.ndarray
    all_cell: np.ndarray
    all_total: np.ndarray


def _rows(r: _Relations, v: np.ndarray, var: np.ndarray) -> _Rows:
    """``total - parts == 0`` (``<= 0`` for a relation that only bounds its total by the
    sum of its parts) for each relation, ``lo - hi <= 0`` for each inequality; rows with
    no variable member are dropped."""
    n_rel = int(r.rel.max()) + 1 if r.rel.size else 0
    coef = np.where(r.total, 1.0, -1.0)
    is_var = var[r.cell]
    var_count = np.bincount(r.rel, weights=is_var, minlength=n_rel)
    const = np.bincount(r.rel, weights=np.where(is_var, 0.0, coef * v[r.cell]), minlength=n_rel)
    cover = np.zeros(n_rel, dtype=bool)
    cover[r.rel[r.cover]] = True
    used = np.flatnonzero(var_count > 0)
    renum = np.full(n_rel, -1, dtype=np.int64)
    renum[used] = np.arange(used.size)
    m = used.size
    pair = var[r.lo] | var[r.hi]
    lo, hi = r.lo[pair], r.hi[pair]
    p = lo.size
    pair_rows = m + np.arange(p)
    pair_const = np.where(var[lo], 0.0, v[lo]) - np.where(var[hi], 0.0, v[hi])
    member = (renum[r.rel] >= 0) & is_var
    coo_row = np.concatenate([renum[r.rel][member], pair_rows[var[lo]], pair_rows[var[hi]]])
    coo_cell = np.concatenate([r.cell[member], lo[var[lo]], hi[var[hi]]])
    coo_coef = np.concatenate(
        [coef[member], np.ones(int(var[lo].sum())), -np.ones(int(var[hi].sum()))]
    )
    keep = renum[r.rel] >= 0
    return _Rows(
        kind=np.concatenate([cover[used].astype(np.int8), np.ones(p, dtype=np.int8)]),
        const=np.concatenate([const[used], pair_const]),
        coo_row=coo_row,
        coo_cell=coo_cell,
        coo_coef=coo_coef,
        all_row=np.concatenate([renum[r.rel][keep], pair_rows, pair_rows]),
        all_cell=np.concatenate([r.cell[keep], lo, hi]),
        all_total=np.concatenate([r.total[keep], np.zeros(2 * p, dtype=bool)]),
    )


def _split(rows: _Rows, group: np.ndarray, linking: np.ndarray) -> np.ndarray:
    """Connected components (a label per cell, ``-1`` outside) of the cells with a group
    (``group >= 0``), linked by the linking rows whose variables all share one group."""
    row_group = _row_labels(rows, group)
    use = (row_group >= 0)[rows.coo_row] & linking[rows.coo_row]
    cells = np.flatnonzero(group >= 0)
    position = np.zeros(group.size, dtype=np.int64)
    position[cells] = np.arange(cells.size)
    index = position[rows.coo_cell[use]]
    n_cells, n_rows = cells.size, rows.kind.size
    graph = coo_matrix(
        (np.ones(int(use.sum())), (index, n_cells + rows.coo_row[use])),
        shape=(n_cells + n_rows, n_cells + n_rows),
    )
    _, labels = connected_components(graph, directed=False)
    out = np.full(group.size, -1, dtype=np.int64)
    out[cells] = labels[:n_cells]
    return out


def _row_labels(rows: _Rows, label: np.ndarray) -> np.ndarray:
    """Per row, the label its variables share (``-1`` if they do not, or have none)."""
    n_rows = rows.kind.size
    lab = label[rows.coo_cell]
    big = np.iinfo(np.int64).max
    low = np.full(n_rows, big, dtype=np.int64)
    high = np.full(n_rows, -1, dtype=np.int64)
    np.minimum.at(low, rows.coo_row, lab)
    np.maximum.at(high, rows.coo_row, lab)
    return np.where((low == high) & (low >= 0), low, -1)


def _blocks(rows: _Rows, label: np.ndarray):
    """For each label: its cells, the rows whose variables all have it, and those rows'
    entries (indices into ``rows.coo_*``)."""
    cells = np.flatnonzero(label >= 0)
    row_label = _row_labels(rows, label)
    coo_label = row_label[rows.coo_row]
    by_cell = cells[np.argsort(label[cells], kind="stable")]
    by_row = np.argsort(row_label, kind="stable")
    by_coo = np.argsort(coo_label, kind="stable")
    cell_sorted = label[by_cell]
    row_sorted = row_label[by_row]
    coo_sorted = coo_label[by_coo]
    for lab in np.unique(cell_sorted):
        a, b = np.searchsorted(cell_sorted, [lab, lab + 1])
        c, d = np.searchsorted(row_sorted, [lab, lab + 1])
        e, f = np.searchsorted(coo_sorted, [lab, lab + 1])
        yield np.sort(by_cell[a:b]), np.sort(by_row[c:d]), by_coo[e:f]


def _system(
    rows: _Rows,
    cells: np.ndarray,
    row_ids: np.ndarray,
    coo: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
) -> tuple[System, np.ndarray, np.ndarray]:
    """The linear system of the rows ``row_ids`` (sorted; ``coo`` their entries) over the
    variables ``cells`` (sorted), with the equality and ``<=`` row ids in system order."""
    col = np.searchsorted(cells, rows.coo_cell[coo])
    row = rows.coo_row[coo]
    coef = rows.coo_coef[coo]
    eq_ids = row_ids[rows.kind[row_ids] == 0]
    ub_ids = row_ids[rows.kind[row_ids] == 1]

    def block(ids: np.ndarray) -> csr_matrix:
        pick = np.isin(row, ids)
        return csr_matrix(
            (coef[pick], (np.searchsorted(ids, row[pick]), col[pick])),
            shape=(ids.size, cells.size),
        )

    system = System(
        a_eq=block(eq_ids),
        b_eq=-rows.const[eq_ids],
        a_ub=block(ub_ids),
        b_ub=-rows.const[ub_ids],
        lower=lower,
        upper=upper,
    )
    return system, eq_ids, ub_ids


@dataclass(frozen=True)
class Weak:
    """A hidden cell the exact attacker pins down, and what could protect it.

    ``need`` is how much wider its interval must get (or how much higher its largest value
    for a small cell); ``candidates`` the published members of the relations that bind it
    (``totals`` marks those that are a relation's total)."""

    cell: int
    width: float
    need: float
    candidates: np.ndarray
    totals: np.ndarray


def audit_hidden(
    r: _Relations,
    v: np.ndarray,
    hidden: np.ndarray,
    primary: np.ndarray,
    threshold: float,
    *,
    limit: int = AUDIT_LIMIT,
    passed: set[bytes] | None = None,
) -> list[Weak]:
    """The weakest hidden cell of every component that fails the exact audit.

    ``v`` are the true values (published cells are exact constants to this attacker: the
    protection is decided before rounding, and an attacker who knew the unrounded values
    is only stronger). ``passed`` caches the blocks (by their cells and rows) that passed:
    the hidden cells only grow, so an unchanged block passes again and is skipped.
    """
    in_rel = np.zeros(hidden.size, dtype=bool)
    in_rel[r.cell] = True
    in_rel[r.lo] = True
    in_rel[r.hi] = True
    var = hidden & in_rel
    if int(var.sum()) < 2:
        return []
    rows = _rows(r, v, var)
    # Rows with two or more variables link cells; rows with one only bound it.
    linking = np.bincount(rows.coo_row, minlength=rows.kind.size) >= 2
    label = _split(rows, np.where(var, 0, -1), linking)
    passed = set() if passed is None else passed
    weak: list[Weak] = []

    todo: list[tuple[np.ndarray, np.ndarray, np.ndarray, bytes]] = []

    def audit(block: np.ndarray, row_ids: np.ndarray, coo: np.ndarray) -> None:
        links = linking[row_ids]
        edges = int(links[np.searchsorted(row_ids, rows.coo_row[coo])].sum())
        if edges == block.size + int(links.sum()) - 1:
            return  # no cycle of relations: interval reasoning is already exact
        key = block.tobytes() + b"|" + row_ids.tobytes()
        if key not in passed:
            todo.append((block, row_ids, coo, key))

    oversized = np.zeros(hidden.size, dtype=bool)
    for block, row_ids, coo in _blocks(rows, label):
        if block.size < 2:
            continue
        if block.size <= limit:
            audit(block, row_ids, coo)
        else:
            oversized[block] = True
    if oversized.any() and r.period is not None:
        # Too big: each period on its own, with only the relations within the period.
        period = np.zeros(hidden.size, dtype=np.int64)
        period[: r.period.size] = r.period
        group = np.where(oversized, label * (int(period.max()) + 1) + period, -1)
        sub = _split(rows, group, linking)
        for block, row_ids, coo in _blocks(rows, sub):
            if 2 <= block.size <= limit:
                audit(block, row_ids, coo)
    if not todo:
        return []

    for block, row_ids, coo, key in todo:
        system, eq_ids, ub_ids = _system(
            rows, block, row_ids, coo, np.zeros(block.size), np.full(block.size, np.inf)
        )
        try:
            found = ranges(
                system,
                np.arange(block.size),
                point=v[block],
                threshold=threshold,
                primary=primary[block],
            )
        except ValueError:
            continue  # the true table breaks a relation: nothing exact to say
        if not found.weak.any():
            passed.add(key)
            continue
        width = found.high - found.low
        need = np.maximum(threshold - width, np.where(primary[block], threshold - found.high, 0.0))
        mine = np.flatnonzero(found.weak)
        i = int(mine[np.argmax(need[mine])])
        binding = np.concatenate([eq_ids[found.binding_eq[i]], ub_ids[found.binding_ub[i]]])
        if binding.size == 0:
            binding = row_ids
        member = np.isin(rows.all_row, binding) & ~hidden[rows.all_cell]
        if not member.any():
            member = np.isin(rows.all_row, row_ids) & ~hidden[rows.all_cell]
        cand, first = np.unique(rows.all_cell[member], return_index=True)
        weak.append(
            Weak(
                cell=int(block[i]),
                width=float(width[i]),
                need=float(need[i]),
                candidates=cand,
                totals=rows.all_total[member][first],
            )
        )
    return weak


# --- auditing published rows -------------------------------------------------------------


def feasible_intervals(
    published: pl.DataFrame,
    kind: str,
    *,
    rounding: int = 0,
    nesting: dict[str, dict[str, str]] | None = None,
) -> pl.DataFrame:
    """For every hidden row of one indicator's protected rows, the smallest and largest
    value of its ``n`` consistent with what is published (``rounding``: published values
    are ``[n - rounding/2, n + rounding/2]``) and the relations protection uses for
    ``kind`` (a count kind, or ``derived`` for a rate's or statistic's ``n``).

    Returns the hidden rows' key columns, ``status``, ``low`` and ``high`` (``inf`` when
    nothing bounds the cell).
    """
    from needle.indicators.disclosure import _relations

    if published["indicator"].n_unique() > 1:
        raise ValueError("feasible_intervals audits one indicator at a time")
    cells = published.with_row_index("_cell").with_columns(pl.col("_cell").cast(pl.Int64))
    r = _relations(cells, kind, nesting or {})
    hidden = (cells["status"] != "published").to_numpy()
    v = cells["n"].cast(pl.Float64).fill_null(0.0).to_numpy()
    n = cells.height
    if rounding:
        var = np.ones(n, dtype=bool)
        lower = np.where(hidden, 0.0, np.maximum(v - rounding / 2, 0.0))
        upper = np.where(hidden, np.inf, v + rounding / 2)
    else:
        var = hidden
        lower = np.zeros(n)
        upper = np.full(n, np.inf)
    everything = np.arange(n)
    rows = _rows(r, v, var)
    variables = np.flatnonzero(var)
    system, _, _ = _system(
        rows,
        variables,
        np.arange(rows.kind.size),
        np.arange(rows.coo_row.size),
        lower[variables],
        upper[variables],
    )
    targets = np.searchsorted(variables, everything[hidden])
    found = ranges(system, targets)
    return cells.filter(pl.Series(hidden)).select(
        "indicator",
        "period",
        "breakdown",
        "group",
        "status",
        pl.Series("low", found.low),
        pl.Series("high", found.high),
    )
