"""Per-modulus tables the ring kernels read: :class:`RingPlan` (NTT roots with their Shoup
constants, Barrett ratios and, when the C ABI is present, its NTT handles) and
:class:`BaseConversion` (the constants of the fast RNS base conversion of Bajard et al.
2016 / Halevi-Polyakov-Shoup 2019). Both are NamedTuples of NumPy arrays, so ``@njit``
code takes them as arguments.

Example
-------
>>> from pyppml.numba import RingPlan
>>> plan = RingPlan(8, [17, 97])
>>> plan.n, [int(q) for q in plan.moduli]
(8, [17, 97])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from pyppml import ParameterError, _core
from pyppml.numba import _capi


def capi_available() -> bool:
    """True when pyppml's C ABI library (``libpyppml_capi.so``) was found and bound: the
    kernels then run the NTT and eltwise products through it, else through njit code."""
    return _capi.AVAILABLE


def _fail(api: str, arg: str, problem: str, expected: str, got) -> None:
    raise ParameterError(f"{api}: {arg} {problem}; expected {expected}, got {got!r}")


def _bitrev(k: int, bits: int) -> int:
    return int(format(k, f"0{bits}b")[::-1], 2) if bits else 0


class _Plan(NamedTuple):
    n: int
    moduli: np.ndarray        # (k,) uint64
    ratio_lo: np.ndarray      # (k,) floor(2^128 / q) low word
    ratio_hi: np.ndarray      # (k,) high word = floor(2^64 / q)
    roots: np.ndarray         # (k, n) psi^bitrev(i), the C++ NttTables order
    roots_shoup: np.ndarray
    inv_roots: np.ndarray     # (k, n) psi^-bitrev(i)
    inv_roots_shoup: np.ndarray
    inv_n: np.ndarray         # (k, 4): n^-1, its Shoup constant, n^-1 * inv_roots[1], its Shoup
    handles: np.ndarray       # (k,) C-ABI ppml_ntt_tables* as integers; empty: njit NTT

    def __reduce__(self):
        # The handles are addresses in this process: elsewhere they point at nothing, or
        # at another table. A plan is rebuilt where it lands, from its parameters.
        return RingPlan, (self.n, [int(q) for q in self.moduli], "capi" if len(self.handles) else "njit")


_TABLE_CACHE: dict = {}


def _tables(n: int, q: int):
    key = (n, q)
    if key not in _TABLE_CACHE:
        t = _core.NttTables(n, q)  # validates: q prime, q = 1 mod 2n, n a power of two
        psi = int(t.psi)
        roots = np.asarray(t.root_powers, dtype=np.uint64).copy()
        psi_inv = pow(psi, -1, q)
        bits = n.bit_length() - 1
        inv_roots = np.empty(n, dtype=np.uint64)
        power = 1
        for k in range(n):
            inv_roots[_bitrev(k, bits)] = power
            power = power * psi_inv % q
        shoup = np.array([(int(w) << 64) // q for w in roots], dtype=np.uint64)
        inv_shoup = np.array([(int(w) << 64) // q for w in inv_roots], dtype=np.uint64)
        inv_n = pow(n, -1, q)
        inv_n_w = inv_n * int(inv_roots[1]) % q
        consts = np.array([inv_n, (inv_n << 64) // q, inv_n_w, (inv_n_w << 64) // q], dtype=np.uint64)
        _TABLE_CACHE[key] = (roots, shoup, inv_roots, inv_shoup, consts)
    return _TABLE_CACHE[key]


def RingPlan(n: int, moduli: Sequence[int], backend: str = "auto") -> _Plan:
    """Tables for NTTs and products mod each of ``moduli`` at ring degree ``n``.

    Parameters
    ----------
    n : int
        Ring degree, a power of two in [2, 2**17].
    moduli : sequence of int
        Distinct primes q = 1 mod 2n, each below 2**61 (the core's tables; the kernels' lazy
        ranges need 4q < 2**64).
    backend : {"auto", "capi", "njit"}
        ``"auto"`` runs NTTs through the C ABI when it is available, else in njit code;
        ``"capi"`` requires the C ABI; ``"njit"`` never uses it (the reference path).

    Returns
    -------
    A NamedTuple of NumPy arrays (fields ``n``, ``moduli``, ``ratio_lo``, ``ratio_hi``,
    ``roots``, ``roots_shoup``, ``inv_roots``, ``inv_roots_shoup``, ``inv_n``,
    ``handles``) that njit code takes as one argument. The C-ABI tables it refers to live
    as long as the process (they are cached per (n, q)).

    Raises
    ------
    pyppml.ParameterError
        ``n`` not a power of two, a modulus not an NTT-friendly prime below 2**61, a
        repeated modulus, an unknown backend, or ``"capi"`` without the C ABI.

    Example
    -------
    >>> plan = RingPlan(16, [97, 193], backend="njit")
    >>> plan.roots.shape, len(plan.handles)
    ((2, 16), 0)
    """
    api = "pyppml.numba.RingPlan"
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2 or n > 1 << 17 or n & (n - 1):
        _fail(api, "n", "is not a power of two in range", "2 <= n <= 2**17, a power of two", n)
    n = int(n)
    if backend not in ("auto", "capi", "njit"):
        _fail(api, "backend", "is unknown", "'auto', 'capi' or 'njit'", backend)
    if backend == "capi" and not _capi.AVAILABLE:
        _fail(api, "backend", "needs the C ABI library, which was not found", "'auto' or 'njit'", backend)
    qs = [int(q) for q in moduli]
    if not qs:
        _fail(api, "moduli", "is empty", "at least one prime", list(moduli))
    if len(set(qs)) != len(qs):
        _fail(api, "moduli", "repeats a prime", "distinct primes", qs)
    for q in qs:
        if not 2 < q < 1 << 61 or (q - 1) % (2 * n) or not _core.is_prime(q):
            _fail(api, "moduli", "holds a value that is not a prime q = 1 mod 2n below 2**61",
                  f"primes q = 1 mod {2 * n}, q < 2**61", q)
    tabs = [_tables(n, q) for q in qs]
    ratios = [(1 << 128) // q for q in qs]
    use_capi = _capi.AVAILABLE and backend != "njit"
    handles = np.array([_capi.ntt_handle(n, q) for q in qs] if use_capi else [], dtype=np.uint64)
    return _Plan(
        n=n,
        moduli=np.array(qs, dtype=np.uint64),
        ratio_lo=np.array([r & 0xFFFFFFFFFFFFFFFF for r in ratios], dtype=np.uint64),
        ratio_hi=np.array([r >> 64 for r in ratios], dtype=np.uint64),
        roots=np.stack([t[0] for t in tabs]),
        roots_shoup=np.stack([t[1] for t in tabs]),
        inv_roots=np.stack([t[2] for t in tabs]),
        inv_roots_shoup=np.stack([t[3] for t in tabs]),
        inv_n=np.stack([t[4] for t in tabs]),
        handles=handles,
    )


class _Conversion(NamedTuple):
    src: np.ndarray            # (k,) source primes q_i
    dst: np.ndarray            # (m,) target primes p_j
    qhat_inv: np.ndarray       # (k,) [(Q/q_i)^-1]_{q_i}
    qhat_inv_shoup: np.ndarray
    qhat_mod: np.ndarray       # (k, m) [Q/q_i]_{p_j}
    qhat_mod_shoup: np.ndarray # (k, m) its Shoup constants w.r.t. p_j
    dst_ratio_lo: np.ndarray
    dst_ratio_hi: np.ndarray


def BaseConversion(src: Sequence[int], dst: Sequence[int]) -> _Conversion:
    """Constants of the fast base conversion from RNS base ``src`` (product Q) to ``dst``.

    The kernel maps the residues of x in [0, Q) to
    ``sum_i [x_i * (Q/q_i)^-1]_{q_i} * (Q/q_i)  mod p_j``, which is x + alpha * Q with an
    integer 0 <= alpha < len(src) (HPS 2019, eq. 2): exact up to a small multiple of Q.

    Raises
    ------
    pyppml.ParameterError
        A modulus below 2 or above 2**62, or moduli within ``src`` not pairwise coprime.

    Example
    -------
    >>> conv = BaseConversion([17, 97], [193])
    >>> conv.qhat_mod.tolist()
    [[97], [17]]
    """
    api = "pyppml.numba.BaseConversion"
    qs, ps = [int(q) for q in src], [int(p) for p in dst]
    for name, vals in (("src", qs), ("dst", ps)):
        if not vals or any(not 1 < v < 1 << 62 for v in vals):
            _fail(api, name, "holds a modulus out of range", "non-empty, each in (1, 2**62)", vals)
    Q = 1
    for q in qs:
        if math.gcd(Q, q) != 1:
            _fail(api, "src", "is not pairwise coprime", "pairwise coprime moduli", qs)
        Q *= q
    qhat = [Q // q for q in qs]
    inv = [pow(h % q, -1, q) for h, q in zip(qhat, qs)]
    ratios = [(1 << 128) // p for p in ps]
    return _Conversion(
        src=np.array(qs, dtype=np.uint64),
        dst=np.array(ps, dtype=np.uint64),
        qhat_inv=np.array(inv, dtype=np.uint64),
        qhat_inv_shoup=np.array([(v << 64) // q for v, q in zip(inv, qs)], dtype=np.uint64),
        qhat_mod=np.array([[h % p for p in ps] for h in qhat], dtype=np.uint64).reshape(len(qs), len(ps)),
        qhat_mod_shoup=np.array([[((h % p) << 64) // p for p in ps] for h in qhat],
                                dtype=np.uint64).reshape(len(qs), len(ps)),
        dst_ratio_lo=np.array([r & 0xFFFFFFFFFFFFFFFF for r in ratios], dtype=np.uint64),
        dst_ratio_hi=np.array([r >> 64 for r in ratios], dtype=np.uint64),
    )
