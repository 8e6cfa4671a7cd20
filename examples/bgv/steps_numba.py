"""The hot steps of BGV in nopython code on pyppml's ring kernels: the ciphertext tensor,
key switching (digit decomposition over the RNS primes, hybrid with special primes P and
the BGV-corrected division by P) and modulus switching (drop a prime, plaintext mod t kept).

Every array is uint64, limb-major (limbs, n), NTT form unless said otherwise; plan indices
0..L-1 are the primes of Q, L..L+k-1 those of P. ``ksc`` / ``msc`` are the constant tables
that scheme.py builds once per parameter set.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from pyppml.numba import kernels
from pyppml.numba.modarith import (
    mul_barrett,
    mul_shoup,
    mul_wide,
    reduce_barrett_64,
    reduce_barrett_128,
)

ZERO = np.uint64(0)
ONE = np.uint64(1)


@njit(cache=True, nogil=True)
def multiply(plan, a, b):
    """(a0 + a1 s)(b0 + b1 s) = d0 + d1 s + d2 s^2: the size-3 tensor, limb by limb."""
    l = a.shape[1]
    n = a.shape[2]
    d = np.empty((3, l, n), dtype=np.uint64)
    for i in range(l):
        q = plan.moduli[i]
        rlo = plan.ratio_lo[i]
        rhi = plan.ratio_hi[i]
        a0, a1, b0, b1 = a[0, i], a[1, i], b[0, i], b[1, i]
        for c in range(n):
            d[0, i, c] = mul_barrett(a0[c], b0[c], q, rlo, rhi)
            d[2, i, c] = mul_barrett(a1[c], b1[c], q, rlo, rhi)
            # a0*b1 + a1*b0 < 2 q^2 < q * 2^64: one Barrett reduction of the 128-bit sum
            h1, l1 = mul_wide(a0[c], b1[c])
            h2, l2 = mul_wide(a1[c], b0[c])
            lo = l1 + l2
            hi = h1 + h2 + (ONE if lo < l1 else ZERO)
            d[1, i, c] = reduce_barrett_128(hi, lo, q, rlo, rhi)
    return d


@njit(cache=True, nogil=True)
def key_switch(plan, conv, ksc, c2, k0, k1, out0, out1):
    """out += KeySwitch(c2): (out0, out1) += (u0, u1) with u0 + u1 s = c2 * s' + t * noise.

    c2: (l, n) NTT over q_0..q_{l-1}; k0, k1: (L, L+k, n) the key's digit rows over Q and P;
    out0, out1: (l, n) NTT, updated in place.
    """
    l = c2.shape[0]
    n = c2.shape[1]
    L = k0.shape[0]
    kp = k0.shape[1] - L
    coef = c2.copy()
    for i in range(l):
        kernels.inverse_limb(plan, i, coef[i])  # digit i = [c2]_{q_i}, coefficient form
    tmp = np.empty(n, dtype=np.uint64)
    hi0 = np.empty(n, dtype=np.uint64)
    lo0 = np.empty(n, dtype=np.uint64)
    hi1 = np.empty(n, dtype=np.uint64)
    lo1 = np.empty(n, dtype=np.uint64)
    acc0 = np.empty((l + kp, n), dtype=np.uint64)
    acc1 = np.empty((l + kp, n), dtype=np.uint64)
    for j in range(l + kp):
        pj = j if j < l else L + (j - l)  # plan index of target limb j
        q = plan.moduli[pj]
        rhi = plan.ratio_hi[pj]
        hi0[:] = 0
        lo0[:] = 0
        hi1[:] = 0
        lo1[:] = 0
        for i in range(l):
            if i == j:
                tmp[:] = c2[i]  # the digit is already in NTT form mod its own prime
            else:
                kernels.reduce_mod(coef[i], tmp, q, rhi)
                kernels.forward_limb(plan, pj, tmp)
            r0 = k0[i, pj]
            r1 = k1[i, pj]
            # Lazy: sum of l products < 2^128 for l <= 16 and q < 2^62; one reduction below.
            for c in range(n):
                h, w = mul_wide(tmp[c], r0[c])
                s = lo0[c] + w
                hi0[c] += h + (ONE if s < w else ZERO)
                lo0[c] = s
                h, w = mul_wide(tmp[c], r1[c])
                s = lo1[c] + w
                hi1[c] += h + (ONE if s < w else ZERO)
                lo1[c] = s
        rlo = plan.ratio_lo[pj]
        for c in range(n):
            # hi mod q first, so that the 128-bit input is below q * 2^64
            acc0[j, c] = reduce_barrett_128(reduce_barrett_64(hi0[c], q, rhi), lo0[c], q, rlo, rhi)
            acc1[j, c] = reduce_barrett_128(reduce_barrett_64(hi1[c], q, rhi), lo1[c], q, rlo, rhi)
    _mod_down(plan, conv, ksc, acc0, l, out0)
    _mod_down(plan, conv, ksc, acc1, l, out1)


@njit(cache=True, nogil=True)
def _mod_down(plan, conv, ksc, acc, l, out):
    """out += (x - delta) / P over q_0..q_{l-1}, delta = t * [x * t^-1]_P (lifted by fast base
    conversion): delta = x mod P and 0 mod t, so the plaintext mod t is unchanged.
    ksc rows: 0 t^-1 mod p_i (k), 1 its Shoup, 2 P^-1 mod q_j (L), 3 Shoup, 4 t*P^-1 mod q_j, 5 Shoup."""
    L = plan.moduli.shape[0] - (acc.shape[0] - l)
    kp = acc.shape[0] - l
    n = acc.shape[1]
    v = np.empty((kp, n), dtype=np.uint64)
    for i in range(kp):
        v[i] = acc[l + i]
        kernels.inverse_limb(plan, L + i, v[i])
        kernels.mul_scalar_mod(v[i], ksc[0, i], ksc[1, i], v[i], plan.moduli[L + i])
    lifted = np.empty((l, n), dtype=np.uint64)
    kernels.base_convert(conv, v, lifted)
    for j in range(l):
        q = plan.moduli[j]
        kernels.forward_limb(plan, j, lifted[j])
        pinv, pinv_s, tpinv, tpinv_s = ksc[2, j], ksc[3, j], ksc[4, j], ksc[5, j]
        for c in range(n):
            x = mul_shoup(acc[j, c], pinv, pinv_s, q)
            y = mul_shoup(lifted[j, c], tpinv, tpinv_s, q)
            r = x - y if x >= y else x + (q - y)
            s = out[j, c] + r
            out[j, c] = s - q if s >= q else s


@njit(cache=True, nogil=True)
def relinearize(plan, conv, ksc, d, k0, k1):
    """(d0, d1, d2) -> (c0, c1) with c0 + c1 s = d0 + d1 s + d2 s^2 + t * noise."""
    out0 = d[0].copy()
    out1 = d[1].copy()
    key_switch(plan, conv, ksc, d[2], k0, k1, out0, out1)
    ct = np.empty((2, d.shape[1], d.shape[2]), dtype=np.uint64)
    ct[0] = out0
    ct[1] = out1
    return ct


@njit(cache=True, nogil=True)
def mod_switch(plan, msc, ct):
    """Drop the last prime q_l of ct (2, l+1, n) -> (2, l, n), keeping the plaintext mod t:
    c' = ([q_l]_t * c - delta) / q_l with delta = t * [c * [q_l]_t * t^-1]_{q_l} (centered).
    msc[l] rows: 0 the scalar [q_l]_t * t^-1 mod q_l and 1 its Shoup; then per j < l:
    2 [q_l]_t * q_l^-1 mod q_j, 3 Shoup, 4 t * q_l^-1 mod q_j, 5 Shoup."""
    l = ct.shape[1] - 1
    n = ct.shape[2]
    ql = plan.moduli[l]
    half = ql >> ONE
    cs = msc[l]
    out = np.empty((2, l, n), dtype=np.uint64)
    last = np.empty(n, dtype=np.uint64)
    tmp = np.empty(n, dtype=np.uint64)
    for k in range(2):
        last[:] = ct[k, l]
        kernels.inverse_limb(plan, l, last)
        kernels.mul_scalar_mod(last, cs[0, 0], cs[1, 0], last, ql)
        for j in range(l):
            q = plan.moduli[j]
            rhi = plan.ratio_hi[j]
            for c in range(n):
                v = last[c]
                if v > half:  # centered lift: v - q_l
                    r = reduce_barrett_64(ql - v, q, rhi)
                    tmp[c] = q - r if r != ZERO else ZERO
                else:
                    tmp[c] = reduce_barrett_64(v, q, rhi)
            kernels.forward_limb(plan, j, tmp)
            a, a_s, b, b_s = cs[2, j], cs[3, j], cs[4, j], cs[5, j]
            src = ct[k, j]
            dst = out[k, j]
            for c in range(n):
                x = mul_shoup(src[c], a, a_s, q)
                y = mul_shoup(tmp[c], b, b_s, q)
                dst[c] = x - y if x >= y else x + (q - y)
    return out
