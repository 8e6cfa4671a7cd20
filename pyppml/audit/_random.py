"""Random splits and subsets for the audits, from the project's CSPRNG (ChaCha20 keyed by
the OS); a seeded ``pyppml._core.Prng`` comes in only through the test-only ``prng=``
argument of the public functions."""

from __future__ import annotations

import numpy as np

from pyppml import _core


def generator(prng=None):
    return _core.Prng() if prng is None else prng


def permutation(n: int, prng) -> np.ndarray:
    """A uniform random permutation of range(n): the order of n independent 64-bit keys
    (a tie, probability < n^2 / 2^65, only makes it non-uniform by that much)."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    return np.argsort(prng.uint64(n), kind="stable")
