"""Diverse, synthetic names suited to each young person's ethnic group.

Why: linkage across organisations fails first on names, and it fails on the names a
borough really has: Polish feminine surnames, patronymic Somali names, two-part Chinese
given names, Muhammad spelt five ways. The pools live in ``names.yaml`` and the nickname
and spelling table in ``nicknames.csv`` (also useful to linkage itself); everything here
is vectorised so a million names cost a fraction of a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import polars as pl
import yaml

# Earlier names in a pool are commoner: index = floor(size * u ** SKEW).
SKEW = 1.7


@dataclass(frozen=True)
class Pool:
    """Names of one kind for every origin, flattened: origin i is ``names[off[i]:off[i+1]]``."""

    names: np.ndarray  # object array of str
    offsets: np.ndarray

    def index(self, rng: np.random.Generator, origin: np.ndarray) -> np.ndarray:
        """Flat positions of one name per person, commoner names more often."""
        start = self.offsets[origin]
        size = self.offsets[origin + 1] - start
        pick = np.floor(size * rng.random(origin.size) ** SKEW).astype(np.int64)
        return start + np.minimum(pick, size - 1)

    def draw(self, rng: np.random.Generator, origin: np.ndarray) -> np.ndarray:
        return self.names[self.index(rng, origin)]


@dataclass(frozen=True)
class NamePools:
    origins: tuple[str, ...]
    given: dict[str, Pool]  # by sex: "female", "male"
    family: dict[str, Pool]  # masculine and feminine forms, aligned
    ethnicities: tuple[str, ...]
    given_origin_p: np.ndarray  # (ethnicity, origin)
    family_origin_p: np.ndarray  # (ethnicity, origin)

    def draw(
        self, rng: np.random.Generator, ethnicity: np.ndarray, female: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Given names, family names and the family name's origin index, per person."""
        eth_idx = np.searchsorted(np.asarray(self.ethnicities), ethnicity)
        g_origin = _categorical(rng, self.given_origin_p[eth_idx])
        f_origin = _categorical(rng, self.family_origin_p[eth_idx])
        given = np.where(
            female,
            self.given["female"].draw(rng, g_origin),
            self.given["male"].draw(rng, g_origin),
        )
        # The masculine and feminine pools are aligned: draw a position once and take the
        # form that matches the person's sex (Kowalski, Kowalska).
        at = self.family["male"].index(rng, f_origin)
        family = np.where(female, self.family["female"].names[at], self.family["male"].names[at])
        return given, family, f_origin


def _categorical(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    """One draw per row of a probability matrix."""
    u = rng.random(p.shape[0])
    return np.minimum((np.cumsum(p, axis=1) < u[:, None]).sum(axis=1), p.shape[1] - 1)


@cache
def name_pools() -> NamePools:
    data = yaml.safe_load(
        (resources.files("needle.synth") / "names.yaml").read_text(encoding="utf-8")
    )
    origins = tuple(data["origins"])
    given = {}
    for sex in ("female", "male"):
        lists = [data["origins"][o][sex] for o in origins]
        given[sex] = _pool(lists)
    masc, fem = [], []
    for o in origins:
        forms = [s.split("/") for s in data["origins"][o]["surnames"]]
        masc.append([f[0] for f in forms])
        fem.append([f[-1] for f in forms])
    family = {"male": _pool(masc), "female": _pool(fem)}
    ethnicities = tuple(sorted(data["ethnicity"]))
    gp = np.zeros((len(ethnicities), len(origins)))
    fp = np.zeros_like(gp)
    for i, eth in enumerate(ethnicities):
        for o, w in data["ethnicity"][eth]["given"].items():
            gp[i, origins.index(o)] = w
        for o, w in data["ethnicity"][eth]["family"].items():
            fp[i, origins.index(o)] = w
    gp /= gp.sum(axis=1, keepdims=True)
    fp /= fp.sum(axis=1, keepdims=True)
    return NamePools(origins, given, family, ethnicities, gp, fp)


def _pool(lists: list[list[str]]) -> Pool:
    sizes = np.array([len(x) for x in lists])
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    names = np.array([n for x in lists for n in x], dtype=object)
    return Pool(names, offsets)


@cache
def nicknames() -> pl.DataFrame:
    """The nickname and spelling-variant table: ``name, variant, kind``."""
    text = (resources.files("needle.synth") / "nicknames.csv").read_bytes()
    return pl.read_csv(text)
