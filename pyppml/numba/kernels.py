"""Unchecked ``@njit`` ring kernels on NumPy ``uint64`` arrays, for use inside your own
``@njit`` code (the checked Python wrappers are in :mod:`pyppml.numba`).

Conventions: a *limb* is a 1-D C-contiguous ``uint64`` array of length n holding residues
in [0, q); ``plan`` is a :func:`pyppml.numba.RingPlan` and ``i`` the index of the limb's
modulus in it; outputs may alias inputs. The NTT is the negacyclic transform of
``pyppml.ring.NttTables`` (same order, bit-identical output): through the C ABI when the
plan holds its handles, else Harvey's lazy butterflies in njit (Harvey 2014), the same
algorithm as csrc/ntt/ntt_scalar.cpp. Every kernel releases the GIL (``nogil=True``), so
threads can work on different arrays at once. Nothing here checks its arguments: out-of-range
inputs give wrong residues, and wrong shapes may read out of bounds.

Example
-------
>>> import numpy as np
>>> from numba import njit
>>> from pyppml.numba import RingPlan, kernels
>>> @njit
... def square_in_ntt(plan, a):          # negacyclic a*a mod (x^n + 1, q_i), limb by limb
...     for i in range(a.shape[0]):
...         kernels.forward_limb(plan, i, a[i])
...         kernels.mul_mod_limb(plan, i, a[i], a[i], a[i])
...         kernels.inverse_limb(plan, i, a[i])
>>> plan = RingPlan(8, [17, 97])
>>> a = np.zeros((2, 8), dtype=np.uint64); a[:, 1] = 1   # the polynomial x
>>> square_in_ntt(plan, a); a[:, 2].tolist()             # x^2
[1, 1]
"""

from __future__ import annotations

import numpy as np
from numba import njit

from pyppml.numba import _capi
from pyppml.numba.modarith import (
    mul_barrett,
    mul_shoup,
    mul_shoup_lazy,
    mulhi,
    reduce_barrett_64,
)

ZERO = np.uint64(0)
ONE = np.uint64(1)
_M1 = np.uint64(0x5555555555555555)
_M2 = np.uint64(0x3333333333333333)
_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
_H01 = np.uint64(0x0101010101010101)
_S1, _S2, _S4, _S56 = np.uint64(1), np.uint64(2), np.uint64(4), np.uint64(56)
_CBD_ETA = 21  # 2*21 bits per coefficient: variance 21/2, sigma 3.24 (SEAL's CBD)
_CBD_MASK = np.uint64((1 << _CBD_ETA) - 1)
_CBD_SHIFT = np.uint64(_CBD_ETA)
_THREE = np.uint64(3)


# ---- NTT ---------------------------------------------------------------------------------

@njit(cache=True, nogil=True)
def ntt_forward_njit(a, q, roots, roots_shoup):
    """In-place forward negacyclic NTT of one limb: input [0, q), output [0, q)."""
    n = a.shape[0]
    two_q = q + q
    gap = n
    m = 1
    while m < n:
        gap >>= 1
        for i in range(m):
            w = roots[m + i]
            ws = roots_shoup[m + i]
            base = 2 * i * gap
            for j in range(base, base + gap):
                x = a[j]
                if x >= two_q:
                    x -= two_q
                t = mul_shoup_lazy(a[j + gap], w, ws, q)
                a[j] = x + t
                a[j + gap] = x - t + two_q
        m <<= 1
    for j in range(n):
        x = a[j]
        if x >= two_q:
            x -= two_q
        a[j] = x - q if x >= q else x


@njit(cache=True, nogil=True)
def ntt_inverse_njit(a, q, inv_roots, inv_roots_shoup, inv_n):
    """In-place inverse negacyclic NTT of one limb (n^-1 folded into the last layer):
    input [0, q), output [0, q). ``inv_n`` is a RingPlan's row (n^-1, Shoup, n^-1*w, Shoup)."""
    n = a.shape[0]
    two_q = q + q
    gap = 1
    m = n >> 1
    while m > 1:
        for i in range(m):
            w = inv_roots[m + i]
            ws = inv_roots_shoup[m + i]
            base = 2 * i * gap
            for j in range(base, base + gap):
                x = a[j]
                y = a[j + gap]
                s = x + y
                a[j] = s - two_q if s >= two_q else s
                a[j + gap] = mul_shoup_lazy(x - y + two_q, w, ws, q)
        gap <<= 1
        m >>= 1
    for j in range(gap):
        x = a[j]
        y = a[j + gap]
        s = x + y
        if s >= two_q:
            s -= two_q
        a[j] = mul_shoup(s, inv_n[0], inv_n[1], q)
        a[j + gap] = mul_shoup(x - y + two_q, inv_n[2], inv_n[3], q)


# ---- eltwise (njit) ----------------------------------------------------------------------

@njit(cache=True, nogil=True)
def add_mod(a, b, out, q):
    """out = a + b mod q, elementwise, for a, b in [0, q)."""
    for j in range(a.shape[0]):
        s = a[j] + b[j]
        out[j] = s - q if s >= q else s


@njit(cache=True, nogil=True)
def sub_mod(a, b, out, q):
    """out = a - b mod q, elementwise, for a, b in [0, q)."""
    for j in range(a.shape[0]):
        x = a[j]
        y = b[j]
        out[j] = x - y if x >= y else x + (q - y)


@njit(cache=True, nogil=True)
def mul_mod(a, b, out, q, ratio_lo, ratio_hi):
    """out = a * b mod q (Barrett), elementwise, for a, b in [0, q)."""
    for j in range(a.shape[0]):
        out[j] = mul_barrett(a[j], b[j], q, ratio_lo, ratio_hi)


@njit(cache=True, nogil=True)
def mul_scalar_mod(a, s, s_shoup, out, q):
    """out = a * s mod q (Shoup), elementwise, for s in [0, q), s_shoup = floor(s * 2^64 / q)."""
    for j in range(a.shape[0]):
        out[j] = mul_shoup(a[j], s, s_shoup, q)


@njit(cache=True, nogil=True)
def reduce_mod(a, out, q, ratio_hi):
    """out = a mod q for any uint64 a (``ratio_hi`` = floor(2^64 / q))."""
    for j in range(a.shape[0]):
        out[j] = reduce_barrett_64(a[j], q, ratio_hi)


# ---- limb kernels on a RingPlan: the C ABI when the plan holds handles --------------------

if _capi.AVAILABLE:
    _c_fwd, _c_inv, _c_mul = _capi.ntt_forward, _capi.ntt_inverse, _capi.eltwise_mul_mod

    @njit(cache=True, nogil=True)
    def forward_limb(plan, i, a):
        """In-place forward NTT of limb ``a`` mod plan.moduli[i]."""
        if plan.handles.shape[0] == 0:
            ntt_forward_njit(a, plan.moduli[i], plan.roots[i], plan.roots_shoup[i])
        elif _c_fwd(plan.handles[i], a.ctypes.data, a.shape[0]) != 0:
            raise RuntimeError("ppml_ntt_forward failed")

    @njit(cache=True, nogil=True)
    def inverse_limb(plan, i, a):
        """In-place inverse NTT of limb ``a`` mod plan.moduli[i]."""
        if plan.handles.shape[0] == 0:
            ntt_inverse_njit(a, plan.moduli[i], plan.inv_roots[i], plan.inv_roots_shoup[i], plan.inv_n[i])
        elif _c_inv(plan.handles[i], a.ctypes.data, a.shape[0]) != 0:
            raise RuntimeError("ppml_ntt_inverse failed")

    @njit(cache=True, nogil=True)
    def mul_mod_limb(plan, i, a, b, out):
        """out = a * b mod plan.moduli[i], elementwise."""
        if plan.handles.shape[0] == 0:
            mul_mod(a, b, out, plan.moduli[i], plan.ratio_lo[i], plan.ratio_hi[i])
        elif _c_mul(a.ctypes.data, b.ctypes.data, out.ctypes.data, a.shape[0], plan.moduli[i]) != 0:
            raise RuntimeError("ppml_eltwise_mul_mod failed")
else:
    @njit(cache=True, nogil=True)
    def forward_limb(plan, i, a):
        """In-place forward NTT of limb ``a`` mod plan.moduli[i]."""
        ntt_forward_njit(a, plan.moduli[i], plan.roots[i], plan.roots_shoup[i])

    @njit(cache=True, nogil=True)
    def inverse_limb(plan, i, a):
        """In-place inverse NTT of limb ``a`` mod plan.moduli[i]."""
        ntt_inverse_njit(a, plan.moduli[i], plan.inv_roots[i], plan.inv_roots_shoup[i], plan.inv_n[i])

    @njit(cache=True, nogil=True)
    def mul_mod_limb(plan, i, a, b, out):
        """out = a * b mod plan.moduli[i], elementwise."""
        mul_mod(a, b, out, plan.moduli[i], plan.ratio_lo[i], plan.ratio_hi[i])


@njit(cache=True, nogil=True)
def add_mod_limb(plan, i, a, b, out):
    """out = a + b mod plan.moduli[i], elementwise."""
    add_mod(a, b, out, plan.moduli[i])


@njit(cache=True, nogil=True)
def sub_mod_limb(plan, i, a, b, out):
    """out = a - b mod plan.moduli[i], elementwise."""
    sub_mod(a, b, out, plan.moduli[i])


# ---- fast base conversion -----------------------------------------------------------------

@njit(cache=True, nogil=True)
def base_convert(conv, x, out):
    """out[j] = sum_i [x_i * (Q/q_i)^-1]_{q_i} * [Q/q_i]_{p_j} mod p_j: the residues of
    x + alpha*Q, 0 <= alpha < k, in the target base. x: (k, n) in [0, q_i); out: (m, n)
    (its rows take the first m primes of conv.dst)."""
    k = x.shape[0]
    n = x.shape[1]
    y = np.empty((k, n), dtype=np.uint64)
    for i in range(k):
        mul_scalar_mod(x[i], conv.qhat_inv[i], conv.qhat_inv_shoup[i], y[i], conv.src[i])
    for j in range(out.shape[0]):
        p = conv.dst[j]
        o = out[j]
        o[:] = 0
        for i in range(k):
            # Shoup's product takes any uint64 y_i (which may exceed p): no reduction first.
            w = conv.qhat_mod[i, j]
            ws = conv.qhat_mod_shoup[i, j]
            yi = y[i]
            for c in range(n):
                s = o[c] + mul_shoup(yi[c], w, ws, p)
                o[c] = s - p if s >= p else s


# ---- samplers fed with CSPRNG words ----------------------------------------------------

@njit(cache=True, nogil=True)
def popcount(x):
    """Number of set bits of a uint64 (SWAR)."""
    x = x - ((x >> _S1) & _M1)
    x = (x & _M2) + ((x >> _S2) & _M2)
    x = (x + (x >> _S4)) & _M4
    return (x * _H01) >> _S56


@njit(cache=True, nogil=True)
def ternary(words, out):
    """out[j] in {-1, 0, 1} (int64) from one uniform 64-bit word each: floor(3 w / 2^64) - 1,
    uniform up to a statistical distance of 2^-64 per coefficient (Lemire's multiply-shift)."""
    for j in range(words.shape[0]):
        out[j] = np.int64(mulhi(words[j], _THREE)) - 1


@njit(cache=True, nogil=True)
def centered_binomial(words, out):
    """out[j] = popcount(b) - popcount(b') (int64) for the low 21 bits b and the next 21 bits
    b' of one uniform word each: the centered binomial law of variance 21/2 (sigma 3.24)."""
    for j in range(words.shape[0]):
        w = words[j]
        out[j] = np.int64(popcount(w & _CBD_MASK)) - np.int64(popcount((w >> _CBD_SHIFT) & _CBD_MASK))


@njit(cache=True, nogil=True)
def signed_to_limb(v, q, out):
    """out = v mod q for small signed int64 v (|v| < q)."""
    for j in range(v.shape[0]):
        x = v[j]
        out[j] = np.uint64(x) if x >= 0 else q - np.uint64(-x)
