"""Calibration (pyppml.dp.calibration): the analytic Gaussian sigma meets its delta at
extreme (epsilon, delta) against a high-precision reference (mpmath when installed,
else decimal arithmetic), and the noise-multiplier search ends for every tolerance."""

import math
import re
import time
from decimal import Decimal, getcontext, localcontext

import pytest

from pyppml import ParameterError, dp
from pyppml.dp.calibration import gaussian_delta

try:
    import mpmath
except ImportError:  # pragma: no cover - the decimal reference below is used instead
    mpmath = None


def _pi(digits: int) -> Decimal:
    """pi to `digits` digits (Machin's formula), in the current decimal context."""
    def arctan_inv(x: int) -> Decimal:
        total, term, k, x2 = Decimal(0), Decimal(1) / x, 0, x * x
        while term:
            total += term / (2 * k + 1) if k % 2 == 0 else -term / (2 * k + 1)
            term /= x2
            k += 1
        return total
    return 16 * arctan_inv(5) - 4 * arctan_inv(239)


def _ncdf_decimal(x: Decimal, pi: Decimal) -> Decimal:
    """Phi(x) = 1/2 + phi(x) sum_n x^(2n+1) / (2n+1)!!, a series that converges for every
    x; the context's precision must cover the cancellation (~x^2 / (2 ln 10) digits)."""
    total, term, n = Decimal(0), x, 0
    while abs(term) > Decimal(10) ** (-getcontext().prec - 20) * (abs(total) + 1):
        total += term
        n += 1
        term = term * x * x / (2 * n + 1)
    return Decimal(1) / 2 + (-(x * x) / 2).exp() / (2 * pi).sqrt() * total


def true_delta(sigma: float, epsilon: float, sensitivity: float = 1.0) -> float:
    """delta(epsilon) of the Gaussian mechanism with noise sigma, to ~50 significant digits
    whatever the cancellation [Balle & Wang 2018, Thm. 8]."""
    digits = 120 + int(max(0.0, -math.log10(epsilon)))
    if mpmath is not None:
        with mpmath.workdps(digits):
            s, e, d = mpmath.mpf(sigma), mpmath.mpf(epsilon), mpmath.mpf(sensitivity)
            a, b = d / (2 * s), e * s / d
            return float(mpmath.ncdf(a - b) - mpmath.exp(e) * mpmath.ncdf(-a - b))
    with localcontext() as ctx:
        ctx.prec = digits + 800  # the series' cancellation at |x| <= 40
        pi = _pi(ctx.prec)
        s, e, d = Decimal(sigma), Decimal(epsilon), Decimal(sensitivity)
        a, b = d / (2 * s), e * s / d
        return float(_ncdf_decimal(a - b, pi) - e.exp() * _ncdf_decimal(-a - b, pi))


EXTREME = [(1e-16, 1e-17), (1e-300, 1e-300), (1e-14, 1e-17), (1e-12, 1e-16), (2.0**-1000, 1e-300), (1e-8, 1e-200),
           (1.0, 1e-5), (1.0, 1e-300), (20.0, 1e-100), (500.0, 1e-300), (1e-3, 0.5), (5.0, 0.9), (0.3, 1e-320)]


@pytest.mark.parametrize("epsilon,delta", EXTREME, ids=[f"eps{e:g}_delta{d:g}" for e, d in EXTREME])
def test_analytic_sigma_meets_its_delta_at_extreme_parameters(epsilon, delta):
    """Review 6, LOW-7: delta was Phi(a - b) - e^eps Phi(-a - b) in doubles, two numbers
    near Phi(-b) whose difference cancelled below ~1e-16: analytic_gaussian_sigma(1e-16,
    1e-17) had a true delta of 1.71e-17 and (1e-300, 1e-300) one of 5.6e-17. The true
    delta (high precision) at the sigma returned is now at most delta, and 1e-6 below
    sigma it is above delta (the sigma is the smallest one, not just a safe one)."""
    sigma = dp.analytic_gaussian_sigma(epsilon, delta)
    assert true_delta(sigma, epsilon) <= delta
    assert true_delta(sigma * (1 - 1e-6), epsilon) > delta
    # The double-precision profile agrees with the reference to a relative 1e-9.
    assert gaussian_delta(sigma, epsilon, 1.0) == pytest.approx(true_delta(sigma, epsilon), rel=1e-9)


def test_reference_matches_the_published_calibration():
    """The reference itself: Balle & Wang's sigma for (1, 1e-5) is 3.7306."""
    assert true_delta(3.7306, 1.0) == pytest.approx(1e-5, rel=1e-3)


@pytest.mark.parametrize("tolerance,problem", [(-1, "is outside (0, 1)"), (0, "is outside (0, 1)"),
                                               (math.nan, "is not a finite real number"), (1.0, "is outside (0, 1)"),
                                               (math.inf, "is not a finite real number"), ("x", "is not a finite")],
                         ids=["negative", "zero", "nan", "one", "inf", "string"])
def test_calibration_tolerance_outside_0_1_is_refused(tolerance, problem):
    """Review 6, LOW-6: tolerance -1 and 0 never returned (the bisection stalled on
    adjacent floats), NaN returned without refining."""
    start = time.monotonic()
    with pytest.raises(ParameterError, match=r"^dp\.calibrate_noise_multiplier: tolerance " + re.escape(problem)):
        dp.calibrate_noise_multiplier(1.0, 1e-5, steps=10, sample_rate=0.1, tolerance=tolerance)
    assert time.monotonic() - start < 5


def test_calibration_ends_at_a_tolerance_below_double_precision():
    """The search is capped: a tolerance no double can meet ends after the cap with the
    last feasible multiplier."""
    start = time.monotonic()
    nm = dp.calibrate_noise_multiplier(1.0, 1e-5, steps=10, sample_rate=0.1, tolerance=5e-324)
    assert time.monotonic() - start < 60
    acc = dp.PrivacyAccountant()
    acc.step(nm, 0.1, 10)
    assert acc.get_epsilon(1e-5) <= 1.0
    assert nm == pytest.approx(dp.calibrate_noise_multiplier(1.0, 1e-5, steps=10, sample_rate=0.1), rel=2e-3)
