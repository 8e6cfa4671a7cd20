"""Floating-point-safe Laplace and Gaussian mechanisms: the input is clamped to public
bounds and rounded to a grid of step 2**k, exact integer noise (discrete Laplace /
discrete Gaussian) is added in grid units, and the result is scaled back by the power of
two, which is exact in float64. The output is therefore always a multiple of the step:
its low-order bits carry no trace of the input, unlike textbook float samplers
(Mironov 2012) [CKS20, Sec. 6].

Nothing here raises on, or prints, a value of the private input: values are clamped to
``bounds`` (public, given by the caller; by default the grid's exact range), NaN entries
are replaced by the point of ``bounds`` nearest 0, and every error names only public
parameters. Clamping each coordinate to an interval is 1-Lipschitz, so it never raises
the L1 or L2 sensitivity the caller states.

Rounding moves each coordinate by at most half a step, so the sensitivity of the rounded
query in grid units is at most floor(D/step) + d (L1, Laplace) or D/step + ceil(sqrt(d))
(L2, Gaussian) for d coordinates; the noise is calibrated for that inflated sensitivity.
Integer-dtype values on a grid that divides 1 (granularity 2**-k, k >= 0) and bounds on
the grid are not moved by rounding: their sensitivity is max(1, floor(D/step)) (L1) or
D/step (L2), with no inflation. A granularity given by the caller that inflates the
sensitivity by more than 10% otherwise raises a ``GranularityWarning``.

Each mechanism takes an optional ``accountant`` (``PrivacyAccountant``) and charges it
with the noise it really adds and the sensitivity in grid units, rounding included
(``PrivacyAccountant.charges[-1]``), before any noise is drawn.
"""

from __future__ import annotations

import math
import numbers
import sys
import warnings
from fractions import Fraction

import numpy as np

from pyppml import _core
from pyppml.dp._checks import FLOAT_RANGE_BITS, bounded_real, fail, gaussian_delta, positive_float, private_values
from pyppml.dp.calibration import gaussian_sigma
from pyppml.dp.grid_index import grid_index

_MAX_GRID_INDEX = 2**52  # |output / step| stays an exact float64 integer
# Default and largest |bound| in grid steps: the noise (scale <= 2**40, sigma < 2**31)
# crosses the remaining 2**51 steps with probability below exp(-2**11).
_MAX_BOUND_INDEX = 2**51
# Largest grid step: the grid's 2**52 steps (bounds, outputs) stay finite floats. A
# coarser step made the default bounds +-inf, so clamping did nothing and an infinite
# input came out as +-inf, with RuntimeWarnings only when it was there.
_MAX_STEP = math.ldexp(1.0, 1023 - 52)


def default_granularity(sensitivity, count: int, norm: str = "l1") -> float:
    """Grid step 2**k used when none is given: the largest power of two at most
    sensitivity / (count * 1024) (L1) or sensitivity / (sqrt(count) * 1024) (L2), so that
    rounding inflates the sensitivity by at most 1/1024.

    Raises
    ------
    ValueError (pyppml.ParameterError)
        sensitivity not finite or outside [2**-1000, 2**1000], count not an integer
        >= 1, norm not "l1" or "l2", or a step above 2**971 (the grid's 2**52 steps
        would pass the float range).

    >>> default_granularity(1.0, 1)
    0.0009765625
    """
    api = "dp.default_granularity"
    sens = positive_float(api, "sensitivity", sensitivity)
    if isinstance(count, bool) or not isinstance(count, numbers.Integral) or count < 1:
        fail(api, "count", "is not a positive integer", "an integer count >= 1", count)
    if norm not in ("l1", "l2"):
        fail(api, "norm", "is unknown", "'l1' or 'l2'", norm)
    return _default_step(api, "sensitivity", sens, int(count), norm, sensitivity)


def _default_step(api, arg, sens: float, count: int, norm: str, shown_sensitivity) -> float:
    """default_granularity for a checked sensitivity in [2**-1000, 2**1000], refused
    under ``api``'s name, naming the sensitivity argument ``arg``, when the step is
    subnormal or past ``_MAX_STEP``."""
    spread = count if norm == "l1" else math.sqrt(count)
    ratio = sens / (max(spread, 1.0) * 1024.0)
    if ratio < sys.float_info.min:  # a subnormal (or zero) step: no grid of 2**52 steps
        fail(api, arg, "is too small for the default grid",
             f"{arg} / (1024 count) >= 2**-1022, or an explicit granularity", shown_sensitivity)
    step = math.ldexp(1.0, math.frexp(ratio)[1] - 1)  # exact: ratio = m 2**e with m in [0.5, 1)
    if step > _MAX_STEP:
        fail(api, arg, "is too large for the default grid",
             f"{arg} / (1024 count) < 2**972, or an explicit granularity <= 2**971", shown_sensitivity)
    return step


def _round_up(value: Fraction) -> Fraction:
    """Smallest multiple of 2**-j at or above value, with j <= 32 as large as keeps the
    numerator below 2**61 (the samplers' exactness limits). Rounding up only adds noise."""
    j = max(0, min(32, 60 - math.ceil(value).bit_length()))
    return Fraction(math.ceil(value * 2**j), 2**j)


class GranularityWarning(UserWarning):
    """A granularity given by the caller makes the grid rounding inflate the noise."""


def check_accountant(api, accountant) -> None:
    """None or a PrivacyAccountant (checked before anything is released)."""
    from pyppml.dp.accountant import PrivacyAccountant

    if accountant is not None and not isinstance(accountant, PrivacyAccountant):
        fail(api, "accountant", "is not a PrivacyAccountant", "None or dp.PrivacyAccountant",
             type(accountant).__name__)


def _unmoved_by_rounding(integer: bool, step: float, lo: float, hi: float) -> bool:
    """Integer values clamped to bounds on the grid stay on a grid dividing 1."""
    return integer and step <= 1.0 and (lo / step).is_integer() and (hi / step).is_integer()


def _warn_inflation(api, granularity, inflated: float, sens: float, d: int, norm: str) -> None:
    if granularity is not None and inflated > 1.1 * sens:
        warnings.warn(
            f"{api}: granularity {granularity!r} inflates the sensitivity {sens:g} to {inflated:g} "
            f"(x{inflated / sens:.3g} the noise) through grid rounding; pass integer-dtype values "
            f"(rounding them moves nothing) or granularity <= dp.default_granularity({sens:g}, {d}, "
            f"{norm!r}) = {default_granularity(sens, d, norm):g}", GranularityWarning, stacklevel=3)


def _step(api, granularity, sensitivity: float, count, norm, shown_sensitivity) -> float:
    """The grid step: ``granularity`` (a power of two <= 2**971) or the default one for
    the checked ``sensitivity`` (L1 "sensitivity" or "l2_sensitivity", by ``norm``)."""
    if granularity is None:
        arg = "sensitivity" if norm == "l1" else "l2_sensitivity"
        return _default_step(api, arg, sensitivity, count, norm, shown_sensitivity)
    g = positive_float(api, "granularity", granularity)
    if math.frexp(g)[0] != 0.5:
        fail(api, "granularity", "is not a power of two", "2**k for an integer k", granularity)
    if g > _MAX_STEP:
        fail(api, "granularity", "is too large", "granularity <= 2**971 (2**52 grid steps within the float range)",
             granularity)
    return g


def _steps(api, arg, sensitivity: Fraction, step: float, value) -> Fraction:
    """sensitivity / step, exact; refused past 2**1000 (the float range that follows)."""
    steps = sensitivity / Fraction(step)
    if steps > 2**FLOAT_RANGE_BITS:
        fail(api, arg, "is too large for the granularity", f"{arg} / granularity <= 2**{FLOAT_RANGE_BITS}", value)
    return steps


def _bounds(api, bounds, step) -> tuple[float, float]:
    limit = step * _MAX_BOUND_INDEX
    if bounds is None:
        return -limit, limit
    try:
        lo, hi = (float(b) for b in bounds)
    except (TypeError, ValueError):
        fail(api, "bounds", "is not a pair of reals", "(lo, hi) with lo <= hi", bounds)
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
        fail(api, "bounds", "is not an ordered pair of finite reals", "(lo, hi) with lo <= hi", bounds)
    if max(-lo, hi) > limit:
        fail(api, "bounds", "exceed the exact grid", f"|lo|, |hi| <= 2**51 * granularity = {limit:g}", bounds)
    return lo, hi


def _release(index: np.ndarray, noise: np.ndarray, step: float, shape) -> np.ndarray:
    # Limiting to the exact grid is public post-processing (reached with probability
    # < exp(-2**11), see _MAX_BOUND_INDEX), never an error that depends on the data.
    out = np.clip(index.reshape(-1) + noise, -_MAX_GRID_INDEX, _MAX_GRID_INDEX)
    return (out.astype(np.float64) * step).reshape(shape)


def laplace_mechanism(values, sensitivity, epsilon, *, bounds=None, granularity=None, accountant=None,
                      prng=None) -> np.ndarray:
    """epsilon-DP release of ``values`` (L1 ``sensitivity``) with discrete Laplace noise on a grid.

    Parameters
    ----------
    values : array_like of float
        The query answer (any shape, d coordinates in all). Private: never inspected
        beyond clamping, never quoted in an error.
    sensitivity : float, > 0
        L1 sensitivity of the query.
    epsilon : float, > 0
    bounds : (float, float), optional
        Public ``(lo, hi)``: each coordinate is clamped to [lo, hi] (NaN to the point
        nearest 0) before rounding. Default: the grid's exact range +-2**51 * granularity.
    granularity : float, optional
        Grid step, a power of two; default ``default_granularity(sensitivity, d, "l1")``.
    accountant : PrivacyAccountant, optional
        Charged with the noise really added and the grid sensitivity, rounding
        included (``accountant.charges[-1]``), before the noise is drawn.
    prng : pyppml._core.Prng, optional
        Only for reproducible tests.

    Returns
    -------
    numpy.ndarray of float64, same shape; every entry an integer multiple of the step.
    The noise in grid units is discrete Laplace, P(k) ∝ exp(-|k| / b), with
    b = (floor(sensitivity / step) + d) / epsilon (rounded up to a dyadic rational, see
    ``_round_up``); its variance is 2 e^(-1/b) / (1 - e^(-1/b))**2. Integer-dtype values
    with step <= 1 and bounds on the grid: b = max(1, floor(sensitivity / step)) / epsilon
    (no rounding term: e.g. a 10-bin histogram at granularity 1 gets b = 1 / epsilon).

    Warns
    -----
    GranularityWarning
        An explicit granularity inflates the sensitivity by more than 10%.

    Raises
    ------
    ValueError
        Only on public parameters: values not numeric, sensitivity or epsilon not finite
        or <= 0, granularity not a power of two, bounds unordered, not finite or beyond
        2**51 steps, b above 2**40. Never on the values' magnitude.

    Examples
    --------
    >>> from pyppml import dp
    >>> y = dp.laplace_mechanism([10.0, 20.0], sensitivity=1.0, epsilon=1.0, bounds=(0, 100), granularity=2**-10)
    >>> bool(all((v * 2**10).is_integer() for v in y))
    True
    """
    api = "dp.laplace_mechanism"
    check_accountant(api, accountant)
    sens = bounded_real(api, "sensitivity", sensitivity)
    eps = bounded_real(api, "epsilon", epsilon)
    x, integer = private_values(api, values)
    d = max(x.size, 1)
    step = _step(api, granularity, float(sens), d, "l1", sensitivity)
    steps = _steps(api, "sensitivity", sens, step, sensitivity)
    lo, hi = _bounds(api, bounds, step)
    if _unmoved_by_rounding(integer, step, lo, hi):
        grid_sens = max(1, math.floor(steps))
    else:
        grid_sens = math.floor(steps) + d
        _warn_inflation(api, granularity, grid_sens * step, float(sens), d, "l1")
    scale = _round_up(Fraction(grid_sens) / eps)
    if scale >= 2**40:  # the sampler takes scales below 2**40
        fail(api, "epsilon", "is too small for the grid", "scale / granularity < 2**40", epsilon)
    if accountant is not None:
        accountant.record_laplace(scale, grid_sens, mechanism=api)
    noise = _core.dp_discrete_laplace(scale.numerator, scale.denominator, x.size, prng)
    return _release(grid_index(values, x, step, lo, hi), noise, step, x.shape)


def gaussian_mechanism(values, l2_sensitivity, epsilon, delta, *, bounds=None, granularity=None,
                       accountant=None, prng=None) -> np.ndarray:
    """(epsilon, delta)-DP release of ``values`` with discrete Gaussian noise on a grid.

    sigma (in grid units) is the analytic Gaussian calibration [Balle & Wang 2018, Thm. 8:
    the smallest sigma with Phi(D'/(2 sigma) - eps sigma/D') - e^eps Phi(-D'/(2 sigma) -
    eps sigma/D') <= delta (1 - 1e-3)] for the rounded query's L2 sensitivity
    D' = l2_sensitivity / step + ceil(sqrt(d)). The discrete Gaussian has the same
    concentrated-DP guarantee as the continuous one [CKS20, Thm. 4]; its (epsilon, delta)
    curve is above the continuous one by a relative ~0.5/sigma^2 (computed exactly for one
    coordinate, see tests/dp), which the 1e-3 margin covers as sigma >= 64 grid steps is
    enforced (the default grid gives sigma >= ~3800 steps) and delta >= 1e-20 (deeper in
    the tail the excess grows: 1.4% at delta 5e-324). The noise variance in grid
    units is sigma**2 (rounded up to a dyadic rational; the discrete Gaussian's variance
    differs from sigma**2 by less than 1e-1000 relative at sigma >= 64).

    Parameters
    ----------
    values : array_like of float
        Private; clamped to ``bounds``, never quoted in an error.
    l2_sensitivity : float, > 0
    epsilon : float, > 0
    delta : float in (0, 1)
    bounds : (float, float), optional
        As in ``laplace_mechanism``.
    granularity : float, optional
        Grid step, a power of two; default ``default_granularity(l2_sensitivity, d, "l2")``.
    accountant : PrivacyAccountant, optional
        Charged with the noise really added and the grid sensitivity, rounding
        included (``accountant.charges[-1]``), before the noise is drawn.
    prng : pyppml._core.Prng, optional
        Only for reproducible tests.

    Returns
    -------
    numpy.ndarray of float64, same shape; every entry an integer multiple of the step.

    Raises
    ------
    ValueError
        As ``laplace_mechanism`` (public parameters only), plus delta outside (0, 1),
        sigma below 64 steps (granularity too coarse) or at least 2**31 steps.

    Examples
    --------
    >>> from pyppml import dp
    >>> y = dp.gaussian_mechanism([0.5] * 3, l2_sensitivity=1.0, epsilon=1.0, delta=1e-5, bounds=(0, 1))
    >>> y.shape
    (3,)
    """
    api = "dp.gaussian_mechanism"
    check_accountant(api, accountant)
    sens = bounded_real(api, "l2_sensitivity", l2_sensitivity)
    eps = positive_float(api, "epsilon", epsilon)
    dlt = gaussian_delta(api, delta)
    x, integer = private_values(api, values)
    d = max(x.size, 1)
    step = _step(api, granularity, float(sens), d, "l2", l2_sensitivity)
    grid_sens = float(_steps(api, "l2_sensitivity", sens, step, l2_sensitivity))
    lo, hi = _bounds(api, bounds, step)
    if not _unmoved_by_rounding(integer, step, lo, hi):
        grid_sens += math.isqrt(d - 1) + 1  # ceil(sqrt(d)) >= sqrt(d)
        _warn_inflation(api, granularity, grid_sens * step, float(sens), d, "l2")
    # The discrete Gaussian's delta exceeds the continuous one's by a relative ~0.5/sigma^2
    # (computed exactly for one coordinate: 3.5% at sigma 3.7, 0.01% at sigma 64); the
    # calibration therefore targets delta (1 - 1e-3) and requires sigma >= 64 grid steps.
    sigma = gaussian_sigma(eps, dlt * (1.0 - 1e-3), grid_sens)
    if sigma < 64.0:
        fail(api, "granularity", "is too coarse for the noise", "sigma / granularity >= 64", granularity)
    var = _round_up(Fraction(sigma) ** 2) if sigma < 2**31 else None
    if var is None or var.numerator >= 2**62:
        fail(api, "epsilon", "is too small for the grid", "sigma / granularity < 2**31", epsilon)
    if accountant is not None:
        accountant.record_gaussian(math.sqrt(var), grid_sens, mechanism=api)
    noise = _core.dp_discrete_gaussian(var.numerator, var.denominator, x.size, prng)
    return _release(grid_index(values, x, step, lo, hi), noise, step, x.shape)


# Distributed noise: each of n shares is at least this many grid steps wide. Below about
# one step a discrete Gaussian is mostly 0 (its variance far below sigma^2): the sum of n
# shares is then narrower than charged and not close to a discrete Gaussian. From 2 steps
# on, Kairouz, Liu and Steinke's (ICML 2021, Thm. 1) tau = 10 sum_{k<n} exp(-2 pi^2
# sigma^2 k / (k + 1)) <= 10 n exp(-pi^2 sigma^2) stays below 2e-7 for every n < 2^31.
MIN_SHARE_SIGMA_STEPS = 2.0


def check_share_width(api: str, sigma_steps: float, shares: int, shown) -> None:
    """Refuses one share of distributed noise narrower than ``MIN_SHARE_SIGMA_STEPS``
    grid steps (``sigma_steps``: the share's standard deviation in steps)."""
    if shares > 1 and sigma_steps < MIN_SHARE_SIGMA_STEPS:
        fail(api, "noise_multiplier", f"leaves each of {shares} shares {sigma_steps:.3g} grid steps wide",
             f"shares of >= {MIN_SHARE_SIGMA_STEPS:g} steps (noise_multiplier * grid sensitivity / sqrt(shares); "
             "more noise, fewer shares or a finer grid)", shown)


def grid_gaussian_mechanism(values, l2_sensitivity, noise_multiplier, *, bounds=None, granularity=None,
                            accountant=None, prng=None, shares: int = 1) -> np.ndarray:
    """Gaussian mechanism with a given noise multiplier, on a power-of-two grid: the form
    DP-SGD and DP-FedAvg use, where a ``PrivacyAccountant`` is stepped with
    ``noise_multiplier``.

    The values are clamped to ``bounds``, rounded to the grid, and discrete Gaussian noise
    of standard deviation ``noise_multiplier * D'`` grid steps is added, where
    D' = l2_sensitivity / step + ceil(sqrt(d)) is the rounded query's L2 sensitivity in
    steps: the rounding is counted, so the release is exactly a Gaussian mechanism with
    noise multiplier ``noise_multiplier`` on an integer query (the discrete Gaussian meets
    the continuous one's Rényi / concentrated DP bound for integer shifts [CKS20, Thm. 4])
    and the accountant needs no correction. In value units the noise has standard
    deviation ``noise_multiplier * (l2_sensitivity + step * ceil(sqrt(d)))``. The output
    is a multiple of the step, so its low bits carry nothing of the input.

    Distributed noise (Kairouz, Liu and Steinke 2021): each of n parties calls this on its
    own contribution with ``shares=n`` (noise multiplier ``noise_multiplier / sqrt(n)``)
    and the same (default) grid; the sum of the outputs is on the grid and its noise has
    the variance of the central call, within a negligible distance of a discrete Gaussian
    because each share is refused below ``MIN_SHARE_SIGMA_STEPS`` = 2 grid steps (narrower
    discrete Gaussians are mostly 0: 4M shares of 0.5 steps sum to 0.94 of the charged
    width, 10M of 0.08 steps to nothing).

    Parameters
    ----------
    values : array_like of float
        Private; clamped to ``bounds``, never quoted in an error.
    l2_sensitivity : float, > 0
        L2 sensitivity of the query (the clipping norm for a sum of clipped updates).
    noise_multiplier : float, > 0
        Noise standard deviation / rounded sensitivity.
    bounds : (float, float), optional
        As in ``laplace_mechanism``.
    granularity : float, optional
        Grid step, a power of two; default ``default_granularity(l2_sensitivity, d, "l2")``
        (at most l2_sensitivity / (1024 sqrt(d)): rounding inflates D by at most 1/1024).
    accountant : PrivacyAccountant, optional
        Charged with the noise really added and the grid sensitivity, rounding
        included (``accountant.charges[-1]``), before the noise is drawn.
    prng : pyppml._core.Prng, optional
        Only for reproducible tests.
    shares : int, >= 1
        Number of parties adding such noise to one sum (distributed noise): this call
        draws one share, of multiplier ``noise_multiplier / sqrt(shares)``, at least 2
        grid steps wide. With shares > 1, ``accountant`` must be None: the sum's noise is
        charged once, with ``noise_multiplier``, by whoever accounts for the sum.

    Returns
    -------
    numpy.ndarray of float64, same shape; every entry an integer multiple of the step.

    Raises
    ------
    ValueError
        Public parameters only: values not numeric, l2_sensitivity or noise_multiplier not
        finite or <= 0, granularity not a power of two, bounds as in
        ``laplace_mechanism``, noise standard deviation of 2**31 steps or more, or below
        64 steps with a PLD accountant; shares not an integer >= 1, a share below 2
        steps, or an accountant with shares > 1.

    Examples
    --------
    >>> from pyppml import dp
    >>> y = dp.grid_gaussian_mechanism([0.25, -0.5], l2_sensitivity=1.0, noise_multiplier=1.1, granularity=2**-12)
    >>> bool(all((v * 2**12).is_integer() for v in y))
    True
    """
    api = "dp.grid_gaussian_mechanism"
    check_accountant(api, accountant)
    sens = bounded_real(api, "l2_sensitivity", l2_sensitivity)
    mult = bounded_real(api, "noise_multiplier", noise_multiplier)
    if isinstance(shares, bool) or not isinstance(shares, (int, np.integer)) or shares < 1:
        fail(api, "shares", "is out of range", "an integer >= 1", shares)
    if shares > 1 and accountant is not None:
        fail(api, "accountant", "is given for one share of distributed noise",
             "None (the sum's noise is charged once, by whoever accounts for the sum)", accountant)
    x, integer = private_values(api, values)
    d = max(x.size, 1)
    step = _step(api, granularity, float(sens), d, "l2", l2_sensitivity)
    grid_sens = _steps(api, "l2_sensitivity", sens, step, l2_sensitivity)  # exact: step is a power of two
    lo, hi = _bounds(api, bounds, step)
    if not _unmoved_by_rounding(integer, step, lo, hi):
        grid_sens += math.isqrt(d - 1) + 1
        _warn_inflation(api, granularity, float(grid_sens) * step, float(sens), d, "l2")
    var = _round_up((mult * grid_sens) ** 2 / int(shares))  # one share: (multiplier / sqrt(shares))^2, exact
    check_share_width(api, math.sqrt(var), int(shares), noise_multiplier)
    if var.numerator >= 2**62:
        fail(api, "noise_multiplier", "is too large for the grid", "sigma / granularity < 2**31", noise_multiplier)
    # A PLD accountant composes the continuous Gaussian's curve, whose delta the discrete
    # one exceeds by a relative ~0.5/sigma^2 (10-25% at sigma 0.5-2 steps; Rényi DP is
    # exact for integer shifts [CKS20, Thm. 4]): it needs sigma >= 64 steps, as in
    # gaussian_mechanism.
    if accountant is not None and accountant.method == "pld" and var < 64**2:
        fail(api, "granularity", "is too coarse for a PLD accountant", "sigma / granularity >= 64 (or an 'rdp' "
             "accountant)", granularity)
    if accountant is not None:
        accountant.record_gaussian(math.sqrt(var), grid_sens, mechanism=api)
    noise = _core.dp_discrete_gaussian(var.numerator, var.denominator, x.size, prng)
    return _release(grid_index(values, x, step, lo, hi), noise, step, x.shape)
