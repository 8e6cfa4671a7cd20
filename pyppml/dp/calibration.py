"""Analytic Gaussian mechanism calibration [Balle & Wang 2018, Algorithm 1]: the smallest
sigma for which Gaussian noise gives (epsilon, delta)-DP at a given L2 sensitivity, using
the exact privacy profile delta(eps) = Phi(D/(2s) - eps s/D) - e^eps Phi(-D/(2s) - eps s/D)
instead of the classical sqrt(2 ln(1.25/delta)) bound (which is loose and needs eps < 1).

The profile is evaluated without cancellation, as
[Phi(a - b) - Phi(-a - b)] - (e^eps - 1) Phi(-a - b) with a = D/(2s), b = eps s/D: the
bracket is the normal mass of an interval (summed erf, a ratio of tails, or Gauss-Legendre
quadrature, whichever keeps full relative precision) and e^eps - 1 is expm1. The textbook
form subtracts two numbers near Phi(-b) and lost delta below ~1e-16 Phi(-b): at
epsilon 1e-300 it returned a sigma whose true delta was 5.6e-17 for a target of 1e-300.
delta is computed to a relative error below ~1e-13 b^2 (b < 40 wherever delta is a
positive float), and the calibration aims 1e-9 below the delta asked for, so the sigma
returned meets it (checked against 100-digit mpmath in tests/dp)."""

from __future__ import annotations

import functools
import math

import numpy as np

from pyppml.dp._checks import fail, positive_float, probability_open

_SQRT2 = math.sqrt(2.0)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
# 16-point Gauss-Legendre rule on [-1, 1] (exact for degree 31): the normal density over
# an interval of width <= 0.52 (see _log_interval) is integrated to double precision.
_GL_NODES, _GL_WEIGHTS = (tuple(float(v) for v in arr) for arr in np.polynomial.legendre.leggauss(16))


def _log_phi(x: float) -> float:
    """log of the standard normal CDF, to a relative ~1e-15 everywhere (erfc keeps its
    relative precision down to x = -37; below, the Mills-ratio series is summed until
    its terms are below 1e-17)."""
    if x > -37.0:
        return math.log(0.5 * math.erfc(-x / _SQRT2))
    x2 = x * x
    total, term, k = 1.0, 1.0, 1
    while abs(term) > 1e-17:  # (2k-1)!! / (-x^2)^k: decreasing for k < x^2 / 2 (> 680)
        term *= -(2 * k - 1) / x2
        total += term
        k += 1
    return -0.5 * x2 - math.log(-x) - _LOG_SQRT_2PI + math.log(total)


def _log_interval(a: float, b: float) -> float:
    """log P(-a - b < Z < a - b) for a standard normal Z (a > 0, b >= 0), to full relative
    precision: the normal mass of an interval of width 2a centred at -b."""
    upper, lower = a - b, -a - b
    if upper > 0.0:  # straddles 0: Phi(u) - Phi(l) = (erf(u / sqrt2) + erf(-l / sqrt2)) / 2, both >= 0
        return math.log(0.5 * (math.erf(upper / _SQRT2) + math.erf(-lower / _SQRT2)))
    log_hi = _log_phi(upper)
    if log_hi == -math.inf:
        return -math.inf
    ratio = _log_phi(lower) - log_hi  # log(Phi(l) / Phi(u)) < 0
    if ratio < -0.5:  # the tails differ by a factor >= e^0.5: their difference loses < 2 bits
        return log_hi + math.log(-math.expm1(ratio))
    # A narrow interval: log Phi is concave, so a log-ratio >= -0.5 over [-a - b, a - b]
    # (a <= b) means 2 Phi(-2a) >= e^-0.5, i.e. width 2a <= 0.52. Integrate the density
    # phi(-b + a t) over t in [-1, 1], shifted by its largest log value.
    logs = [-0.5 * (a * t - b) ** 2 for t in _GL_NODES]
    top = max(logs)
    mass = sum(w * math.exp(v - top) for w, v in zip(_GL_WEIGHTS, logs))
    return top + math.log(a * mass) - _LOG_SQRT_2PI


def _log_expm1(x: float) -> float:
    """log(e^x - 1) for x > 0, without overflow."""
    return math.log(math.expm1(x)) if x < 1.0 else x + math.log(-math.expm1(-x))


def gaussian_delta(sigma: float, epsilon: float, l2_sensitivity: float) -> float:
    """delta(epsilon) of the Gaussian mechanism with noise sigma [Balle & Wang 2018, Thm. 8],
    computed without cancellation (see the module docstring)."""
    return math.exp(_log_gaussian_delta(sigma, epsilon, l2_sensitivity))


def _log_gaussian_delta(sigma: float, epsilon: float, l2_sensitivity: float) -> float:
    """log of ``gaussian_delta`` (-inf for 0): compared in logs, a subnormal delta keeps
    its relative precision."""
    a = l2_sensitivity / (2.0 * sigma)
    b = epsilon * sigma / l2_sensitivity
    log_mass = _log_interval(a, b)  # Phi(a - b) - Phi(-a - b)
    if log_mass == -math.inf:
        return -math.inf
    log_excess = _log_expm1(epsilon) + _log_phi(-a - b)  # (e^eps - 1) Phi(-a - b)
    if log_excess >= log_mass:
        return -math.inf
    return log_mass + math.log(-math.expm1(log_excess - log_mass))


def analytic_gaussian_sigma(epsilon, delta, l2_sensitivity=1.0) -> float:
    """Smallest sigma (to a relative ~1e-9, rounded up) with Gaussian (epsilon, delta)-DP.

    Parameters
    ----------
    epsilon : float, > 0
    delta : float, in (0, 1)
    l2_sensitivity : float, > 0

    Returns
    -------
    float
        sigma whose true delta at epsilon is <= ``delta`` (the profile is computed to a
        relative ~1e-10 or better at every epsilon in [2^-1000, 2^1000] and delta down to
        the smallest float; the calibration aims 1e-9 below ``delta``).

    Raises
    ------
    ValueError
        epsilon or l2_sensitivity not finite or <= 0, delta outside (0, 1).

    Examples
    --------
    >>> from pyppml import dp
    >>> round(dp.analytic_gaussian_sigma(1.0, 1e-5), 4)
    3.7306
    """
    api = "dp.analytic_gaussian_sigma"
    eps = positive_float(api, "epsilon", epsilon)
    dlt = probability_open(api, "delta", delta)
    sens = positive_float(api, "l2_sensitivity", l2_sensitivity)
    sigma = gaussian_sigma(eps, dlt, sens)
    if math.isinf(sigma):
        fail(api, "l2_sensitivity", "is too large for epsilon and delta", "a sigma within the float range",
             l2_sensitivity)
    return sigma


def gaussian_sigma(eps: float, dlt: float, sens: float) -> float:
    """analytic_gaussian_sigma for checked floats (eps and sens in [2^-1000, 2^1000], dlt in
    (0, 1)), for callers that report a failure under their own name: math.inf when no
    float sigma is large enough."""
    # delta(sigma) decreases in sigma: bracket, then bisect keeping `hi` feasible.
    # The target keeps a relative 1e-9 below delta, so that the sigma returned meets delta
    # itself: each term's log (up to ~745 in size) carries an absolute error near 1e-13,
    # which the subtraction of the two terms multiplies by at most b^2 < 1600.
    target = math.log(dlt) + math.log1p(-1e-9)

    def above(sigma: float) -> bool:
        return _log_gaussian_delta(sigma, eps, sens) > target

    lo, hi = sens * 1e-6, sens
    while above(hi):
        lo, hi = hi, hi * 2.0
        if hi > 2.0**1020:  # gaussian_delta needs 2 sigma to be a float
            return math.inf
    for _ in range(200):
        mid = math.sqrt(lo) * math.sqrt(hi)  # not sqrt(lo * hi): that under- or overflows at the range's ends
        if above(mid):
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-12 * hi:
            break
    return hi


def calibrate_noise_multiplier(epsilon, delta, steps: int, sample_rate=None, *, method: str = "rdp",
                               sampling: str = "poisson", dataset_size=None, batch_size=None,
                               tolerance: float = 1e-3) -> float:
    """Smallest noise multiplier (to a relative ``tolerance``, rounded up) for which
    ``steps`` subsampled Gaussian steps stay (epsilon, delta)-DP under the accountant
    ``PrivacyAccountant(method, sampling=sampling)``: what DP-SGD needs to hit a target
    budget for a given number of epochs.

    Returns
    -------
    float
        The multiplier; a fresh accountant stepped with it reports epsilon <= the target.

    Raises
    ------
    ValueError
        epsilon not finite or <= 0, delta outside (0, 1), tolerance not a finite real
        in (0, 1), or the step parameters as in ``PrivacyAccountant.step``.

    Examples
    --------
    >>> from pyppml import dp
    >>> nm = dp.calibrate_noise_multiplier(1.0, 1e-5, steps=100, sample_rate=0.1)
    >>> acc = dp.PrivacyAccountant()
    >>> acc.step(nm, 0.1, steps=100)
    >>> bool(0.99 < acc.get_epsilon(1e-5) <= 1.0)
    True
    """
    api = "dp.calibrate_noise_multiplier"
    eps = positive_float(api, "epsilon", epsilon)
    dlt = probability_open(api, "delta", delta)
    tol = probability_open(api, "tolerance", tolerance)
    return _calibrate(eps, dlt, steps, sample_rate, method, sampling, dataset_size, batch_size, tol)


@functools.lru_cache(maxsize=256)
def _calibrate(eps, dlt, steps, sample_rate, method, sampling, dataset_size, batch_size, tolerance) -> float:
    """The search behind ``calibrate_noise_multiplier``, cached: it depends only on public
    parameters, and a cross-validated fit asks for the same budget many times."""
    from pyppml.dp.accountant import PrivacyAccountant

    api = "dp.calibrate_noise_multiplier"

    def spent(multiplier: float) -> float:
        acc = PrivacyAccountant(method, sampling=sampling)
        acc.step(multiplier, sample_rate, steps, dataset_size=dataset_size, batch_size=batch_size)
        return acc.get_epsilon(dlt)

    # epsilon decreases in the multiplier: bracket, then bisect keeping `hi` feasible.
    lo, hi = 0.25, 1.0
    while spent(hi) > eps:
        lo, hi = hi, hi * 2.0
        if hi > 2.0**20:
            fail(api, "epsilon", "is out of reach", "a budget some multiplier below 2**20 meets", eps)
    while lo > 2.0**-6 and spent(lo) <= eps:
        lo, hi = lo / 2.0, lo
    # hi / lo <= 4 here; each pass halves log(hi / lo), so 64 passes reach adjacent
    # floats: the cap only ends a search whose tolerance the doubles cannot resolve.
    for _ in range(64):
        if hi - lo <= tolerance * hi:
            break
        mid = math.sqrt(lo * hi)
        if spent(mid) > eps:
            lo = mid
        else:
            hi = mid
    return hi
