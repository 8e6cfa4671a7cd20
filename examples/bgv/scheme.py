"""BGV (Brakerski-Gentry-Vaikuntanathan 2012) over RNS in NTT form, written in Python on
pyppml's ring layer: key generation, encryption, decryption, addition, multiplication with
relinearization (digit decomposition over the RNS primes, hybrid with special primes P),
and modulus switching that keeps the plaintext mod t. Plaintexts are polynomials of
Z_t[x]/(x^n + 1) (coefficient encoding).

The hot steps (tensor, key switching, modulus switching) come from ``steps_numba`` (nopython
code on pyppml.numba's kernels, NTTs through the C ABI) or ``steps_numpy`` (the same
algorithm in vectorized NumPy, no numba); both give bit-identical ciphertexts.

This is a teaching prototype: it has no parameter-security check and no side-channel care.
"""

from __future__ import annotations

import numpy as np
from pyppml._core import Prng

from pyppml import ParameterError
from pyppml.numba import BaseConversion, RingPlan, kernels, ntt_forward, ntt_inverse
from pyppml.numba import add_mod as _add
from pyppml.numba import mul_mod as _mul
from pyppml.numba import sub_mod as _sub
from pyppml.numba.checked import centered_binomial, ternary


def _shoup(w: int, q: int) -> int:
    return (w << 64) // q


class BgvContext:
    """BGV parameters, keys and operations.

    Parameters
    ----------
    n : int
        Ring degree (power of two).
    t : int
        Plaintext modulus, >= 2 and coprime with every prime.
    q_moduli, p_moduli : list of int
        Ciphertext primes q_0..q_{L-1} (q_0 is the last one left by modulus switching) and
        special primes of key switching; all NTT-friendly for n, below 2**62, and P must
        exceed every q_i (the key-switching noise is divided by P).
    backend : {"numba", "numpy"}
        Where the hot steps run.
    prng : pyppml._core.Prng, optional
        Test-only: a seeded generator for reproducible keys and ciphertexts.

    Example
    -------
    >>> from pyppml import ring
    >>> qs = ring.find_ntt_primes(40, 1024, 3)
    >>> ctx = BgvContext(1024, 257, qs[1:], qs[:1])
    >>> ctx.keygen()
    >>> m = np.arange(1024) % 257
    >>> ct = ctx.multiply(ctx.encrypt(m), ctx.encrypt(m))
    >>> bool(np.array_equal(ctx.decrypt(ct), negacyclic_mul(m, m, 257)))
    True
    """

    def __init__(self, n, t, q_moduli, p_moduli, backend="numba", prng=None):
        api = "BgvContext"
        qs, ps = [int(q) for q in q_moduli], [int(p) for p in p_moduli]
        if not qs or not ps:
            raise ParameterError(f"{api}: q_moduli and p_moduli must be non-empty; got {len(qs)} and {len(ps)} primes")
        if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 2 or any(np.gcd(int(t), m) != 1 for m in qs + ps):
            raise ParameterError(f"{api}: t is not a modulus coprime with the primes; expected an int >= 2, got {t!r}")
        if min(ps) < max(qs) or len(ps) > 4 or len(qs) > 16:
            raise ParameterError(f"{api}: p_moduli must each exceed every q (at most 4 of them, at most 16 q); "
                                 f"got {len(ps)} p, {len(qs)} q")
        self.n, self.t, self.q, self.p = int(n), int(t), qs, ps
        self.L, self.k = len(qs), len(ps)
        self.plan = RingPlan(n, qs + ps)
        self.backend = backend
        self.steps = _steps(backend)
        self.conv = BaseConversion(ps, qs)
        self._prng = prng if prng is not None else Prng()
        P = int(np.prod([int(p) for p in ps], dtype=object))
        t = self.t
        width = max(self.L, self.k)
        ksc = np.zeros((6, width), dtype=np.uint64)
        for i, p in enumerate(ps):
            ti = pow(t, -1, p)
            ksc[0, i], ksc[1, i] = ti, _shoup(ti, p)
        for j, q in enumerate(qs):
            pinv = pow(P % q, -1, q)
            tp = t * pinv % q
            ksc[2, j], ksc[3, j], ksc[4, j], ksc[5, j] = pinv, _shoup(pinv, q), tp, _shoup(tp, q)
        self.ksc = ksc
        msc = np.zeros((self.L, 6, self.L), dtype=np.uint64)
        for l in range(1, self.L):
            ql = qs[l]
            qlt = ql % t
            qlt = qlt - t if qlt > t // 2 else qlt  # centered [q_l]_t: smaller noise growth
            s = qlt * pow(t, -1, ql) % ql
            msc[l, 0, 0], msc[l, 1, 0] = s, _shoup(s, ql)
            for j in range(l):
                q = qs[j]
                inv = pow(ql, -1, q)
                a, b = qlt * inv % q, t * inv % q
                msc[l, 2, j], msc[l, 3, j], msc[l, 4, j], msc[l, 5, j] = a, _shoup(a, q), b, _shoup(b, q)
        self.msc = msc
        self.secret = None

    # ---- sampling (pyppml's CSPRNG words, turned into coefficients by njit helpers) -----

    def _ntt_all(self, v):
        """NTT over every prime of Q and P of a small signed integer polynomial v."""
        mods = np.array(self.q + self.p, dtype=np.uint64)[:, None]
        neg = np.where(v < 0, -v, 0).astype(np.uint64)[None, :]
        rows = np.where(v[None, :] < 0, mods - neg, np.maximum(v, 0).astype(np.uint64)[None, :])
        return ntt_forward(self.plan, rows)

    def _uniform_all(self):
        return np.stack([np.asarray(self._prng.uniform_mod(q, self.n), dtype=np.uint64) for q in self.q + self.p])

    def _error(self):
        return self._ntt_all(centered_binomial(np.asarray(self._prng.uint64(self.n), dtype=np.uint64)))

    def _ternary(self):
        return ternary(np.asarray(self._prng.uint64(self.n), dtype=np.uint64))

    # ---- keys -------------------------------------------------------------------------

    def keygen(self):
        """Ternary secret s; public key (b, a) = (-a s + t e, a) over Q; relinearization key:
        per digit i, (-a_i s + t e_i + [P]_{q_i} s^2 on limb i only, a_i) over Q and P."""
        L, t = self.L, self.t
        s = self._ternary()
        self.secret = s
        s_ntt = self._ntt_all(s)
        self._s_ntt = s_ntt
        tvec = [t] * (L + self.k)
        a = self._uniform_all()
        b = _sub(self.plan, _tmul(self.plan, self._error(), tvec), _mul(self.plan, a, s_ntt))
        self.public_key = (b[:L].copy(), a[:L].copy())
        s2 = _mul(self.plan, s_ntt, s_ntt)
        P = int(np.prod([int(p) for p in self.p], dtype=object))
        k0 = np.empty((L, L + self.k, self.n), dtype=np.uint64)
        k1 = np.empty_like(k0)
        for i in range(L):
            ai = self._uniform_all()
            ki = _sub(self.plan, _tmul(self.plan, self._error(), tvec), _mul(self.plan, ai, s_ntt))
            gadget = [P % self.q[i] if j == i else 0 for j in range(L + self.k)]
            ki = _add(self.plan, ki, _tmul(self.plan, s2, gadget))
            k0[i], k1[i] = ki, ai
        self.relin_key = (k0, k1)

    # ---- encryption -------------------------------------------------------------------

    def encrypt(self, m):
        """Public-key encryption of m (n integers, taken mod t): (b u + t e0 + m, a u + t e1)."""
        m = _plain(m, self.n, self.t)
        L, t = self.L, self.t
        qplan = self._qplan()
        u = self._ntt_all(self._ternary())[:L]
        e0 = self._error()[:L]
        e1 = self._error()[:L]
        m_ntt = self._ntt_all(m)[:L]
        b, a = self.public_key
        c0 = _add(qplan, _add(qplan, _mul(qplan, b, u), _tmul(qplan, e0, [t] * L)), m_ntt)
        c1 = _add(qplan, _mul(qplan, a, u), _tmul(qplan, e1, [t] * L))
        return np.stack([c0, c1])

    def _qplan(self, level=None):
        level = self.L if level is None else level
        return _sub_plan(self.plan, level)

    def decrypt(self, ct):
        """m in [0, t)^n: switch down to q_0, then [[c0 + c1 s]_{q_0}]_t (centered)."""
        while ct.shape[1] > 1:
            ct = self.mod_switch(ct)
        plan = self.plan
        x = np.empty(self.n, dtype=np.uint64)
        kernels.mul_mod_limb(plan, 0, ct[1, 0], self._s_ntt[0], x)
        kernels.add_mod_limb(plan, 0, x, ct[0, 0], x)
        kernels.inverse_limb(plan, 0, x)
        q0 = self.q[0]
        v = x.astype(object)
        v = np.where(v > q0 // 2, v - q0, v)
        return (v % self.t).astype(np.int64)

    def noise_bits(self, ct):
        """log2 of the largest |coefficient| of c0 + c1 s mod Q_l (centered, Python-int CRT):
        decryption is correct while it stays below log2(Q_l / 2)."""
        level = ct.shape[1]
        qplan = self._qplan(level)
        x = ntt_inverse(qplan, _add(qplan, ct[0], _mul(qplan, ct[1], self._s_ntt[:level])))
        qs = self.q[:level]
        Q = int(np.prod(np.array(qs, dtype=object)))
        acc = np.zeros(self.n, dtype=object)
        for j, q in enumerate(qs):
            h = Q // q
            acc = acc + x[j].astype(object) * (h * pow(h % q, -1, q))
        acc = acc % Q
        acc = np.where(acc > Q // 2, acc - Q, acc)
        return max(int(abs(v)) for v in acc).bit_length()

    # ---- evaluation ---------------------------------------------------------------------

    def add(self, a, b):
        """Homomorphic addition (same level)."""
        _same_level(a, b)
        qplan = self._qplan(a.shape[1])
        return np.stack([_add(qplan, a[0], b[0]), _add(qplan, a[1], b[1])])

    def multiply(self, a, b):
        """Homomorphic product, relinearized: size 2 at the same level."""
        _same_level(a, b)
        return self.relinearize(self.steps.multiply(self.plan, a, b))

    def relinearize(self, d):
        """(d0, d1, d2) -> (c0, c1) through the relinearization key."""
        k0, k1 = self.relin_key
        return self.steps.relinearize(self.plan, self.conv, self.ksc, d, k0, k1)

    def mod_switch(self, ct):
        """Drop the last prime of ct; the plaintext mod t is unchanged, the noise shrinks by
        about q_l / t."""
        if ct.shape[1] < 2:
            raise ParameterError(f"BgvContext.mod_switch: ct is at the last level; expected >= 2 primes, got {ct.shape[1]}")
        return self.steps.mod_switch(self.plan, self.msc, ct)


def _steps(backend):
    if backend == "numba":
        from bgv import steps_numba as steps
    elif backend == "numpy":
        from bgv import steps_numpy as steps
    else:
        raise ParameterError(f"BgvContext: backend is unknown; expected 'numba' or 'numpy', got {backend!r}")
    return steps


def _sub_plan(plan, level):
    return plan._replace(moduli=plan.moduli[:level], ratio_lo=plan.ratio_lo[:level], ratio_hi=plan.ratio_hi[:level],
                         roots=plan.roots[:level], roots_shoup=plan.roots_shoup[:level],
                         inv_roots=plan.inv_roots[:level], inv_roots_shoup=plan.inv_roots_shoup[:level],
                         inv_n=plan.inv_n[:level], handles=plan.handles[:level])


def _tmul(plan, a, scalars):
    from pyppml.numba import mul_scalar_mod
    return mul_scalar_mod(plan, a, scalars)


def _same_level(a, b):
    if a.shape != b.shape:
        raise ParameterError(f"BgvContext: b is at another level or size; expected shape {a.shape}, got {b.shape}")


def _plain(m, n, t):
    m = np.asarray(m)
    if m.shape != (n,) or not np.issubdtype(m.dtype, np.integer):
        raise ParameterError(f"BgvContext.encrypt: m has the wrong shape or dtype; expected ({n},) integers, "
                             f"got {m.shape} {m.dtype}")
    return np.mod(m.astype(np.int64), t)


def negacyclic_mul(a, b, t):
    """The reference: a * b in Z_t[x]/(x^n + 1), by NumPy's convolution on Python ints."""
    n = len(a)
    # int64 is exact while n * (t - 1)^2 < 2^63 (every test size); Python ints beyond.
    dtype = np.int64 if n * (t - 1) ** 2 < 2**63 else object
    full = np.convolve(np.asarray(a, dtype=dtype) % t, np.asarray(b, dtype=dtype) % t)
    res = full[:n].copy()
    res[: n - 1] -= full[n:]
    return (res % t).astype(np.int64)
