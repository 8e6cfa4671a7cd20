"""Exact integer noise for the release helpers: discrete Laplace or discrete Gaussian
[CKS20] added directly to an integer query whose value moves along one coordinate by an
integer of at most ``sensitivity`` between neighbours (add or remove one record), with
the accountant charged for the noise really drawn before any is drawn.

Calibration, in integer units:

* Laplace: scale b = sensitivity / epsilon rounded up to a dyadic rational (more noise,
  never less): epsilon-DP exactly, as the discrete Laplace with integer shift Delta has
  privacy loss at most Delta / b [CKS20, Sec. 2; Ghosh et al. 2009].
* Gaussian: the smallest sigma whose exact delta(epsilon) for the discrete Gaussian
  [CKS20, Thm. 7: delta = P[Y > eps s^2/D - D/2] - e^eps P[Y > eps s^2/D + D/2], Y ~
  N_Z(0, s^2)] is at most delta, found by bisection on that formula summed exactly
  in floating point; at sigma >= 64 the summation is replaced by the continuous
  calibration at delta (1 - 1e-3), whose margin covers the discrete law's relative
  excess ~0.5/sigma^2 (as ``gaussian_mechanism``) for delta >= 1e-20; deeper in the tail
  the excess grows (1.4% at delta 5e-324), so smaller deltas are refused.

A ``replace_one`` accountant (sampling="fixed") is charged for twice the sensitivity
(replacing a record is removing one and adding one), or, for a histogram, twice for the
unit shift of each of the two bins that move.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from pyppml import _core
from pyppml.dp._checks import bounded_real, fail, gaussian_delta, private_values
from pyppml.dp.calibration import gaussian_sigma
from pyppml.dp.mechanisms import _round_up, check_accountant

MECHANISMS = ("laplace", "gaussian")
_EXACT_BELOW = 64.0  # sigma (in integer units) under which delta is summed exactly
_EXACT_LAPLACE_UP_TO = 2**16  # largest sensitivity charged as an exact discrete Laplace PLD


def discrete_gaussian_delta(sigma: float, epsilon: float, sensitivity: int) -> float:
    """delta(epsilon) of N_Z(0, sigma^2) added to an integer query of sensitivity
    ``sensitivity`` [CKS20, Thm. 7], tails summed to 40 sigma (mass beyond < e^-800).

    >>> round(discrete_gaussian_delta(3.73, 1.0, 1), 7)  # the continuous Gaussian's is 1e-5
    1.04e-05
    """
    s2 = sigma * sigma
    t = epsilon * s2 / sensitivity
    r = math.ceil(abs(t) + sensitivity + 40.0 * sigma)
    k = np.arange(-r, r + 1, dtype=np.float64)
    w = np.exp(-(k * k) / (2.0 * s2))
    z = float(w.sum())
    first = float(w[k > t - sensitivity / 2.0].sum()) / z
    second = float(w[k > t + sensitivity / 2.0].sum()) / z
    return max(0.0, first - math.exp(epsilon) * second)


def discrete_gaussian_sigma(epsilon: float, delta: float, sensitivity: int) -> float:
    """Smallest sigma (to a relative 1e-9, rounded up) with (epsilon, delta)-DP for the
    discrete Gaussian on an integer query of the given sensitivity.

    >>> round(discrete_gaussian_sigma(1.0, 1e-5, 1), 3)  # the continuous Gaussian's is 3.731
    3.74
    """
    cont = gaussian_sigma(float(epsilon), delta * (1.0 - 1e-3), float(sensitivity))
    if cont >= _EXACT_BELOW:  # math.inf included
        return cont
    # Bracket [lo, hi] with lo infeasible and hi feasible (delta(sigma) decreases), starting
    # from the continuous sigma, which the discrete one is close to, then bisect.
    lo = hi = cont
    while discrete_gaussian_delta(hi, epsilon, sensitivity) > delta:
        lo, hi = hi, hi * 1.5
    while lo == hi or discrete_gaussian_delta(lo, epsilon, sensitivity) <= delta:
        lo, hi = lo * 0.9, lo
    while hi - lo > 1e-9 * hi:
        mid = 0.5 * (lo + hi)
        if discrete_gaussian_delta(mid, epsilon, sensitivity) > delta:
            lo = mid
        else:
            hi = mid
    return hi


def privacy_arguments(api: str, epsilon, delta, mechanism, accountant) -> tuple[Fraction, float | None]:
    """Checks the public privacy arguments shared by the helpers; returns (epsilon, delta)."""
    eps = bounded_real(api, "epsilon", epsilon)
    if mechanism not in MECHANISMS:
        fail(api, "mechanism", "is unknown", "'laplace' or 'gaussian'", mechanism)
    if mechanism == "gaussian":
        if delta is None:
            fail(api, "delta", "is missing", "0 < delta < 1 with mechanism='gaussian'", delta)
        dlt = gaussian_delta(api, delta)
    else:
        if delta is not None:
            fail(api, "delta", "is only for mechanism='gaussian'", "None with mechanism='laplace'", delta)
        dlt = None
    check_accountant(api, accountant)
    return eps, dlt


class IntegerNoise:
    """Calibrated integer noise for one release of ``size`` coordinates whose value moves
    along one coordinate by at most ``sensitivity`` (an integer >= 1).

    Construction checks the parameters' range and charges ``accountant``; ``sample()``
    then draws the noise (int64, shape (size,)). ``variance`` is the noise's exact
    variance (for documentation and tests).
    """

    def __init__(self, api: str, sensitivity: int, epsilon: Fraction, delta, mechanism: str, accountant,
                 *, mechanism_name: str | None = None, arg: str = "epsilon", replacement: str = "double", shown=None):
        self.mechanism = mechanism
        name = mechanism_name or api
        shown = float(epsilon) if shown is None else shown  # the caller's epsilon, for messages
        if mechanism == "laplace":
            self.scale = _round_up(Fraction(sensitivity) / epsilon)
            if self.scale >= 2**40:  # the sampler takes scales below 2**40
                fail(api, arg, "is too small for the sensitivity", "sensitivity / epsilon < 2**40", shown)
            p = math.exp(-1.0 / float(self.scale))
            self.variance = 2.0 * p / (-math.expm1(-1.0 / float(self.scale))) ** 2
        else:
            sigma = discrete_gaussian_sigma(float(epsilon), delta, sensitivity)
            self.var = _round_up(Fraction(sigma) ** 2) if sigma < 2**31 else None
            if self.var is None or self.var.numerator >= 2**62:
                fail(api, arg, "is too small for the sensitivity", "sigma < 2**31", shown)
            self.variance = float(self.var)
        if accountant is not None:
            # Replacing a record = removing one and adding one: a 1-D query moves by up to
            # twice the sensitivity ("double"); a histogram moves two bins by one each,
            # two independent unit shifts, i.e. exactly two compositions ("twice").
            sens, reps = sensitivity, 1
            if accountant.relation == "replace_one":
                sens, reps = (2 * sensitivity, 1) if replacement == "double" else (sensitivity, 2)
            if mechanism == "laplace":
                # dp_accounting builds the exact discrete Laplace PLD in time linear in the
                # sensitivity (~1 us per unit): above 2**16 the worst case of an epsilon-DP
                # release is charged instead (always valid; the same epsilon under RDP).
                accountant.record_laplace(self.scale, sens, count=reps, integer_shift=sens <= _EXACT_LAPLACE_UP_TO,
                                          mechanism=name)
            else:
                sigma_used = math.sqrt(self.var)
                # The exact discrete PLD is built on a grid of ~12 sigma points: cheap below
                # 64; above, the continuous curve (relative excess ~0.5/sigma^2 < 1.3e-4).
                accountant.record_gaussian(sigma_used, sens, count=reps, mechanism=name,
                                           integer_shift=sigma_used < _EXACT_BELOW)

    def sample(self, size: int, prng=None) -> np.ndarray:
        if self.mechanism == "laplace":
            return _core.dp_discrete_laplace(self.scale.numerator, self.scale.denominator, size, prng)
        return _core.dp_discrete_gaussian(self.var.numerator, self.var.denominator, size, prng)


def bounds_pair(api: str, bounds) -> tuple[float, float]:
    """Public (lo, hi), finite, lo < hi."""
    try:
        lo, hi = (float(b) for b in bounds)
    except (TypeError, ValueError):
        fail(api, "bounds", "is not a pair of reals", "(lo, hi) with lo < hi", bounds)
    if not (math.isfinite(lo) and math.isfinite(hi)) or not lo < hi:
        fail(api, "bounds", "is not an ordered pair of finite reals", "(lo, hi) with lo < hi", bounds)
    return lo, hi


def numeric_values(api: str, values) -> tuple[np.ndarray, bool]:
    """One value per record (a 1-D array_like) as float64, and whether the dtype is integer
    (public schema: :func:`pyppml.dp._checks.private_values`). Rows of several entries
    are refused: each entry would count as a record while one person moves them all."""
    x, integer = private_values(api, values)
    if x.ndim > 1 and x.shape[1:] != (1,) * (x.ndim - 1):  # a column (n, 1) is one value per record
        fail(api, "values", "have more than one dimension", "one value per record (1-D)", x.shape)
    return x.reshape(-1), integer
