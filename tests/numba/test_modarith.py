"""Shoup and Barrett products and the 64x64 -> 128 high word, bit-exact against Python ints
on edge values and random values, for moduli up to the 62-bit limit."""

import pytest

pytest.importorskip("numba", reason='numba is optional: pip install "pyppml[numba]"')

import numpy as np
from numba import njit
from pyppml._core import Prng

from pyppml import numba as pn
from pyppml.numba import kernels
from pyppml.numba.modarith import mul_wide, mulhi, reduce_barrett_64, reduce_barrett_128

M64 = (1 << 64) - 1
MODULI = [2, 3, 97, 12289, (1 << 31) - 1, 1125899906842273, 4611686018427387847, (1 << 62) - 57]


def _words(count, seed):
    return np.asarray(Prng(bytes([seed]) * 32, 0).uint64(count), dtype=np.uint64)


@njit(cache=True)
def _mulhi_all(a, b, hi, lo):
    for i in range(a.shape[0]):
        hi[i] = mulhi(a[i], b[i])
        h, w = mul_wide(a[i], b[i])
        lo[i] = w if h == hi[i] else w + np.uint64(1)  # a mismatch of the two would show


@njit(cache=True)
def _reduce_all(hi, lo, q, rlo, rhi, out128, out64):
    for i in range(hi.shape[0]):
        out128[i] = reduce_barrett_128(hi[i], lo[i], q, rlo, rhi)
        out64[i] = reduce_barrett_64(lo[i], q, rhi)


def test_mulhi_and_mul_wide_exact():
    edge = np.array([0, 1, 2, M64, M64 - 1, 1 << 63, (1 << 32) - 1, 1 << 32], dtype=np.uint64)
    a = np.concatenate([np.repeat(edge, len(edge)), _words(2000, 1)])
    b = np.concatenate([np.tile(edge, len(edge)), _words(2000, 2)])
    hi, lo = np.empty_like(a), np.empty_like(a)
    _mulhi_all(a, b, hi, lo)
    for x, y, h, w in zip(a.tolist(), b.tolist(), hi.tolist(), lo.tolist()):
        assert (h, w) == ((x * y) >> 64, (x * y) & M64)


@pytest.mark.parametrize("q", MODULI, ids=lambda q: f"q{q.bit_length()}b")
def test_mul_shoup_exact_for_any_uint64(q):
    x = np.concatenate([np.array([0, 1, q - 1, q, M64], dtype=np.uint64), _words(500, 3)])
    for w in (0, 1, q - 1, int(_words(1, 4)[0]) % q):
        assert pn.mul_shoup(x, w, q).tolist() == [v * w % q for v in x.tolist()]


@pytest.mark.parametrize("q", MODULI, ids=lambda q: f"q{q.bit_length()}b")
def test_mul_barrett_exact(q):
    a = np.concatenate([np.array([0, 1, q - 1, q - 1], dtype=np.uint64), _words(500, 5) % np.uint64(q)])
    b = np.concatenate([np.array([q - 1, 0, 1, q - 1], dtype=np.uint64), _words(500, 6) % np.uint64(q)])
    assert pn.mul_barrett(a, b, q).tolist() == [x * y % q for x, y in zip(a.tolist(), b.tolist())]


@pytest.mark.parametrize("q", MODULI[2:], ids=lambda q: f"q{q.bit_length()}b")
def test_barrett_reductions_exact_over_their_whole_input_range(q):
    # 128-bit inputs up to q * 2^64 - 1 (hi < q), 64-bit inputs up to 2^64 - 1
    hi = np.concatenate([np.array([0, q - 1, q - 1], dtype=np.uint64), _words(500, 7) % np.uint64(q)])
    lo = np.concatenate([np.array([0, M64, 0], dtype=np.uint64), _words(500, 8)])
    rlo, rhi = pn.barrett_ratio(q)
    o128, o64 = np.empty_like(hi), np.empty_like(hi)
    _reduce_all(hi, lo, np.uint64(q), rlo, rhi, o128, o64)
    assert o128.tolist() == [((h << 64) + w) % q for h, w in zip(hi.tolist(), lo.tolist())]
    assert o64.tolist() == [w % q for w in lo.tolist()]


def test_scalar_and_reduce_kernels_exact():
    q = 4611686018427387847
    x = _words(300, 9)
    out = np.empty_like(x)
    kernels.reduce_mod(x, out, np.uint64(q), pn.barrett_ratio(q)[1])
    assert out.tolist() == [v % q for v in x.tolist()]
