"""Analytic Gaussian mechanism calibration [Balle & Wang 2018, Algorithm 1]: the smallest
sigma for which Gaussian noise gives (epsilon, delta)-DP at a given L2 sensitivity, using
the exact privacy profile delta(eps) = Phi(D/(2s) - eps s/D) - e^eps Phi(-D/(2s) - eps s/D)
instead of the classical sqrt(2 ln(1.25/delta)) bound (which is loose and needs eps < 1)."""

from __future__ import annotations

import math

from pyppml.dp._checks import positive_real, probability_open


def _log_phi(x: float) -> float:
    """log of the standard normal CDF, stable in the lower tail."""
    if x > -20.0:
        return math.log(0.5 * math.erfc(-x / math.sqrt(2.0)))
    # Asymptotic series of the Mills ratio; relative error < 1e-12 for x <= -20.
    x2 = x * x
    return -0.5 * x2 - math.log(-x) - 0.5 * math.log(2 * math.pi) + math.log1p(-1 / x2 + 3 / (x2 * x2))


def gaussian_delta(sigma: float, epsilon: float, l2_sensitivity: float) -> float:
    """delta(epsilon) of the Gaussian mechanism with noise sigma [Balle & Wang 2018, Thm. 8]."""
    a = l2_sensitivity / (2.0 * sigma)
    b = epsilon * sigma / l2_sensitivity
    first = math.exp(_log_phi(a - b))
    second = math.exp(epsilon + _log_phi(-a - b)) if epsilon + _log_phi(-a - b) > -745 else 0.0
    return max(0.0, first - second)


def analytic_gaussian_sigma(epsilon, delta, l2_sensitivity=1.0) -> float:
    """Smallest sigma (to a relative 1e-12, rounded up) with Gaussian (epsilon, delta)-DP.

    Parameters
    ----------
    epsilon : float, > 0
    delta : float, in (0, 1)
    l2_sensitivity : float, > 0

    Returns
    -------
    float
        sigma such that ``gaussian_delta(sigma, epsilon, l2_sensitivity) <= delta``.

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
    eps = float(positive_real(api, "epsilon", epsilon))
    dlt = probability_open(api, "delta", delta)
    sens = float(positive_real(api, "l2_sensitivity", l2_sensitivity))
    # delta(sigma) decreases in sigma: bracket, then bisect keeping `hi` feasible.
    lo, hi = sens * 1e-6, sens
    while gaussian_delta(hi, eps, sens) > dlt:
        lo, hi = hi, hi * 2.0
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        if gaussian_delta(mid, eps, sens) > dlt:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-12 * hi:
            break
    return hi
