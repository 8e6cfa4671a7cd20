"""Analytic Gaussian mechanism calibration [Balle & Wang 2018, Algorithm 1]: the smallest
sigma for which Gaussian noise gives (epsilon, delta)-DP at a given L2 sensitivity, using
the exact privacy profile delta(eps) = Phi(D/(2s) - eps s/D) - e^eps Phi(-D/(2s) - eps s/D)
instead of the classical sqrt(2 ln(1.25/delta)) bound (which is loose and needs eps < 1)."""

from __future__ import annotations

import functools
import math

from pyppml.dp._checks import fail, positive_float, probability_open


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
    lo, hi = sens * 1e-6, sens
    while gaussian_delta(hi, eps, sens) > dlt:
        lo, hi = hi, hi * 2.0
        if hi > 2.0**1020:  # gaussian_delta needs 2 sigma to be a float
            return math.inf
    for _ in range(200):
        mid = math.sqrt(lo) * math.sqrt(hi)  # not sqrt(lo * hi): that under- or overflows at the range's ends
        if gaussian_delta(mid, eps, sens) > dlt:
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
        epsilon not finite or <= 0, delta outside (0, 1), or the step parameters as in
        ``PrivacyAccountant.step``.

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
    return _calibrate(eps, dlt, steps, sample_rate, method, sampling, dataset_size, batch_size, float(tolerance))


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
    while hi - lo > tolerance * hi:
        mid = math.sqrt(lo * hi)
        if spent(mid) > eps:
            lo = mid
        else:
            hi = mid
    return hi
