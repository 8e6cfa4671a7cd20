"""Samplers fed with CSPRNG words, against their exact definitions: ternary = floor(3w/2^64)-1
(the three preimage intervals differ in size by at most one word: uniform to 2^-64) and
centered binomial = popcount(low 21 bits) - popcount(next 21 bits)."""

import pytest

pytest.importorskip("numba", reason='numba is optional: pip install "pyppml[numba]"')

import numpy as np
from pyppml._core import Prng

from pyppml import numba as pn

M64 = (1 << 64) - 1


def test_ternary_exact_map_and_interval_edges():
    b1, b2 = -(-(1 << 64) // 3), -(-(2 << 64) // 3)  # first words mapped to 0 and to 1
    edges = [0, b1 - 1, b1, b2 - 1, b2, M64]
    words = np.concatenate([np.array(edges, dtype=np.uint64), np.asarray(Prng(b"\x01" * 32, 0).uint64(2000), dtype=np.uint64)])
    got = pn.ternary(words)
    assert got.dtype == np.int64
    assert got.tolist() == [(w * 3 >> 64) - 1 for w in words.tolist()]
    assert got[:6].tolist() == [-1, -1, 0, 0, 1, 1]
    assert {b1, b2 - b1, (1 << 64) - b2} <= {(1 << 64) // 3, (1 << 64) // 3 + 1}  # near-equal intervals


def test_centered_binomial_exact_map():
    words = np.concatenate([np.array([0, M64, (1 << 21) - 1, ((1 << 21) - 1) << 21], dtype=np.uint64),
                            np.asarray(Prng(b"\x02" * 32, 0).uint64(2000), dtype=np.uint64)])
    got = pn.centered_binomial(words)
    mask = (1 << 21) - 1
    assert got.tolist() == [(w & mask).bit_count() - ((w >> 21) & mask).bit_count() for w in words.tolist()]
    assert got[:4].tolist() == [0, 0, 21, -21]
