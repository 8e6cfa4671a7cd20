"""``dp.sum``: the sum of values clamped to public bounds, computed exactly on a grid
(integers for integer data) and released with integer noise."""

from __future__ import annotations

import math

import numpy as np

from pyppml.dp.releases.integer_noise import (
    IntegerNoise,
    bounds_pair,
    numeric_values,
    privacy_arguments,
)

GRID_BITS = 24  # |each value| <= 2**24 grid steps: rounding moves it by <= 2**-24 * max|bound|


def grid_step(lo: float, hi: float, integer: bool) -> float:
    """2**(ceil(log2 max(|lo|, |hi|)) - 24); at least 1 for integer data (exact integers)."""
    m, e = math.frexp(max(abs(lo), abs(hi)))
    step = math.ldexp(1.0, (e if m > 0.5 else e - 1) - GRID_BITS)
    return max(step, 1.0) if integer else step


class GridSum:
    """The exact sum of the clamped values in grid steps, and its sensitivity: all the
    checks of ``sum`` and ``mean`` on values and bounds, done before any charge."""

    def __init__(self, api: str, values, bounds):
        x, self.integer = numeric_values(api, values)
        lo, hi = self.bounds = bounds_pair(api, bounds)
        self.step = grid_step(lo, hi, self.integer)
        self.sensitivity = max(1, int(abs(np.rint(lo / self.step))), int(abs(np.rint(hi / self.step))))
        self.size = x.size
        x = np.where(np.isnan(x), min(max(0.0, lo), hi), x)  # NaN counts as the point nearest 0
        # Rounded after clamping, rint(clip(x) / step) lies in [rint(lo/step), rint(hi/step)]:
        # one record moves the integer sum by at most `sensitivity`. Exact in int64 (n < 2**39).
        self.total = int(np.rint(np.clip(x, lo, hi) / self.step).astype(np.int64).sum())


def sum(values, bounds, epsilon, *, mechanism="laplace", delta=None, accountant=None, prng=None):
    """Differentially private sum of ``values``, each clamped to the public ``bounds``.

    Clamping is required (it is what bounds the sensitivity) and documented: every value
    is clamped to [lo, hi] (NaN to the point nearest 0), so adding or removing a record
    moves the sum by at most max(|lo|, |hi|). The clamped values are rounded to a grid of
    step 2**(ceil(log2 max(|lo|, |hi|)) - 24) and summed exactly as integers (floating-
    point summation would let the order of the records change the sensitivity), then
    exact discrete Laplace (epsilon-DP) or discrete Gaussian ((epsilon, delta)-DP) noise
    is added in grid steps for the grid sensitivity max(|rint(lo/step)|, |rint(hi/step)|).
    Integer-dtype data (an ndarray of an integer dtype: the caller's schema, never inferred
    from the values) use step 1 (or the power of two above it for bounds beyond 2**24):
    no rounding, an integer result, noise of scale max(|lo|, |hi|) / epsilon exactly.
    The result is not clamped (it stays unbiased for data inside the bounds).

    Parameters
    ----------
    values : array_like of numbers, 1-D
        Private, one per record; never quoted in an error.
    bounds : (float, float)
        Public ``(lo, hi)``, lo < hi. Required: never taken from the data.
    epsilon : float, > 0
    mechanism : {"laplace", "gaussian"}
    delta : float in (0, 1), only and required with mechanism "gaussian"
    accountant : PrivacyAccountant, optional
        Charged before the noise is drawn (in grid steps; twice the sensitivity for a
        replace-one accountant).
    prng : pyppml._core.Prng, optional
        Only for reproducible tests.

    Returns
    -------
    int for an integer-dtype ndarray, else float (a multiple of the grid step).

    Raises
    ------
    ValueError (pyppml.ParameterError)
        values not numeric, bounds not an ordered pair of finite reals, epsilon too small
        for the grid (scale above 2**40 steps), and the privacy arguments as ``dp.count``.

    Examples
    --------
    >>> import numpy as np
    >>> from pyppml import dp
    >>> s = dp.sum(np.array([3, 5, 120]), bounds=(0, 10), epsilon=1.0)  # 120 is clamped to 10
    >>> isinstance(s, int)  # an integer dtype (a list is float, whatever it holds)
    True
    """
    api = "dp.sum"
    eps, dlt = privacy_arguments(api, epsilon, delta, mechanism, accountant)
    grid = GridSum(api, values, bounds)
    noisy = grid.total + int(IntegerNoise(api, grid.sensitivity, eps, dlt, mechanism, accountant).sample(1, prng)[0])
    return noisy * int(grid.step) if grid.integer else noisy * grid.step
