"""Modular products on uint64 inside ``@njit`` code: 64x64 -> 128-bit products through an
LLVM i128 multiply, Shoup's product by a fixed operand and Barrett's product by any operand
(Harvey 2014 for Shoup's lazy form; the Barrett reduction of SEAL's ``barrett_reduce_128``).

Every function here is bit-exact with Python-int arithmetic (tests/numba/test_modarith.py).
Numba types a uint64 mixed with a signed int as float64, so every constant here is a
``np.uint64`` and every argument must be one too (the checked wrappers make sure of that).

Example
-------
>>> import numpy as np
>>> from pyppml.numba import modarith
>>> q = 1125899906842273
>>> w = 987654321987
>>> r = modarith.mul_shoup(np.uint64(123456789), np.uint64(w), modarith.shoup_precompute(w, q), np.uint64(q))
>>> int(r) == 123456789 * w % q
True
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

_U64 = np.uint64
ONE = _U64(1)
ZERO = _U64(0)


@intrinsic
def _mulhi(typingctx, a, b):
    """High 64 bits of the 128-bit product a*b (one ``mul`` on x86-64 / aarch64)."""
    if a != types.uint64 or b != types.uint64:
        return None
    sig = types.uint64(types.uint64, types.uint64)

    def codegen(context, builder, signature, args):
        i128 = ir.IntType(128)
        prod = builder.mul(builder.zext(args[0], i128), builder.zext(args[1], i128))
        return builder.trunc(builder.lshr(prod, ir.Constant(i128, 64)), ir.IntType(64))

    return sig, codegen


@njit(cache=True, nogil=True)
def mulhi(a, b):
    """floor(a * b / 2**64) for uint64 a, b."""
    return _mulhi(a, b)


@njit(cache=True, nogil=True)
def mul_wide(a, b):
    """The 128-bit product a*b as (high word, low word)."""
    return _mulhi(a, b), a * b


def shoup_precompute(w: int, q: int) -> np.uint64:
    """floor(w * 2**64 / q), the constant of Shoup's product by w (0 <= w < q < 2**63)."""
    return _U64((int(w) << 64) // int(q))


def barrett_ratio(q: int) -> tuple[np.uint64, np.uint64]:
    """floor(2**128 / q) as (low word, high word), for :func:`mul_barrett` (1 < q < 2**63)."""
    r = (1 << 128) // int(q)
    return _U64(r & 0xFFFFFFFFFFFFFFFF), _U64(r >> 64)


@njit(cache=True, nogil=True)
def mul_shoup_lazy(x, w, w_shoup, q):
    """x * w mod q in [0, 2q), for any uint64 x, w < q < 2**63, w_shoup from shoup_precompute."""
    return x * w - _mulhi(x, w_shoup) * q


@njit(cache=True, nogil=True)
def mul_shoup(x, w, w_shoup, q):
    """x * w mod q in [0, q) (Shoup), for any uint64 x, w < q < 2**63."""
    r = x * w - _mulhi(x, w_shoup) * q
    return r - q if r >= q else r


@njit(cache=True, nogil=True)
def reduce_barrett_128(hi, lo, q, ratio_lo, ratio_hi):
    """(hi * 2**64 + lo) mod q in [0, q) for an input below q * 2**64 (SEAL's
    ``barrett_reduce_128``: the quotient estimate is at most one below the true one)."""
    carry = _mulhi(lo, ratio_lo)
    t2_lo = lo * ratio_hi
    t2_hi = _mulhi(lo, ratio_hi)
    t1 = t2_lo + carry
    t3 = t2_hi + (ONE if t1 < carry else ZERO)
    s_lo = hi * ratio_lo
    s_hi = _mulhi(hi, ratio_lo)
    t1b = t1 + s_lo
    carry2 = s_hi + (ONE if t1b < t1 else ZERO)
    quot = hi * ratio_hi + t3 + carry2
    r = lo - quot * q
    return r - q if r >= q else r


@njit(cache=True, nogil=True)
def mul_barrett(a, b, q, ratio_lo, ratio_hi):
    """a * b mod q in [0, q) for a, b < q < 2**63 (ratio from :func:`barrett_ratio`)."""
    return reduce_barrett_128(_mulhi(a, b), a * b, q, ratio_lo, ratio_hi)


@njit(cache=True, nogil=True)
def reduce_barrett_64(x, q, ratio_hi):
    """x mod q in [0, q) for any uint64 x (ratio_hi = floor(2**64 / q), the high word of
    :func:`barrett_ratio`); the quotient estimate is at most one below the true one."""
    r = x - _mulhi(x, ratio_hi) * q
    return r - q if r >= q else r
