"""Exact samplers against the exact pmf (chi-square at false-failure rate 1e-6) and their
second moment against the exact one (z-test at 1e-6, with the samples to catch a 3% error
in sigma or the Laplace scale): the fast table sampler, its exact-fallback-only path, and
the textbook CKS reference; the Python wrappers against their documented parameter;
Bernoulli trials and the rigorous exp bounds they rest on."""

import math
from decimal import Decimal, getcontext
from fractions import Fraction

import numpy as np
import pytest

from pyppml import _core, dp

from dp_stats import (
    Z_TWO_SIDED,
    assert_fits,
    assert_second_moment,
    assert_variance,
    discrete_laplace_moments,
    gaussian_moments,
    gaussian_pmf,
    laplace_pmf,
    pmf_moments,
    samples_for_scale_error,
)

# Sample sizes from dp_stats.samples_for_scale_error (false failure 1e-6, miss rate 1e-6
# at a 3% scale error): 53,222 for a discrete Gaussian (sd(X^2) = sqrt(2) E[X^2]), up to
# 133,054 for a discrete Laplace (sd(X^2) = sqrt(5) E[X^2]); each test asserts its own.
N = 200_000  # table path and reference samplers (fast)
N_FALLBACK_GAUSS = 60_000  # exact-fallback path: every acceptance in multiprecision, slower
N_FALLBACK_LAPLACE = 140_000
SEED = bytes(range(32))


def dg_moments(sigma):
    """E[X^2], E[X^4] of N_Z(0, sigma^2): from the pmf for small sigma (where they differ
    from the continuous ones), the continuous ones from sigma 10 on (relative gap < 1e-100)."""
    return gaussian_moments(sigma) if sigma >= 10 else pmf_moments(*gaussian_pmf(sigma * sigma))


def check_gaussian(x, var):
    """pmf fit and second moment of samples meant to be N_Z(0, var), with enough samples."""
    assert x.dtype == np.int64
    assert x.size >= samples_for_scale_error(dg_moments, math.sqrt(var))
    k, p = gaussian_pmf(var)
    assert_fits(x, k, p)
    assert_second_moment(x, *dg_moments(math.sqrt(var)), f"discrete Gaussian var {var:g}")


def check_laplace(x, scale):
    assert x.dtype == np.int64
    assert x.size >= samples_for_scale_error(discrete_laplace_moments, scale)
    k, p = laplace_pmf(scale)
    assert_fits(x, k, p)
    assert_second_moment(x, *discrete_laplace_moments(scale), f"discrete Laplace scale {scale:g}")


def seeded(stream=0):
    return _core.Prng(SEED, stream)


@pytest.mark.parametrize(
    "a,b",
    [(1, 4), (9, 1), (5, 2), (10**6, 1), (10**10, 1), (2, 3)],
    ids=["sigma0.5", "sigma3", "var5_2", "sigma1000", "sigma1e5_blocks", "var2_3"],
)
def test_discrete_gaussian_table_path(a, b):
    x = _core.dp_discrete_gaussian(a, b, N)
    check_gaussian(x, a / b)
    k, p = gaussian_pmf(a / b)
    assert_variance(x, k, p)


@pytest.mark.parametrize(
    "scale", [Fraction(1, 2), Fraction(1), Fraction(7, 3), Fraction(1000), Fraction(123457, 10)],
    ids=["scale0.5", "scale1", "scale7_3", "scale1000_blocks", "scale12345.7"],
)
def test_discrete_laplace_table_path(scale):
    check_laplace(_core.dp_discrete_laplace(scale.numerator, scale.denominator, N), float(scale))


def test_table_uses_blocks_for_large_sigma():
    assert _core.dp_table_info("gaussian", 10**6, 1)["block_bits"] == 0
    assert _core.dp_table_info("gaussian", 10**10, 1)["block_bits"] > 0


@pytest.mark.parametrize("a,b", [(9, 1), (7, 5), (10**6, 1)], ids=["sigma3", "var7_5", "sigma1000"])
def test_exact_fallback_path_gaussian(a, b):
    # Every acceptance decided by the multiprecision comparison (normally ~2^-40 of them).
    check_gaussian(_core.dp_discrete_gaussian(a, b, N_FALLBACK_GAUSS, exact_fallback_only=True), a / b)


@pytest.mark.parametrize("sn,sd", [(13, 10), (1000, 1)], ids=["scale1.3", "scale1000"])
def test_exact_fallback_path_laplace(sn, sd):
    check_laplace(_core.dp_discrete_laplace(sn, sd, N_FALLBACK_LAPLACE, exact_fallback_only=True), sn / sd)


@pytest.mark.parametrize("a,b", [(9, 1), (9, 4), (10**6, 1)], ids=["sigma3", "sigma1.5", "sigma1000"])
def test_reference_gaussian(a, b):
    check_gaussian(_core.dp_discrete_gaussian_reference(a, b, N), a / b)


@pytest.mark.parametrize("sn,sd", [(5, 2), (1000, 1)], ids=["scale2.5", "scale1000"])
def test_reference_laplace(sn, sd):
    check_laplace(_core.dp_discrete_laplace_reference(sn, sd, N), sn / sd)


# The Python wrappers at their documented parameter: the float sigma (scale) itself, not
# the rational exact_variance (exact_scale) the library derives from it.
@pytest.mark.parametrize("sigma", [0.7, 3.0, 123.45, 2.0**14 / 3])
def test_python_discrete_gaussian_variance(sigma):
    check_gaussian(dp.discrete_gaussian(sigma, N), sigma * sigma)


@pytest.mark.parametrize("scale", [0.4, 2.0, 333.3])
def test_python_discrete_laplace_variance(scale):
    check_laplace(dp.discrete_laplace(scale, N), scale)


@pytest.mark.parametrize("xn,xd", [(0, 1), (1, 3), (1, 1), (5, 2), (7, 1)])
def test_bernoulli_exp_rate(xn, xd):
    n = 200_000
    hits = int(_core.dp_bernoulli_exp(xn, xd, n).sum())
    p = float(np.exp(-xn / xd))
    assert abs(hits - n * p) <= Z_TWO_SIDED * np.sqrt(n * p * (1 - p)) + 1e-9


@pytest.mark.parametrize("cn,shift,cd,xn,xd", [(3, 0, 4, 1, 2), (1, 3, 9, 5, 2), (1, 0, 1, 0, 1)])
def test_lazy_bernoulli_rate(cn, shift, cd, xn, xd):
    n = 20_000
    hits = int(_core.dp_bernoulli_exp_lazy(cn, shift, cd, xn, xd, n).sum())
    p = min(1.0, cn * 2**shift / cd * float(np.exp(-xn / xd)))
    assert abs(hits - n * p) <= Z_TWO_SIDED * np.sqrt(n * p * (1 - p)) + 1e-9


@pytest.mark.parametrize(
    "xn,xd,bits",
    [(1, 1, 128), (10**6, 7, 256), (42289009, 2 * 10**6, 128), (3, 2**40, 512), (2**100 + 1, 3, 200), (0, 5, 64)],
)
def test_exp_interval_brackets_truth(xn, xd, bits):
    getcontext().prec = 400
    lo, hi = _core.dp_exp_interval(xn, xd, bits)
    truth = (-(Decimal(xn) / Decimal(xd))).exp() * (Decimal(2) ** bits)
    assert Decimal(lo) <= truth <= Decimal(hi)
    assert hi - lo <= 8


def test_seeded_streams_reproduce_and_os_streams_differ():
    a = _core.dp_discrete_gaussian(9, 1, 1000, seeded())
    b = _core.dp_discrete_gaussian(9, 1, 1000, seeded())
    assert np.array_equal(a, b)
    assert not np.array_equal(dp.discrete_gaussian(3, 1000), dp.discrete_gaussian(3, 1000))


def test_python_api_shapes_and_exact_parameters():
    assert dp.discrete_gaussian(3.0, 0).shape == (0,)
    assert dp.exact_variance(3.0) == 9
    assert dp.exact_variance(0.1) == Fraction(1, 100)
    assert dp.exact_scale(0.5) == Fraction(1, 2)
    assert dp.discrete_laplace(Fraction(7, 3), 10).dtype == np.int64
