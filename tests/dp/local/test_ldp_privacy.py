"""The epsilon-LDP guarantee, checked exactly: for every pair of inputs and every output,
the ratio of the exact output probabilities (rationals: every draw is a 64-bit word
against an integer threshold) is <= a rigorous lower bound of e^epsilon; and one step up
of any threshold breaks it, so the check is sharp and the thresholds are the best ones."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest

from pyppml import _core
from pyppml.dp.local import (
    CountMeanSketch,
    OptimizedLocalHashing,
    OptimizedUnaryEncoding,
    RandomizedResponse,
)
from pyppml.dp.local._common import TWO64, exp_bounds

EPSILONS = [0.1, 1.0, 3.7]


def max_ratio(probs) -> Fraction:
    """max over inputs v, v' and outputs y of P(y|v)/P(y|v'), exactly."""
    worst = Fraction(0)
    for v, w in itertools.permutations(range(probs.shape[0]), 2):
        for a, b in zip(probs[v], probs[w]):
            assert a > 0 and b > 0
            worst = max(worst, a / b)
    return worst


def assert_ldp(probs, epsilon, what):
    assert all(sum(row) == 1 for row in probs), f"{what}: a row of output probabilities does not sum to 1"
    lo = exp_bounds(epsilon)[0]
    r = max_ratio(probs)
    assert r <= lo, f"{what}: max ratio {float(r)!r} > e^eps = {float(lo)!r}"
    return r


@pytest.mark.parametrize("eps", EPSILONS)
@pytest.mark.parametrize("d", [2, 3, 7])
def test_grr_exact_ratio(d, eps):
    rr = RandomizedResponse(eps, d)
    r = assert_ldp(rr.output_probabilities(), eps, f"grr d{d}")
    # Tight: one step of 2^-64 in P(keep) moves the ratio by a relative < 2^-50 here.
    assert r > exp_bounds(eps)[1] * (1 - Fraction(1, 2**50))


@pytest.mark.parametrize("eps", EPSILONS)
@pytest.mark.parametrize("d", [2, 3, 5])
def test_oue_exact_ratio(d, eps):
    oue = OptimizedUnaryEncoding(eps, d)
    assert_ldp(oue.output_probabilities(), eps, f"oue d{d}")


@pytest.mark.parametrize("eps,g", [(0.1, None), (1.0, None), (3.7, None), (1.0, 2), (0.5, 7)])
def test_olh_exact_ratio(eps, g):
    olh = OptimizedLocalHashing(eps, 9, g=g)
    keys = _core.Prng(bytes(32), 7).uint64(8).reshape(4, 2)
    for key in keys:
        assert_ldp(olh.output_probabilities(key), eps, f"olh g{olh.g}")


@pytest.mark.parametrize("eps", EPSILONS)
def test_cms_exact_ratio(eps):
    cms = CountMeanSketch(eps, 5, k=2, m=3, prng=_core.Prng(bytes(32), 3))
    assert_ldp(cms.output_probabilities(), eps, "cms k2 m3")


def test_threshold_one_step_past_breaks_ldp():
    """The property removed: each oracle's threshold moved by 2^-64 the unsafe way makes
    the exact check fail (so the check above can fail, and the rounding direction matters)."""
    eps = 1.0
    lo = exp_bounds(eps)[0]

    rr = RandomizedResponse(eps, 3)
    rr.p = Fraction(rr.keep_threshold + 1, TWO64)
    rr.q = (1 - rr.p) / 2
    assert max_ratio(rr.output_probabilities()) > lo

    oue = OptimizedUnaryEncoding(eps, 2)
    oue.q = Fraction(oue.other_threshold - 1, TWO64)
    assert max_ratio(oue.output_probabilities()) > lo

    olh = OptimizedLocalHashing(eps, 5)
    olh.bucket_p = Fraction(olh.keep_threshold + 1, TWO64)
    olh.bucket_q = (1 - olh.bucket_p) / (olh.g - 1)
    assert max_ratio(olh.output_probabilities((0x9E3779B97F4A7C15, 678))) > lo

    cms = CountMeanSketch(eps, 3, k=1, m=2, prng=_core.Prng(bytes(32), 3))
    cms.flip = Fraction(cms.flip_threshold - 1, TWO64)
    assert max_ratio(cms.output_probabilities()) > lo


def test_perturb_follows_output_probabilities():
    """The draws use the thresholds that output_probabilities reports: GRR's keep rate and
    OUE's bit rates, z-tests at 1e-6 (each catches a rate off by 0.004, e.g. q for
    e^eps rounded to 2.7)."""
    prng = _core.Prng(bytes(32), 11)
    n = 400_000
    rr = RandomizedResponse(1.0, 4)
    y = rr.perturb(np.zeros(n, dtype=np.int64), prng=prng).values
    freq = np.bincount(y, minlength=4) / n
    p, q = float(rr.p), float(rr.q)
    for got, want in zip(freq, [p, q, q, q]):
        assert abs(got - want) <= 4.8916 * np.sqrt(want * (1 - want) / n)

    oue = OptimizedUnaryEncoding(1.0, 16)
    bits = np.unpackbits(oue.perturb(np.full(n // 16, 5), prng=prng).values, axis=1, bitorder="little")
    rate = bits.mean(axis=0)
    m = n // 16
    for j, got in enumerate(rate):
        want = float(oue.p if j == 5 else oue.q)
        assert abs(got - want) <= 4.8916 * np.sqrt(want * (1 - want) / m), f"bit {j}"
