"""RNS base conversion and automorphisms through the C ABI equal pyppml.ring's bit for bit;
the DP samplers' output follows the documented laws (1e-6 false-failure rate); Shamir
shares cross between C and pyppml.mpc in both directions and a single share reveals
nothing about the secret."""

import math
import pathlib
import sys

import numpy as np
import pytest

from pyppml import mpc, ring
from pyppml.capi import check, ffi, handles, lib, u64_ptr

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "dp"))
import dp_stats

rng = np.random.default_rng(7)  # test inputs only


@pytest.mark.parametrize("mode,exact,centered", [(0, False, False), (1, True, False), (2, True, True)],
                         ids=["approx", "exact", "exact_centered"])
def test_base_conversion_matches_pybind(mode, exact, centered):
    n = 64
    src = ring.find_ntt_primes(50, n, 3)
    dst = ring.find_ntt_primes(40, n, 2)
    conv = handles.new("ppml_base_converter", lib.ppml_base_converter_create, ffi.new("uint64_t[]", src), 3,
                       ffi.new("uint64_t[]", dst), 2)
    x = np.stack([rng.integers(0, q, n, dtype=np.uint64) for q in src])
    out = np.empty((2, n), dtype=np.uint64)
    check(lib.ppml_base_convert(conv, u64_ptr(x), x.size, u64_ptr(out), out.size, n, mode))
    ref = ring.BaseConverter(ring.RnsBase(src), ring.RnsBase(dst)).convert(x, exact=exact, centered=centered)
    assert np.array_equal(out, ref)


@pytest.mark.parametrize("form", ["coefficient", "evaluation"])
@pytest.mark.parametrize("k", [3, 5, -1, 129])
def test_automorphism_matches_pybind(form, k):
    n, q = 128, ring.find_ntt_primes(45, 128, 1)[0]
    a = rng.integers(0, q, n, dtype=np.uint64)
    out = np.empty_like(a)
    code = lib.PPML_FORM_COEFFICIENT if form == "coefficient" else lib.PPML_FORM_EVALUATION
    check(lib.ppml_automorphism(u64_ptr(a), u64_ptr(out), n, q, k, code))
    ref = ring.RnsPoly.from_array(ring.RnsBase([q]), a.reshape(1, n), form).automorphism(k)
    assert np.array_equal(out, np.asarray(ref.coeffs)[0])
    if form == "coefficient":  # and the closed form: X^i -> +-X^(i k mod n), sign from the wrap
        expect = [0] * n
        for i in range(n):
            j = i * (k % (2 * n)) % (2 * n)
            expect[j % n] = (int(a[i]) if j < n else (q - int(a[i])) % q)
        assert out.tolist() == expect


def _draw(fn, num, den, size):
    out = np.empty(size, dtype=np.int64)
    check(fn(num, den, ffi.cast("int64_t*", ffi.from_buffer(out)), size))
    return out


def test_discrete_gaussian_law():
    # Chi-square fit (shape) and a z-test of E[X^2] sized to catch a 3% error in sigma.
    sigma = 3.0
    moments = lambda s: dp_stats.pmf_moments(*dp_stats.gaussian_pmf(s * s))
    size = dp_stats.samples_for_scale_error(moments, sigma)
    x = _draw(lib.ppml_dp_discrete_gaussian, 9, 1, size)
    support, pmf = dp_stats.gaussian_pmf(9.0)
    dp_stats.assert_fits(x, support, pmf)
    dp_stats.assert_variance(x, support, pmf)


def test_discrete_laplace_law():
    scale = 2.5
    size = dp_stats.samples_for_scale_error(dp_stats.discrete_laplace_moments, scale)
    x = _draw(lib.ppml_dp_discrete_laplace, 5, 2, size)
    support, pmf = dp_stats.laplace_pmf(scale)
    dp_stats.assert_fits(x, support, pmf)
    dp_stats.assert_second_moment(x, *dp_stats.discrete_laplace_moments(scale), what="discrete Laplace")


def test_dp_bad_parameters():
    out = np.empty(4, dtype=np.int64)
    p = ffi.cast("int64_t*", ffi.from_buffer(out))
    assert lib.ppml_dp_discrete_gaussian(0, 1, p, 4) == lib.PPML_ERR_INVALID_ARGUMENT
    assert lib.ppml_dp_discrete_laplace(1, 0, p, 4) == lib.PPML_ERR_INVALID_ARGUMENT
    assert lib.ppml_dp_discrete_gaussian(9, 1, ffi.NULL, 4) == lib.PPML_ERR_NULL_POINTER


P = (1 << 61) - 1


def test_shamir_crosses_with_python():
    assert lib.ppml_shamir_prime() == P == mpc.SHAMIR_PRIME
    secrets = np.array([0, 1, 123456789, P - 1], dtype=np.uint64)
    shares = np.empty(5 * secrets.size, dtype=np.uint64)
    check(lib.ppml_shamir_share(u64_ptr(secrets), secrets.size, 5, 3, u64_ptr(shares), shares.size))
    rows = shares.reshape(5, secrets.size)
    assert np.array_equal(mpc.shamir_reconstruct({1: rows[0], 3: rows[2], 5: rows[4]}), secrets)
    assert not np.array_equal(mpc.shamir_reconstruct({1: rows[0], 3: rows[2]}), secrets)  # t - 1 shares
    py = mpc.shamir_share(secrets, n=4, t=2)
    pts = np.array([2, 4], dtype=np.uint64)
    sh = np.stack([py[1], py[3]])
    out = np.empty_like(secrets)
    check(lib.ppml_shamir_reconstruct(u64_ptr(pts), 2, u64_ptr(sh), sh.size, secrets.size, u64_ptr(out)))
    assert np.array_equal(out, secrets)


def test_shamir_single_share_is_uniform():
    # Privacy: with t = 2 one share is f(1) = s + a, a uniform, so it is uniform whatever
    # s is. Chi-square over the top 5 bits (32 bins, 1e-6) of party 1's share of the
    # secret 0: a constant share (a missing or zero coefficient) or a coefficient drawn
    # from only half the field fails it.
    count = 20000
    secrets = np.zeros(count, dtype=np.uint64)
    shares = np.empty(2 * count, dtype=np.uint64)
    check(lib.ppml_shamir_share(u64_ptr(secrets), count, 2, 2, u64_ptr(shares), shares.size))
    bins = np.bincount((shares[:count] >> np.uint64(56)).astype(np.int64), minlength=32)
    expected = count / 32  # the top bin of [0, 2^61 - 1) misses one value in 2^56: negligible
    stat = float(((bins - expected) ** 2 / expected).sum())
    assert stat < dp_stats.chi2_critical(31), stat


def test_shamir_bad_arguments():
    s = np.array([P], dtype=np.uint64)
    out = np.empty(3, dtype=np.uint64)
    assert lib.ppml_shamir_share(u64_ptr(s), 1, 3, 2, u64_ptr(out), 3) == lib.PPML_ERR_INVALID_ARGUMENT  # s >= p
    ok = np.array([5], dtype=np.uint64)
    assert lib.ppml_shamir_share(u64_ptr(ok), 1, 3, 4, u64_ptr(out), 3) == lib.PPML_ERR_INVALID_ARGUMENT  # t > n
    assert lib.ppml_shamir_share(u64_ptr(ok), 1, 3, 2, u64_ptr(out), 2) == lib.PPML_ERR_INVALID_ARGUMENT  # short
    pts = np.array([1, 1], dtype=np.uint64)
    sh = np.array([1, 2], dtype=np.uint64)
    assert lib.ppml_shamir_reconstruct(u64_ptr(pts), 2, u64_ptr(sh), 2, 1, u64_ptr(out)) == lib.PPML_ERR_INVALID_ARGUMENT
    assert math.isfinite(len(ffi.string(lib.ppml_last_error())))
