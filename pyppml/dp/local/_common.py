"""Shared pieces of the local-DP oracles: argument checks, the CSPRNG handle, and the
64-bit Bernoulli thresholds rounded so that the privacy ratio never exceeds e^epsilon.

Every Bernoulli draw of this package compares a uniform 64-bit CSPRNG word U with an
integer threshold T: P(U < T) = T / 2^64 exactly. A threshold is chosen by exact rational
arithmetic against a rigorous lower bound of e^epsilon (80-digit ``decimal`` exp, which is
correctly rounded, minus a 1e-75 relative margin), so the true ratio of any two output
probabilities is <= e^epsilon; it is the best such threshold, within 2^-64 of the paper's
real-valued probability.
"""

from __future__ import annotations

import decimal
import math
import numbers
from fractions import Fraction

import numpy as np

from pyppml import _core
from pyppml.dp._checks import fail, positive_real

TWO64 = 1 << 64
MAX_EPSILON = 20  # beyond this local DP protects nothing, and g = e^eps + 1 must stay < 2^31
# The smallest epsilon accepted. Below it a report carries next to nothing (one count's
# standard deviation is about 2^41 sqrt(n)), and the 64-bit thresholds cannot resolve it:
# P(keep) and P(other) differ by about (e^eps - 1)/k, which must stay well above the
# thresholds' step 2^-64 (2^-40 leaves 24 bits for k). Smaller values gave p = q (a
# division by zero in the estimators, CountMeanSketch's c = 1/0) or p < q (the ratio bound
# broken the other way), and e^eps's 1e-75 margin would bring its lower bound below 1.
# An oracle whose domain (or g) is too large for the epsilon given refuses it as well.
MIN_EPSILON = Fraction(1, 1 << 40)
MAX_ROWS_EXACT = 1 << 16  # output_probabilities: at most this many outputs


def check_epsilon(api: str, epsilon) -> float:
    """epsilon in [2^-40, 20] as a float never above it (the guarantee holds for the value
    asked for: a Fraction or int is rounded down to the float below it, if it is not one)."""
    eps = positive_real(api, "epsilon", epsilon)
    expected = f"2**-40 <= epsilon <= {MAX_EPSILON}"
    if eps > MAX_EPSILON:
        fail(api, "epsilon", "is too large", expected, epsilon)
    if eps < MIN_EPSILON:
        fail(api, "epsilon", "is too small", expected, epsilon)
    value = float(eps)
    if Fraction(value) > eps:
        value = math.nextafter(value, 0.0)
    return value


def check_int(api: str, arg: str, value, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        fail(api, arg, "is not an integer", f"an int in [{lo}, {hi}]", value)
    if not lo <= int(value) <= hi:
        fail(api, arg, "is out of range", f"{lo} <= {arg} <= {hi}", value)
    return int(value)


def check_values(api: str, values, domain_size: int) -> np.ndarray:
    """1-D integers in [0, domain_size) as uint64. The message never shows a value or where
    one is (run over many devices' values, an index would name the device)."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        fail(api, "values", "has the wrong shape", "a 1-D array", f"shape {arr.shape}")
    if arr.size and arr.dtype.kind not in "iu":
        fail(api, "values", "has the wrong dtype", "integers", str(arr.dtype))
    if arr.size:
        bad = np.flatnonzero((arr < 0) | (arr >= domain_size))
        if bad.size:
            fail(api, "values", "has an entry out of range", f"0 <= values < {domain_size}",
                 "an entry outside it")
    return arr.astype(np.uint64, copy=False)


def check_counts(api: str, true_counts, domain_size: int):
    """None, or true counts: finite, >= 0, shape (domain_size,), as float64."""
    if true_counts is None:
        return None
    c = np.asarray(true_counts, dtype=np.float64)
    if c.shape != (domain_size,):
        fail(api, "true_counts", "has the wrong shape", f"({domain_size},)", c.shape)
    if not np.all(np.isfinite(c) & (c >= 0)):
        fail(api, "true_counts", "has a negative or non-finite entry", "counts >= 0", "one")
    return c


def check_prng(api: str, prng):
    """The given test-only Prng, or a fresh one keyed from the OS."""
    if prng is None:
        return _core.Prng()
    if not isinstance(prng, _core.Prng):
        fail(api, "prng", "is not a pyppml._core.Prng", "None or a Prng (tests only)", type(prng).__name__)
    return prng


def exp_bounds(epsilon: float) -> tuple[Fraction, Fraction]:
    """Rigorous rational bounds lo < e^epsilon < hi (relative width 2e-75)."""
    ctx = decimal.Context(prec=80)
    e = Fraction(ctx.exp(decimal.Decimal(epsilon)))  # float -> Decimal is exact; exp correctly rounded
    margin = Fraction(1, 10**75)
    return e * (1 - margin), e * (1 + margin)


def largest(ok, lo: int, hi: int) -> int:
    """Largest t in [lo, hi] with ok(t), for ok monotone True -> False and ok(lo) True."""
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if ok(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def smallest(ok, lo: int, hi: int) -> int:
    """Smallest t in [lo, hi] with ok(t), for ok monotone False -> True and ok(hi) True."""
    while lo < hi:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def rr_keep_threshold(api: str, epsilon: float, k: int, arg: str = "domain_size") -> int:
    """Largest T with P(keep) = T/2^64 and P(each other) = (1 - T/2^64)/(k-1) in a ratio
    <= e^epsilon: T (k - 1) <= e^epsilon (2^64 - T).

    T is searched above 2^64/k only, so that p = T/2^64 > q = (1 - p)/(k - 1): the ratio
    q/p is then < 1 and the bound holds both ways, and p - q > 0 (the estimators divide by
    it). ParameterError (naming epsilon and ``arg`` = k) when even the lowest such T breaks
    the bound, that is when e^epsilon - 1 is below about k 2^-64."""
    e_lo, _ = exp_bounds(epsilon)

    def ok(t):
        return t * (k - 1) <= e_lo * (TWO64 - t)

    lo = TWO64 // k + 1  # the smallest T with T k > 2^64, i.e. p > q
    if not ok(lo):
        need = Fraction(lo * (k - 1), TWO64 - lo)  # the e^epsilon that T needs
        fail(api, "epsilon", f"is too small for {arg} = {k}",
             f"epsilon >= {math.log1p(float(need - 1)) * 1.001:.3g} for this {arg}", epsilon)
    return largest(ok, lo, TWO64 - 1)


def unary_ratio(t_hit: int, t_other: int) -> Fraction:
    """Largest ratio of two unary-encoding outputs whose inputs differ: bits at the two
    positions with P(1) = t_hit/2^64 resp. t_other/2^64 swap roles."""
    return Fraction(t_hit * (TWO64 - t_other), (TWO64 - t_hit) * t_other)


def unary_other_threshold(api: str, epsilon: float, t_hit: int) -> int:
    """Smallest T (bits away from the own position, P(1) = T/2^64) with
    unary_ratio(t_hit, T) <= e^epsilon (the ratio falls as T grows), below t_hit so that
    q < p (the bound then holds both ways and p - q > 0). ParameterError if none is."""
    e_lo, _ = exp_bounds(epsilon)

    def ok(t):
        return unary_ratio(t_hit, t) <= e_lo

    if not ok(t_hit - 1):
        fail(api, "epsilon", "is too small for 64-bit thresholds", f"epsilon >= {float(MIN_EPSILON):.3g}", epsilon)
    return smallest(ok, 1, t_hit - 1)


def pure_variance(p: float, q: float, n: int, true_counts) -> np.ndarray | float:
    """Variance of (C - n q)/(p - q) when C sums n independent Bernoullis, c_x of rate p
    and n - c_x of rate q ([WBLJ17]'s form keeps only the n q (1 - q) term)."""
    c = 0.0 if true_counts is None else np.asarray(true_counts, dtype=np.float64)
    return (c * p * (1 - p) + (n - c) * q * (1 - q)) / (p - q) ** 2
