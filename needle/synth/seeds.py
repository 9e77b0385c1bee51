"""Independent, reproducible random streams for each part of the generator.

Why: one seed must give byte-identical output, and changing how one partner's sessions
are drawn must not reshuffle every other partner's data. Each stage asks for its own
stream keyed by names (hashed stably, unlike Python's ``hash``), never a shared one.
"""

from __future__ import annotations

import zlib

import numpy as np


def rng_for(seed: int, *keys: str | int) -> np.random.Generator:
    """A generator for ``seed`` and a path of keys such as ("sessions", "TYC", 3)."""
    words = [seed & 0xFFFFFFFF, seed >> 32 & 0xFFFFFFFF]
    for key in keys:
        words.append(key if isinstance(key, int) else zlib.crc32(key.encode("utf-8")))
    return np.random.default_rng(np.random.SeedSequence(words))
