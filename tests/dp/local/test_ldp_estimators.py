"""Unbiasedness and variance of every estimator against the closed forms: R independent
runs of n simulated devices on fixed (Zipf) data; for a heavy and an empty item, a z-test
of the mean error and of the mean squared error against the exact variance (false failure
1e-6 each). Each test also checks its own power (miss rate <= 1e-6): it catches the bias
of a server whose q is 3% off (e^eps + d instead of e^eps + d - 1 in GRR's q is 10% at
d = 6; for the sketch, a flip probability 3% off) and a variance off by VAR_ERROR."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from ldp_helpers import (
    Z_POWER,
    Z_TWO_SIDED,
    assert_mean_and_variance,
    bernoulli_sum_moments,
)

from pyppml import _core
from pyppml.dp.local import (
    CountMeanSketch,
    OptimizedLocalHashing,
    OptimizedUnaryEncoding,
    RandomizedResponse,
)

R = 22000  # runs
N = 300  # devices per run
VAR_ERROR = 0.10


def zipf_counts(d, n):
    w = 1.0 / np.arange(1, d + 1)
    c = np.floor(w / w.sum() * n).astype(np.int64)
    c[0] += n - c.sum()
    c[-1], c[-2] = 0, c[-2] + c[-1]  # the last item is empty
    return c


def run_estimates(oracle, counts, seed):
    prng = _core.Prng(bytes([seed]) * 32, 0)
    values = np.repeat(np.arange(counts.size), counts)
    reports = oracle.perturb(np.tile(values, R), prng=prng)
    est = np.empty((R, counts.size))
    n = values.size
    for r in range(R):
        est[r] = oracle.estimate(_slice(reports, r * n, (r + 1) * n))
    return est


def _slice(reports, a, b):
    keys = None if reports.keys is None else reports.keys[a:b]
    return replace(reports, values=reports.values[a:b], keys=keys)


def check_power(mu2, mu4, shift):
    """The tests catch a mean shifted by `shift` and a variance off by VAR_ERROR."""
    se_mean = math.sqrt(mu2 / R)
    assert abs(shift) >= (Z_TWO_SIDED + Z_POWER) * se_mean, "too few runs to catch a 3% error in q"
    se_sq = math.sqrt((mu4 - mu2 * mu2) / R)
    assert VAR_ERROR * mu2 >= (Z_TWO_SIDED + Z_POWER) * se_sq * 1.05, "too few runs to catch the variance error"


def pure_case(oracle, counts, est):
    """GRR, OUE, OLH: support of item x ~ Bern(p) from its c_x holders, Bern(q) from others."""
    n = counts.sum()
    p, q = float(oracle.p), float(oracle.q)
    assert np.allclose(oracle.variance(n, counts), [bernoulli_sum_moments([p, q], [c, n - c], 1 / (p - q))[0]
                                                    for c in counts])
    for x in (0, counts.size - 1):
        mu2, mu4 = bernoulli_sum_moments([p, q], [counts[x], n - counts[x]], 1 / (p - q))
        # A server using q(1 + 3%) would be off by (n - c_x) 0.03 q / (p - q) (and more).
        check_power(mu2, mu4, (n - counts[x]) * 0.03 * q / (p - q))
        assert_mean_and_variance(est[:, x] - counts[x], mu2, mu4, f"{oracle.protocol} item {x}")


def test_grr():
    counts = zipf_counts(6, N)
    rr = RandomizedResponse(1.5, 6)
    pure_case(rr, counts, run_estimates(rr, counts, 1))
    # The paper's closed form for an item of count 0: n (d - 2 + e^eps) / (e^eps - 1)^2.
    e = math.exp(1.5)
    assert rr.variance(1000)[0] == pytest.approx(1000 * (6 - 2 + e) / (e - 1) ** 2, rel=1e-12)


def test_oue():
    counts = zipf_counts(10, N)
    oue = OptimizedUnaryEncoding(1.0, 10)
    pure_case(oue, counts, run_estimates(oue, counts, 2))
    e = math.e
    assert oue.variance(1000)[0] == pytest.approx(1000 * 4 * e / (e - 1) ** 2, rel=1e-12)


@pytest.mark.parametrize("eps,g", [(1.0, None), (0.5, 2)])
def test_olh(eps, g):
    counts = zipf_counts(12, N)
    olh = OptimizedLocalHashing(eps, 12, g=g)
    pure_case(olh, counts, run_estimates(olh, counts, 3))
    # [WBLJ17]'s variance for general g: n (e^eps - 1 + g)^2 / ((e^eps - 1)^2 (g - 1)), up to the 2^-32
    # non-uniformity of the buckets.
    e = math.exp(eps)
    assert olh.variance(1000)[0] == pytest.approx(1000 * (e - 1 + olh.g) ** 2 / ((e - 1) ** 2 * (olh.g - 1)),
                                                  rel=1e-8)


def test_cms():
    """Small sketch (k = 4, m = 8, d = 12) so collisions matter: the mean is the
    collision-aware expected_estimate and the variance exact_variance, both for these keys."""
    counts = zipf_counts(12, N)
    cms = CountMeanSketch(2.0, 12, k=4, m=8, prng=_core.Prng(bytes(32), 5))
    est = run_estimates(cms, counts, 4)
    mean = cms.expected_estimate(counts)
    var = cms.exact_variance(counts)
    n = counts.sum()
    f, m, c = float(cms.flip), cms.m, float(cms.c)
    h = cms.buckets(np.arange(12))
    for x in (0, 11):
        rho = (h == h[:, [x]]).mean(axis=0)  # per item v: fraction of rows colliding with x
        pi = f + rho * (1 - 2 * f)
        mu2, mu4 = bernoulli_sum_moments(pi, counts, m / (m - 1) * c)
        assert mu2 == pytest.approx(var[x], rel=1e-12)
        # A server using flip probability f(1 + 3%) debiases with c' = 1/(1 - 2f'): its mean
        # moves by m/(m-1) (c' - c)/2 sum_v c_v (2 pi_v - 1).
        c_wrong = 1 / (1 - 2 * f * 1.03)
        check_power(mu2, mu4, m / (m - 1) * (c_wrong - c) / 2 * float((counts * (2 * pi - 1)).sum()))
        assert_mean_and_variance(est[:, x] - mean[x], mu2, mu4, f"cms item {x}")
    # Without collisions (rho = 1/m for other items) variance() is [Apple17]'s form.
    assert cms.variance(n)[0] == pytest.approx((m / (m - 1)) ** 2 * c * c * n * (f + (1 - 2 * f) / m)
                                               * (1 - f - (1 - 2 * f) / m), rel=1e-12)
