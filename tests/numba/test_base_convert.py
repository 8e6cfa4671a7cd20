"""Fast RNS base conversion: exactly the HPS formula sum_i [x_i (Q/q_i)^-1]_{q_i} (Q/q_i)
mod p_j (Python ints), which is X + alpha Q with 0 <= alpha < k (a wrong constant or a
dropped term breaks one of the two)."""

import pytest

pytest.importorskip("numba", reason='numba is optional: pip install "pyppml[numba]"')

import numpy as np
from pyppml._core import Prng

from pyppml import numba as pn
from pyppml import ring


def test_base_convert_exact_and_alpha_in_range():
    n = 64
    src = ring.find_ntt_primes(50, n, 3)
    dst = ring.find_ntt_primes(61, n, 2) + ring.find_ntt_primes(30, n, 1)
    Q = src[0] * src[1] * src[2]
    prng = Prng(b"\x07" * 32, 0)
    X = [int.from_bytes(prng.random_bytes(24), "little") % Q for _ in range(n)]
    X[0], X[1] = 0, Q - 1
    x = np.array([[v % q for v in X] for q in src], dtype=np.uint64)
    got = pn.base_convert(pn.BaseConversion(src, dst), x)
    for c, v in enumerate(X):
        y = [(v % q) * pow(Q // q % q, -1, q) % q for q in src]
        for j, p in enumerate(dst):
            assert int(got[j, c]) == sum(yi * (Q // q) for yi, q in zip(y, src)) % p
        alpha = (sum(yi * (Q // q) for yi, q in zip(y, src)) - v) // Q
        assert 0 <= alpha < len(src)
        assert all(int(got[j, c]) == (v + alpha * Q) % p for j, p in enumerate(dst))
