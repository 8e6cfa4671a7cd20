"""Private values rounded to a power-of-two grid, exactly: round(clamp(v) / step) as int64.

The mechanisms' sensitivity allowances count one rounding to the grid per coordinate and
nothing else. float64 values round once. Other inputs used to be converted to float64
first, which moves an integer above 2^53 by up to half an ulp (a quarter step at the
grid's exact range), so two answers 778 apart landed 2 grid steps apart where 1 was
charged: one release cost twice its epsilon (review 2026-12-08). Here integer arrays
round in integer arithmetic, long doubles in their own precision, and a list's entries
that are not floats (Python ints, Fractions, Decimals) in exact rational arithmetic.
"""

from __future__ import annotations

import math
import numbers
from decimal import Decimal
from fractions import Fraction

import numpy as np


def grid_index(values, x: np.ndarray, step: float, lo: float, hi: float) -> np.ndarray:
    """round(clamp(v, lo, hi) / step), ties to even, as int64 with the shape of ``x``.

    ``values``: the private input as given; ``x``: its float64 image
    (:func:`pyppml.dp._checks.private_values`), used where it is exact. ``step`` a power
    of two; ``lo``, ``hi`` multiples of it within 2**51 steps of 0. NaN counts as the
    point of [lo, hi] nearest 0. No value makes this raise.
    """
    schema = getattr(values, "dtype", None) if not isinstance(values, (list, tuple, range)) else None
    if isinstance(schema, np.dtype) and schema.kind in "iu":
        return _integers(np.asarray(values).reshape(x.shape), step, lo, hi)
    if isinstance(schema, np.dtype) and schema.kind == "f" and schema.itemsize > 8:
        return _float_index(np.asarray(values).reshape(x.shape), step, lo, hi)
    if isinstance(values, (list, tuple, range)):
        return _cells(values, x, step, lo, hi)
    return _float_index(x, step, lo, hi)


def _float_index(x: np.ndarray, step: float, lo: float, hi: float) -> np.ndarray:
    # Division by a power of two is exact in any binary float format, and rint ties to even.
    x = np.where(np.isnan(x), min(max(0.0, lo), hi), x)
    return np.rint(np.clip(x, lo, hi) / step).astype(np.int64)


def _integers(v: np.ndarray, step: float, lo: float, hi: float) -> np.ndarray:
    """Integer dtypes, rounded in integer arithmetic. With step <= 2 the float64 image is
    exact: the bounds lie within 2^52, every integer up to 2^53 converts exactly, and one
    beyond converts beyond the bounds and clamps as it would have."""
    if step <= 2.0:
        return _float_index(v.astype(np.float64), step, lo, hi)
    k = int(math.log2(step))  # >= 2; step is a power of two
    # v < lo and v > hi compared as integers (v < lo iff v < ceil(lo)): a clamped value is
    # the bound itself, whose index the float path gives exactly.
    lo_i, hi_i = max(math.ceil(lo), -(2**63)), min(math.floor(hi), 2**63 - 1)
    idx_lo, idx_hi = round(Fraction(lo) / Fraction(step)), round(Fraction(hi) / Fraction(step))
    if v.dtype.kind == "u":
        above = v > np.uint64(max(hi_i, 0)) if hi_i >= 0 else np.ones(v.shape, dtype=bool)
        below = np.zeros(v.shape, dtype=bool) if lo_i <= 0 else v < np.uint64(lo_i)
        w = np.where(above | below, 0, v).astype(np.int64)  # inside: below 2^63
    else:
        w = v.astype(np.int64)
        above, below = w > hi_i, w < lo_i
        w = np.where(above | below, 0, w)
    if k >= 62:  # |w| < 2^63: indices in -2..2, exactly
        inner = np.array([round(Fraction(int(a), 1 << k)) for a in w.ravel()], dtype=np.int64).reshape(w.shape)
    else:
        q = w >> k  # floor division by 2^k
        r = w - (q << k)
        half = 1 << (k - 1)
        inner = q + ((r > half) | ((r == half) & ((q & 1) == 1)))
    return np.where(above, idx_hi, np.where(below, idx_lo, inner)).astype(np.int64)


def _cells(values, x: np.ndarray, step: float, lo: float, hi: float) -> np.ndarray:
    """A list: float entries are exact in ``x``; ints, Fractions and Decimals are rounded
    in rational arithmetic (their float64 images may not be)."""
    cells = np.asarray(values, dtype=object).reshape(-1) if x.size else np.empty(0, dtype=object)
    out = _float_index(x, step, lo, hi).reshape(-1)
    if cells.size != out.size:  # ragged containers were refused before; be safe
        return out.reshape(x.shape)
    flo, fhi, fstep = Fraction(lo), Fraction(hi), Fraction(step)
    for i, c in enumerate(cells):
        if isinstance(c, (float, np.floating, bool, np.bool_)):
            continue
        exact = _rational(c)
        if exact is not None:
            out[i] = round(min(max(exact, flo), fhi) / fstep)
    return out.reshape(x.shape)


def _rational(c) -> Fraction | None:
    """The exact value of a finite rational entry, else None (its float64 image stands)."""
    try:
        if isinstance(c, numbers.Rational):
            return Fraction(int(c.numerator), int(c.denominator))
        if isinstance(c, Decimal) and c.is_finite():
            return Fraction(c)
    except (TypeError, ValueError, OverflowError, ArithmeticError):
        return None
    return None
