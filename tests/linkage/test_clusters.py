"""Person ids from linked records: stable, oldest kept on merge, opaque."""

from __future__ import annotations

import numpy as np
import polars as pl

from needle.linkage.clusters import assign_ids, components


def edges(*pairs: tuple[str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        {"record_l": [a for a, _ in pairs], "record_r": [b for _, b in pairs]},
        schema={"record_l": pl.String, "record_r": pl.String},
    )


def test_components_join_chains_and_ignore_unknown_records():
    labels = components(["a", "b", "c", "d"], edges(("a", "b"), ("b", "c"), ("d", "gone")))
    assert labels[0] == labels[1] == labels[2]
    assert labels[3] != labels[0]


def test_new_records_get_new_opaque_ids():
    out = assign_ids(["YC/A1", "YC/A2"], np.array([0, 1]), {}, {})
    assert len(set(out.person_ids)) == 2
    assert all(p.startswith("P") and len(p) == 17 for p in out.person_ids)
    assert not any("A1" in p or "YC" in p for p in out.person_ids)
    assert sorted(out.created) == sorted(out.person_ids)


def test_a_growing_cluster_keeps_its_id():
    out = assign_ids(["a", "b", "c"], np.array([0, 0, 1]), {"a": "P1"}, {"P1": 1})
    assert out.person_ids[:2] == ["P1", "P1"]
    assert out.person_ids[2] not in ("P1",) and out.created == [out.person_ids[2]]
    assert out.merges == []


def test_a_merge_keeps_the_oldest_id_and_is_recorded():
    previous = {"a": "Pnew", "b": "Pold"}
    out = assign_ids(["a", "b"], np.array([0, 0]), previous, {"Pold": 1, "Pnew": 2})
    assert out.person_ids == ["Pold", "Pold"]
    assert out.merges == [{"kept": "Pold", "absorbed": ["Pnew"]}]
    assert out.created == []


def test_a_split_leaves_the_id_with_the_larger_part():
    previous = {"a": "P1", "b": "P1", "c": "P1"}
    out = assign_ids(["a", "b", "c"], np.array([0, 0, 1]), previous, {"P1": 1})
    assert out.person_ids[:2] == ["P1", "P1"]
    assert out.person_ids[2] != "P1"
    assert out.splits == [{"from": "P1", "new": out.person_ids[2]}]
