"""Linked records into person ids that stay stable as submissions arrive.

Why stable ids matter: journeys, indicators over time and the review decisions all refer
to a young person by id; if a new quarter's submissions renumbered everyone, last
quarter's numbers could not be compared with this quarter's. So:

- a cluster (connected component of accepted links) keeps the id its records already had;
- when clusters merge, the merged person keeps the **oldest** id (created first), and the
  merge is recorded (which ids were absorbed);
- when a cluster splits (a link rejected on review, a record erased), the oldest id stays
  with the part holding most of its records and the other parts get new ids;
- a new id is opaque (``P`` + 16 random hex digits): nothing about the person is in it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def new_person_id() -> str:
    return "P" + secrets.token_hex(8)


def components(record_ids: list[str], edges: pl.DataFrame) -> np.ndarray:
    """Component label per record (records in ``record_ids`` order); ``edges`` has
    ``record_l`` and ``record_r``. Edges to unknown records are ignored."""
    index = {r: i for i, r in enumerate(record_ids)}
    left = [index.get(r, -1) for r in edges.get_column("record_l").to_list()]
    right = [index.get(r, -1) for r in edges.get_column("record_r").to_list()]
    pairs = np.array([(a, b) for a, b in zip(left, right, strict=True) if a >= 0 and b >= 0])
    n = len(record_ids)
    if pairs.size == 0:
        return np.arange(n)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    return connected_components(graph, directed=False)[1]


@dataclass
class Assignment:
    """Person id per record, the ids created now, and merges/splits for the report."""

    person_ids: list[str]
    created: list[str] = field(default_factory=list)
    merges: list[dict[str, object]] = field(default_factory=list)
    splits: list[dict[str, object]] = field(default_factory=list)


def assign_ids(
    record_ids: list[str],
    labels: np.ndarray,
    previous: dict[str, str],
    age: dict[str, int],
    since: dict[str, int] | None = None,
) -> Assignment:
    """Person ids for the components ``labels`` of ``record_ids``.

    ``previous``: record -> person id from the last run; ``age``: person id -> its
    creation order (smaller is older). A component claims the oldest previous id among
    its records; when two components claim the same id (a split), the one with more of
    that id's records keeps it, then the one with the record seen first (``since``:
    record -> run number).
    """
    since = since or {}
    members: dict[int, list[int]] = {}
    for i, label in enumerate(labels.tolist()):
        members.setdefault(label, []).append(i)
    claims: dict[str, list[tuple[int, int]]] = {}  # id -> (records holding it, component)
    wanted: dict[int, list[str]] = {}
    for label, rows in members.items():
        ids = sorted(
            {previous[record_ids[i]] for i in rows if record_ids[i] in previous},
            key=lambda p: (age.get(p, 1 << 62), p),
        )
        wanted[label] = ids
        if ids:
            held = sum(1 for i in rows if previous.get(record_ids[i]) == ids[0])
            first = min(since.get(record_ids[i], 1 << 62) for i in rows)
            claims.setdefault(ids[0], []).append((held, -first, -min(rows), label))
    winner = {pid: max(c)[-1] for pid, c in claims.items()}
    out = Assignment(person_ids=[""] * len(record_ids))
    for label, rows in members.items():
        ids = wanted[label]
        if ids and winner[ids[0]] == label:
            pid = ids[0]
            if len(ids) > 1:
                out.merges.append({"kept": pid, "absorbed": ids[1:]})
        else:
            pid = new_person_id()
            out.created.append(pid)
            if ids:
                out.splits.append({"from": ids[0], "new": pid})
        for i in rows:
            out.person_ids[i] = pid
    return out
