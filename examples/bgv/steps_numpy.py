"""The hot steps of BGV (tensor, key switching, modulus switching) in vectorized NumPy with
no numba: the same algorithm as steps_numba, so both give bit-identical ciphertexts. The
64x64 -> 128-bit products are built from 32-bit halves; NTT layers are vectorized over all
butterflies and limbs at once (Harvey's lazy butterflies, the order of pyppml's NttTables).
"""

from __future__ import annotations

import numpy as np

_M32 = np.uint64(0xFFFFFFFF)
_32 = np.uint64(32)


def mulhi(a, b):
    """floor(a * b / 2^64), elementwise on uint64."""
    a_lo, a_hi = a & _M32, a >> _32
    b_lo, b_hi = b & _M32, b >> _32
    lohi = a_lo * b_hi
    hilo = a_hi * b_lo
    mid = ((a_lo * b_lo) >> _32) + (lohi & _M32) + (hilo & _M32)
    return a_hi * b_hi + (lohi >> _32) + (hilo >> _32) + (mid >> _32)


def _cond_sub(x, q):
    return np.where(x >= q, x - q, x)


def reduce_barrett_128(hi, lo, q, rlo, rhi):
    """(hi 2^64 + lo) mod q for inputs below q 2^64 (SEAL's barrett_reduce_128)."""
    carry = mulhi(lo, rlo)
    t1 = lo * rhi + carry
    t3 = mulhi(lo, rhi) + (t1 < carry)
    s_lo = hi * rlo
    t1b = t1 + s_lo
    carry2 = mulhi(hi, rlo) + (t1b < t1)
    quot = hi * rhi + t3 + carry2
    return _cond_sub(lo - quot * q, q)


def mul_mod(a, b, q, rlo, rhi):
    return reduce_barrett_128(mulhi(a, b), a * b, q, rlo, rhi)


def mul_shoup(x, w, ws, q):
    return _cond_sub(x * w - mulhi(x, ws) * q, q)


def reduce_mod(x, q, rhi):
    return _cond_sub(x - mulhi(x, rhi) * q, q)


def ntt_forward(a, q, roots, roots_shoup):
    """Forward NTT of each row of a (rows, n); q (rows, 1), roots (rows, n). New array."""
    a = a.copy()
    rows, n = a.shape
    q3 = q.reshape(rows, 1, 1)
    two_q = q3 + q3
    m, gap = 1, n
    while m < n:
        gap >>= 1
        v = a.reshape(rows, m, 2, gap)
        x = v[:, :, 0, :]
        x = np.where(x >= two_q, x - two_q, x)
        w = roots[:, m:2 * m, None]
        ws = roots_shoup[:, m:2 * m, None]
        y = v[:, :, 1, :]
        t = y * w - mulhi(y, ws) * q3
        v[:, :, 0, :] = x + t
        v[:, :, 1, :] = x - t + two_q
        m <<= 1
    q2 = q.reshape(rows, 1)
    a = np.where(a >= q2 + q2, a - q2 - q2, a)
    return _cond_sub(a, q2)


def ntt_inverse(a, q, inv_roots, inv_roots_shoup, inv_n):
    """Inverse NTT of each row; inv_n (rows, 4) as in a RingPlan. New array."""
    a = a.copy()
    rows, n = a.shape
    q3 = q.reshape(rows, 1, 1)
    two_q = q3 + q3
    gap, m = 1, n >> 1
    while m > 1:
        v = a.reshape(rows, m, 2, gap)
        x = v[:, :, 0, :].copy()
        y = v[:, :, 1, :]
        s = x + y
        d = x - y + two_q
        v[:, :, 0, :] = np.where(s >= two_q, s - two_q, s)
        w = inv_roots[:, m:2 * m, None]
        ws = inv_roots_shoup[:, m:2 * m, None]
        v[:, :, 1, :] = d * w - mulhi(d, ws) * q3
        gap <<= 1
        m >>= 1
    q2 = q.reshape(rows, 1)
    x = a[:, :gap].copy()
    y = a[:, gap:]
    s = x + y
    s = np.where(s >= q2 + q2, s - q2 - q2, s)
    d = x - y + q2 + q2
    c = [inv_n[:, i:i + 1] for i in range(4)]
    a[:, :gap] = mul_shoup(s, c[0], c[1], q2)
    a[:, gap:] = mul_shoup(d, c[2], c[3], q2)
    return a


def _col(v, idx):
    return v[idx].reshape(-1, 1)


def _fwd(plan, a, idx):
    return ntt_forward(a, _col(plan.moduli, idx), plan.roots[idx], plan.roots_shoup[idx])


def _inv(plan, a, idx):
    return ntt_inverse(a, _col(plan.moduli, idx), plan.inv_roots[idx], plan.inv_roots_shoup[idx], plan.inv_n[idx])


def multiply(plan, a, b):
    """(a0 + a1 s)(b0 + b1 s) = d0 + d1 s + d2 s^2, all limbs at once."""
    l = a.shape[1]
    idx = np.arange(l)
    q, rlo, rhi = _col(plan.moduli, idx), _col(plan.ratio_lo, idx), _col(plan.ratio_hi, idx)
    d = np.empty((3,) + a.shape[1:], dtype=np.uint64)
    d[0] = mul_mod(a[0], b[0], q, rlo, rhi)
    d[2] = mul_mod(a[1], b[1], q, rlo, rhi)
    d[1] = _cond_sub(mul_mod(a[0], b[1], q, rlo, rhi) + mul_mod(a[1], b[0], q, rlo, rhi), q)
    return d


def relinearize(plan, conv, ksc, d, k0, k1):
    """(d0, d1, d2) -> (c0, c1): digit decomposition of d2 over q_0..q_{l-1}, products with
    the key over Q and P, then division by P with the BGV correction (see steps_numba)."""
    l, n = d.shape[1], d.shape[2]
    L = k0.shape[0]
    kp = k0.shape[1] - L
    coef = _inv(plan, d[2], np.arange(l))
    targets = list(range(l)) + [L + i for i in range(kp)]
    acc0 = np.empty((l + kp, n), dtype=np.uint64)
    acc1 = np.empty_like(acc0)
    for j, pj in enumerate(targets):
        q, rlo, rhi = plan.moduli[pj], plan.ratio_lo[pj], plan.ratio_hi[pj]
        digits = reduce_mod(coef, q, rhi)
        idx = np.full(l, pj)
        digits = _fwd(plan, digits, idx)
        if j < l:
            digits[j] = d[2, j]  # same value: its own prime's NTT is the input row
        s0 = np.zeros(n, dtype=np.uint64)
        s1 = np.zeros(n, dtype=np.uint64)
        for i in range(l):
            s0 = _cond_sub(s0 + mul_mod(digits[i], k0[i, pj], q, rlo, rhi), q)
            s1 = _cond_sub(s1 + mul_mod(digits[i], k1[i, pj], q, rlo, rhi), q)
        acc0[j], acc1[j] = s0, s1
    out = np.empty((2, l, n), dtype=np.uint64)
    out[0] = _mod_down(plan, conv, ksc, acc0, l, d[0])
    out[1] = _mod_down(plan, conv, ksc, acc1, l, d[1])
    return out


def _mod_down(plan, conv, ksc, acc, l, base):
    kp = acc.shape[0] - l
    L = plan.moduli.shape[0] - kp
    pidx = np.arange(L, L + kp)
    v = _inv(plan, acc[l:], pidx)
    v = mul_shoup(v, ksc[0, :kp].reshape(-1, 1), ksc[1, :kp].reshape(-1, 1), _col(plan.moduli, pidx))
    lifted = base_convert(conv, v, l)
    qidx = np.arange(l)
    lifted = _fwd(plan, lifted, qidx)
    q = _col(plan.moduli, qidx)
    x = mul_shoup(acc[:l], ksc[2, :l].reshape(-1, 1), ksc[3, :l].reshape(-1, 1), q)
    y = mul_shoup(lifted, ksc[4, :l].reshape(-1, 1), ksc[5, :l].reshape(-1, 1), q)
    r = np.where(x >= y, x - y, x + (q - y))
    return _cond_sub(base + r, q)


def base_convert(conv, x, m):
    """Fast base conversion of x (k, n) to the first m primes of conv.dst."""
    k = x.shape[0]
    y = mul_shoup(x, conv.qhat_inv.reshape(-1, 1), conv.qhat_inv_shoup.reshape(-1, 1), conv.src.reshape(-1, 1))
    out = np.empty((m, x.shape[1]), dtype=np.uint64)
    for j in range(m):
        p, rlo, rhi = conv.dst[j], conv.dst_ratio_lo[j], conv.dst_ratio_hi[j]
        acc = np.zeros(x.shape[1], dtype=np.uint64)
        for i in range(k):
            acc = _cond_sub(acc + mul_mod(reduce_mod(y[i], p, rhi), conv.qhat_mod[i, j], p, rlo, rhi), p)
        out[j] = acc
    return out


def mod_switch(plan, msc, ct):
    """Drop the last prime of ct (2, l+1, n), keeping the plaintext mod t (see steps_numba)."""
    l = ct.shape[1] - 1
    ql = plan.moduli[l]
    cs = msc[l]
    last = _inv(plan, ct[:, l], np.array([l, l]))
    last = mul_shoup(last, cs[0, 0], cs[1, 0], ql)
    out = np.empty((2, l) + ct.shape[2:], dtype=np.uint64)
    idx = np.arange(l)
    q, rhi = _col(plan.moduli, idx), _col(plan.ratio_hi, idx)
    for k in range(2):
        v = last[k][None, :]
        neg = reduce_mod(np.broadcast_to(ql - v, (l, v.shape[1])), q, rhi)
        tmp = np.where(v > (ql >> np.uint64(1)), np.where(neg != 0, q - neg, neg),
                       reduce_mod(np.broadcast_to(v, (l, v.shape[1])), q, rhi))
        tmp = _fwd(plan, tmp, idx)
        x = mul_shoup(ct[k, :l], cs[2, :l].reshape(-1, 1), cs[3, :l].reshape(-1, 1), q)
        y = mul_shoup(tmp, cs[4, :l].reshape(-1, 1), cs[5, :l].reshape(-1, 1), q)
        out[k] = np.where(x >= y, x - y, x + (q - y))
    return out
