"""Additive sharing over Z_2^64, fixed-point encoding, and SecureML local truncation
within its error bound, with the failure rate checked against its bound."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import stats

from pyppml import ParameterError
from pyppml.mpc import FixedPoint, additive_reconstruct, additive_share

ALPHA = 1e-6


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=30), st.integers(2, 6))
def test_additive_round_trip(values, parties):
    s = additive_share(np.array(values, dtype=np.uint64), parties)
    assert s.shape == (parties, len(values))
    assert additive_reconstruct(s).tolist() == values


def test_additive_accepts_int64_and_rejects_one_party():
    v = np.array([-5, 7], dtype=np.int64)
    assert additive_reconstruct(additive_share(v, 2)).view(np.int64).tolist() == [-5, 7]
    with pytest.raises(ParameterError, match="parties"):
        additive_share(np.array([1], dtype=np.uint64), 1)


def test_additive_single_share_is_uniform():
    s = additive_share(np.zeros(60000, dtype=np.uint64), 2)[0]
    counts = np.bincount((s >> np.uint64(58)).astype(np.int64), minlength=64)
    assert stats.chisquare(counts).pvalue > ALPHA


@pytest.mark.parametrize("parties", [3, 5])
def test_additive_every_share_and_every_pair_is_uniform(parties):
    """n-of-n sharing: any n - 1 shares are jointly uniform whatever the secret. Checked on
    every single share (top 6 bits, 64 cells) and every pair of shares (top 3 bits of each,
    64 cells): parties + C(parties, 2) chi-square tests, each at ALPHA / that count, so the
    test's false-failure rate is <= ALPHA. A share that is constant, or a pair whose sum is
    the secret (e.g. shares 0 and n-1 when the middle ones are 0), puts all 60000 draws in
    one cell or on one diagonal: p-value 0."""
    secret = np.full(60000, 0x0123456789ABCDEF, dtype=np.uint64)
    s = additive_share(secret, parties)
    assert additive_reconstruct(s).tolist() == secret.tolist()
    pairs = [(i, j) for i in range(parties) for j in range(i + 1, parties)]
    alpha = ALPHA / (parties + len(pairs))
    for i in range(parties):
        counts = np.bincount((s[i] >> np.uint64(58)).astype(np.int64), minlength=64)
        assert stats.chisquare(counts).pvalue > alpha, f"share {i} of {parties} is not uniform"
    for i, j in pairs:
        cells = ((s[i] >> np.uint64(61)) * np.uint64(8) + (s[j] >> np.uint64(61))).astype(np.int64)
        assert stats.chisquare(np.bincount(cells, minlength=64)).pvalue > alpha, \
            f"shares {i} and {j} of {parties} are not jointly uniform"


@pytest.mark.parametrize("f", [0, 8, 16, 24, 40])
def test_fixed_point_round_trip_within_half_ulp(f):
    fp = FixedPoint(f)
    x = np.random.default_rng(f).normal(0, 100, 1000)
    assert np.all(np.abs(fp.decode(fp.encode(x)) - x) <= 0.5 * fp.resolution)


def test_fixed_point_errors():
    with pytest.raises(ParameterError, match="frac_bits"):
        FixedPoint(61)
    fp = FixedPoint(16)
    with pytest.raises(ParameterError, match="out of range"):
        fp.encode([2.0**47])
    with pytest.raises(ParameterError, match="out of range"):
        fp.encode([np.nan])


def _share_and_truncate(x_int: np.ndarray, bits: int) -> np.ndarray:
    s = additive_share(x_int.view(np.uint64), 2)
    t0 = FixedPoint.truncate(s[0], 0, bits)
    t1 = FixedPoint.truncate(s[1], 1, bits)
    return (t0 + t1).view(np.int64)


@pytest.mark.parametrize("lx", [20, 36, 44])
def test_truncation_within_one_ulp(lx):
    """|x| < 2^lx: result is floor(x / 2^f) or floor(x / 2^f) + 1, except with probability
    <= 2^(lx + 1 - 64) per element (at most ~1e-4 of 10^5 elements here)."""
    rng = np.random.default_rng(lx)
    x = rng.integers(-(2**lx) + 1, 2**lx, 100000, dtype=np.int64)
    f = 16
    got = _share_and_truncate(x, f)
    err = got - (x >> f)
    bad = np.count_nonzero((err != 0) & (err != 1))
    bound = FixedPoint.failure_probability(lx)
    assert bad <= stats.binom.isf(ALPHA, x.size, bound) if bound > 0 else bad == 0


def test_truncation_failure_rate_matches_bound():
    """With lx = 60 failures are frequent: their rate must stay under 2^(lx+1-64) = 1/8
    (binomial test at 1e-6), and each failure is off by about 2^(64 - f)."""
    rng = np.random.default_rng(3)
    x = rng.integers(-(2**60) + 1, 2**60, 100000, dtype=np.int64)
    got = _share_and_truncate(x, 16)
    err = got - (x >> 16)
    bad = (err != 0) & (err != 1)
    assert np.count_nonzero(bad) > 0
    assert np.count_nonzero(bad) <= stats.binom.isf(ALPHA, x.size, FixedPoint.failure_probability(60))
    assert np.all(np.abs(np.abs(err[bad].astype(np.float64)) - 2.0**48) <= 2)


def test_truncation_errors():
    with pytest.raises(ParameterError, match="party"):
        FixedPoint.truncate(np.zeros(1, np.uint64), 2, 4)
    with pytest.raises(ParameterError, match="bits"):
        FixedPoint.truncate(np.zeros(1, np.uint64), 0, 64)
