"""Exact samplers against the exact pmf (chi-square at false-failure rate 1e-6): the fast
table sampler, its exact-fallback-only path, and the textbook CKS reference; Bernoulli
trials and the rigorous exp bounds they rest on."""

from decimal import Decimal, getcontext
from fractions import Fraction

import numpy as np
import pytest

from pyppml import _core, dp

from dp_stats import Z_TWO_SIDED, assert_fits, assert_variance, gaussian_pmf, laplace_pmf

N = 200_000
SEED = bytes(range(32))


def seeded(stream=0):
    return _core.Prng(SEED, stream)


@pytest.mark.parametrize(
    "a,b",
    [(1, 4), (9, 1), (5, 2), (10**6, 1), (10**10, 1), (2, 3)],
    ids=["sigma0.5", "sigma3", "var5_2", "sigma1000", "sigma1e5_blocks", "var2_3"],
)
def test_discrete_gaussian_fits_pmf(a, b):
    x = _core.dp_discrete_gaussian(a, b, N)
    assert x.dtype == np.int64
    k, p = gaussian_pmf(a / b)
    assert_fits(x, k, p)
    assert_variance(x, k, p)


@pytest.mark.parametrize(
    "scale", [Fraction(1, 2), Fraction(1), Fraction(7, 3), Fraction(1000), Fraction(123457, 10)],
    ids=["scale0.5", "scale1", "scale7_3", "scale1000_blocks", "scale12345.7"],
)
def test_discrete_laplace_fits_pmf(scale):
    x = _core.dp_discrete_laplace(scale.numerator, scale.denominator, N)
    k, p = laplace_pmf(float(scale))
    assert_fits(x, k, p)
    assert_variance(x, k, p)


def test_table_uses_blocks_for_large_sigma():
    assert _core.dp_table_info("gaussian", 10**6, 1)["block_bits"] == 0
    assert _core.dp_table_info("gaussian", 10**10, 1)["block_bits"] > 0


@pytest.mark.parametrize("a,b", [(9, 1), (7, 5)], ids=["sigma3", "var7_5"])
def test_exact_fallback_path_fits_pmf(a, b):
    # Every acceptance decided by the multiprecision comparison (normally ~2^-40 of them).
    x = _core.dp_discrete_gaussian(a, b, 20_000, exact_fallback_only=True)
    k, p = gaussian_pmf(a / b)
    assert_fits(x, k, p)


def test_exact_fallback_path_laplace():
    x = _core.dp_discrete_laplace(13, 10, 20_000, exact_fallback_only=True)
    k, p = laplace_pmf(1.3)
    assert_fits(x, k, p)


@pytest.mark.parametrize("a,b", [(9, 1), (9, 4)], ids=["sigma3", "sigma1.5"])
def test_reference_gaussian_fits_pmf(a, b):
    x = _core.dp_discrete_gaussian_reference(a, b, 50_000)
    k, p = gaussian_pmf(a / b)
    assert_fits(x, k, p)


def test_reference_laplace_fits_pmf():
    x = _core.dp_discrete_laplace_reference(5, 2, 50_000)
    k, p = laplace_pmf(2.5)
    assert_fits(x, k, p)


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
