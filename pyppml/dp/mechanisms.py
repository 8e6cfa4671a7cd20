"""Floating-point-safe Laplace and Gaussian mechanisms: the input is rounded to a grid of
step 2**k, exact integer noise (discrete Laplace / discrete Gaussian) is added in grid
units, and the result is scaled back by the power of two, which is exact in float64. The
output is therefore always a multiple of the grid step: its low-order bits carry no trace
of the input, unlike textbook float samplers (Mironov 2012) [CKS20, Sec. 6].

Rounding moves each coordinate by at most half a step, so the sensitivity of the rounded
query in grid units is at most D/step + d (L1, Laplace) or D/step + sqrt(d) (L2, Gaussian)
for d coordinates; the noise is calibrated for that inflated sensitivity.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from pyppml import _core
from pyppml.dp._checks import fail, positive_real, probability_open
from pyppml.dp.calibration import analytic_gaussian_sigma

_MAX_GRID_INDEX = 2**52  # |value / step| and |output / step| stay exact in float64


def default_granularity(sensitivity, count: int, norm: str = "l1") -> float:
    """Grid step 2**k used when none is given: the largest power of two at most
    sensitivity / (count * 1024) (L1) or sensitivity / (sqrt(count) * 1024) (L2), so that
    rounding inflates the sensitivity by at most 1/1024.

    >>> default_granularity(1.0, 1)
    0.0009765625
    """
    spread = count if norm == "l1" else math.sqrt(count)
    k = math.floor(math.log2(float(sensitivity) / (max(spread, 1.0) * 1024.0)))
    return math.ldexp(1.0, k)


def _round_up(value: Fraction) -> Fraction:
    """Smallest multiple of 2**-j at or above value, with j <= 32 as large as keeps the
    numerator below 2**61 (the samplers' exactness limits). Rounding up only adds noise."""
    j = max(0, min(32, 60 - math.ceil(value).bit_length()))
    return Fraction(math.ceil(value * 2**j), 2**j)


def _prepare(api, values, granularity, sensitivity, norm):
    x = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(x)):
        fail(api, "values", "contain NaN or infinity", "finite values", "non-finite entries")
    if granularity is None:
        step = default_granularity(sensitivity, max(x.size, 1), norm)
    else:
        g = float(positive_real(api, "granularity", granularity))
        m, _ = math.frexp(g)
        if m != 0.5:
            fail(api, "granularity", "is not a power of two", "2**k for an integer k", granularity)
        step = g
    scaled = x / step  # exact: division by a power of two
    if x.size and np.max(np.abs(scaled)) >= _MAX_GRID_INDEX:
        fail(api, "values", "are too large for the grid", f"|value| < 2**52 * granularity = {step * 2.0**52:g}",
             float(np.max(np.abs(x))))
    return x, step, np.rint(scaled).astype(np.int64)


def _finish(api, index, noise, step, shape):
    out_index = index + noise
    if out_index.size and np.max(np.abs(out_index)) >= _MAX_GRID_INDEX:
        raise OverflowError(f"{api}: noisy value outside the exactly representable grid")
    return (out_index.astype(np.float64) * step).reshape(shape)


def laplace_mechanism(values, sensitivity, epsilon, *, granularity=None, prng=None) -> np.ndarray:
    """epsilon-DP release of ``values`` (L1 ``sensitivity``) with discrete Laplace noise on a grid.

    Parameters
    ----------
    values : array_like of float
        The query answer (any shape, d coordinates in all).
    sensitivity : float, > 0
        L1 sensitivity of the query.
    epsilon : float, > 0
    granularity : float, optional
        Grid step, a power of two; default ``default_granularity(sensitivity, d, "l1")``.
    prng : pyppml._core.Prng, optional
        Only for reproducible tests.

    Returns
    -------
    numpy.ndarray of float64, same shape; every entry an integer multiple of the step.
    The noise in grid units is discrete Laplace with scale (floor(D/step) + d) / epsilon
    (rounded up to a dyadic rational, see ``_round_up``).

    Raises
    ------
    ValueError
        Non-finite values, sensitivity or epsilon not finite or <= 0, granularity not a
        power of two, values beyond 2**52 steps.

    Examples
    --------
    >>> from pyppml import dp
    >>> y = dp.laplace_mechanism([10.0, 20.0], sensitivity=1.0, epsilon=1.0, granularity=2**-10)
    >>> bool(all((v * 2**10).is_integer() for v in y))
    True
    """
    api = "dp.laplace_mechanism"
    sens = positive_real(api, "sensitivity", sensitivity)
    eps = positive_real(api, "epsilon", epsilon)
    x, step, index = _prepare(api, values, granularity, float(sens), "l1")
    grid_sens = math.floor(sens / Fraction(step)) + max(x.size, 1)
    scale = _round_up(Fraction(grid_sens) / eps)
    if scale > 2**40:
        fail(api, "epsilon", "is too small for the grid", "scale / granularity <= 2**40", epsilon)
    noise = _core.dp_discrete_laplace(scale.numerator, scale.denominator, x.size, prng)
    return _finish(api, index.reshape(-1), noise, step, x.shape)


def gaussian_mechanism(values, l2_sensitivity, epsilon, delta, *, granularity=None, prng=None) -> np.ndarray:
    """(epsilon, delta)-DP release of ``values`` with discrete Gaussian noise on a grid.

    sigma (in grid units) is the analytic Gaussian calibration [Balle & Wang 2018] for the
    rounded query's L2 sensitivity D/step + sqrt(d), at delta (1 - 1e-3). The discrete
    Gaussian has the same concentrated-DP guarantee as the continuous one [CKS20, Thm. 4];
    its (epsilon, delta) curve is above the continuous one by a relative ~0.5/sigma^2
    (computed exactly for one coordinate, see tests/dp), which the 1e-3 margin covers as
    sigma >= 64 grid steps is enforced (the default grid gives sigma >= ~3800 steps).

    Parameters
    ----------
    values : array_like of float
    l2_sensitivity : float, > 0
    epsilon : float, > 0
    delta : float in (0, 1)
    granularity : float, optional
        Grid step, a power of two; default ``default_granularity(l2_sensitivity, d, "l2")``.
    prng : pyppml._core.Prng, optional
        Only for reproducible tests.

    Returns
    -------
    numpy.ndarray of float64, same shape; every entry an integer multiple of the step.

    Raises
    ------
    ValueError
        As ``laplace_mechanism``, plus delta outside (0, 1).

    Examples
    --------
    >>> from pyppml import dp
    >>> y = dp.gaussian_mechanism([0.5] * 3, l2_sensitivity=1.0, epsilon=1.0, delta=1e-5)
    >>> y.shape
    (3,)
    """
    api = "dp.gaussian_mechanism"
    sens = positive_real(api, "l2_sensitivity", l2_sensitivity)
    eps = float(positive_real(api, "epsilon", epsilon))
    dlt = probability_open(api, "delta", delta)
    x, step, index = _prepare(api, values, granularity, float(sens), "l2")
    d = max(x.size, 1)
    grid_sens = float(sens / Fraction(step)) + (math.isqrt(d - 1) + 1)  # ceil(sqrt(d)) >= sqrt(d)
    # The discrete Gaussian's delta exceeds the continuous one's by a relative ~0.5/sigma^2
    # (computed exactly for one coordinate: 3.5% at sigma 3.7, 0.01% at sigma 64); the
    # calibration therefore targets delta (1 - 1e-3) and requires sigma >= 64 grid steps.
    sigma = analytic_gaussian_sigma(eps, dlt * (1.0 - 1e-3), grid_sens)
    if sigma < 64.0:
        fail(api, "granularity", "is too coarse for the noise", "sigma / granularity >= 64", granularity)
    var = _round_up(Fraction(sigma) ** 2)
    if var.numerator >= 2**62:
        fail(api, "epsilon", "is too small for the grid", "sigma / granularity < 2**31", epsilon)
    noise = _core.dp_discrete_gaussian(var.numerator, var.denominator, x.size, prng)
    return _finish(api, index.reshape(-1), noise, step, x.shape)
