"""The epsilon-LDP guarantee, checked exactly: for every pair of inputs and every output,
the ratio of the exact output probabilities (rationals: every draw is a 64-bit word
against an integer threshold) is <= a rigorous lower bound of e^epsilon; and one step up
of any threshold breaks it, so the check is sharp and the thresholds are the best ones."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from pyppml import ParameterError, _core
from pyppml.dp.local import (
    CountMeanSketch,
    OptimizedLocalHashing,
    OptimizedUnaryEncoding,
    RandomizedResponse,
)
from pyppml.dp.local._common import TWO64


def exp_bounds(epsilon: float) -> tuple[Fraction, Fraction]:
    """An oracle independent of the code under test (mutation audit 2026-12-08: these
    tests imported the library's own bounds, so a library that used math.exp without a
    margin passed, though its GRR ratio then exceeded e^eps at eps 0.1 and 3.7):
    e^eps to 120 digits with mpmath, widened by 1e-100 either way."""
    import mpmath

    with mpmath.workdps(120):
        e = mpmath.exp(mpmath.mpf(float(epsilon)))  # the float's exact value
        text = mpmath.nstr(e, 115, strip_zeros=False)
    exact = Fraction(text)
    margin = Fraction(1, 10**100)
    return exact * (1 - margin), exact * (1 + margin)

EPSILONS = [0.1, 1.0, 3.7]


def max_ratio(probs) -> Fraction:
    """max over inputs v, v' and outputs y of P(y|v)/P(y|v'), exactly."""
    worst = Fraction(0)
    for v, w in itertools.permutations(range(probs.shape[0]), 2):
        for a, b in zip(probs[v], probs[w]):
            assert a > 0 and b > 0
            worst = max(worst, a / b)
    return worst


def column_ratio(probs) -> Fraction:
    """max over outputs y of max_v P(y|v) / min_v P(y|v): the ratio in both directions
    (whichever input makes y likelier), exactly."""
    return max(max(col) / min(col) for col in probs.T)


def assert_ldp(probs, epsilon, what):
    assert all(sum(row) == 1 for row in probs), f"{what}: a row of output probabilities does not sum to 1"
    lo = exp_bounds(epsilon)[0]
    r = max_ratio(probs)
    assert r <= lo, f"{what}: max ratio {float(r)!r} > e^eps = {float(lo)!r}"
    assert column_ratio(probs) == r  # the same bound read column by column, both directions
    return r


def assert_rr_both_ways(p: Fraction, q: Fraction, epsilon, what):
    """Randomized response's two probabilities: p > q (the estimators divide by p - q)
    and max(p/q, q/p) <= e^eps, exactly."""
    assert p > q, f"{what}: P(keep) {float(p)!r} is not above P(other) {float(q)!r}"
    lo = exp_bounds(epsilon)[0]
    assert max(p / q, q / p) <= lo, f"{what}: ratio {float(max(p / q, q / p))!r} > e^eps = {float(lo)!r}"


@pytest.mark.parametrize("eps", EPSILONS + [2.0**-40, 1e-12])
@pytest.mark.parametrize("d", [2, 3, 7])
def test_grr_exact_ratio(d, eps):
    rr = RandomizedResponse(eps, d)
    probs = rr.output_probabilities()
    r = assert_ldp(probs, eps, f"grr d{d}")
    assert_rr_both_ways(rr.p, rr.q, eps, f"grr d{d}")
    # Tight: one step of 2^-64 in P(keep) moves the ratio by a relative < 2^-50 here.
    assert r > exp_bounds(eps)[1] * (1 - Fraction(1, 2**50))


# Review 6, finding 4: epsilon whose e^eps - 1 the 64-bit thresholds cannot resolve gave
# p < q (the ratio q/p above e^eps: 8.1e-20 nats at eps 1e-20, d 3; 3.0e-14 at eps 1e-14,
# d 10^6) or p = q (estimates inf or nan, CountMeanSketch's c = 1/0). Accepted cases must
# hold both ways; the others are refused, naming epsilon.
ACCEPTED = [(10**6, 2.0**-40), (2**24, 2.0**-39), (2**32, 2.0**-31), (2**32, 1e-9), (2, 2.0**-40)]
REFUSED = [(3, 1e-20), (10**6, 1e-14), (2, 5e-324), (3, Fraction(1, 10**400)), (2**32, 2.0**-40), (2**32, 1e-10)]


@pytest.mark.parametrize("d,eps", ACCEPTED, ids=[f"d{d}_eps{float(e):.3g}" for d, e in ACCEPTED])
def test_grr_ratio_both_ways_at_small_epsilon_and_large_domains(d, eps):
    rr = RandomizedResponse(eps, d)
    assert_rr_both_ways(rr.p, rr.q, eps, f"grr d{d}")
    assert rr.p + (d - 1) * rr.q == 1


@pytest.mark.parametrize("d,eps", REFUSED, ids=[f"d{d}_eps{float(e):.3g}" for d, e in REFUSED])
def test_grr_refuses_epsilon_its_thresholds_cannot_resolve(d, eps):
    with pytest.raises(ParameterError) as info:
        RandomizedResponse(eps, d)
    msg = str(info.value)
    assert msg.startswith("RandomizedResponse: epsilon is too small") and "\n" not in msg, msg


def test_olh_bucket_rr_both_ways_or_refused():
    olh = OptimizedLocalHashing(2.0**-40, 9, g=2**20)
    assert_rr_both_ways(olh.bucket_p, olh.bucket_q, 2.0**-40, "olh g2^20")
    assert olh.p > olh.q
    with pytest.raises(ParameterError, match=r"^OptimizedLocalHashing: epsilon is too small for g = 2147483648"):
        OptimizedLocalHashing(2.0**-40, 9, g=2**31)


@pytest.mark.parametrize("make", [
    lambda e: RandomizedResponse(e, 5),
    lambda e: OptimizedUnaryEncoding(e, 5),
    lambda e: OptimizedLocalHashing(e, 5),
    lambda e: CountMeanSketch(e, 5, k=2, m=4, prng=_core.Prng(bytes(32), 3)),
], ids=["grr", "oue", "olh", "cms"])
def test_smallest_epsilon_keeps_p_above_q_and_finite_estimates(make):
    """At the floor 2^-40 every oracle still has p > q exactly (CountMeanSketch: a flip
    probability below 1/2), so its estimates are finite numbers, not inf or nan."""
    oracle = make(2.0**-40)
    assert oracle.epsilon == 2.0**-40
    if isinstance(oracle, CountMeanSketch):
        assert oracle.flip < Fraction(1, 2)
        est = oracle.estimate(oracle.perturb(np.arange(5).repeat(20), prng=_core.Prng(bytes(32), 5)), items=[0, 1])
    else:
        assert oracle.p > oracle.q
        est = oracle.estimate(oracle.perturb(np.arange(5).repeat(20), prng=_core.Prng(bytes(32), 5)))
    assert np.all(np.isfinite(est)), est


def test_recorded_epsilon_is_never_above_the_one_asked_for():
    """Fraction(1, 10**400) was recorded as epsilon 0.0; a Fraction between floats is now
    the float below it, so the guarantee holds for the value asked for."""
    for asked in (Fraction(1, 10), Fraction(1, 5), Fraction(1, 3), Fraction(7, 10), 1, 20):  # 1/10, 1/5: float above
        rr = RandomizedResponse(asked, 3)
        assert Fraction(rr.epsilon) <= asked and float(asked) - rr.epsilon <= 2 * math.ulp(float(asked))
        assert rr.perturb(np.zeros(3, dtype=np.int64)).epsilon == rr.epsilon


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


def test_public_parts_of_a_report_do_not_depend_on_the_item():
    """docs/threat-model.md (local DP): an OLH report's hash key and a CMS report's sketch
    row are drawn before and apart from the item, so they carry nothing of it: the same
    generator gives the same keys and rows whatever the items are."""
    n = 1000
    for oracle in (OptimizedLocalHashing(1.0, 50), CountMeanSketch(1.0, 50, k=8, m=16, prng=_core.Prng(bytes(32), 1))):
        a = oracle.perturb(np.zeros(n, dtype=np.int64), prng=_core.Prng(bytes(32), 9))
        b = oracle.perturb(np.arange(n) % 50, prng=_core.Prng(bytes(32), 9))
        np.testing.assert_array_equal(a.keys, b.keys)
        assert not np.array_equal(a.values, b.values)  # the randomized part does depend on it


@pytest.mark.parametrize("make", [
    lambda: RandomizedResponse(1.0, 4),
    lambda: OptimizedUnaryEncoding(1.0, 4),
    lambda: OptimizedLocalHashing(1.0, 4),
    lambda: CountMeanSketch(1.0, 4, k=2, m=8),
], ids=["grr", "oue", "olh", "cms"])
def test_each_report_is_fresh_so_repeated_reports_compose(make):
    """docs/threat-model.md (local DP): nothing is memoised, so k reports of one item are
    k independent epsilon-LDP releases (k epsilon in all), and each Reports records the
    per-report epsilon only: 200 reports of the same item twice are not the same."""
    oracle = make()
    first = oracle.perturb(np.zeros(200, dtype=np.int64))
    second = oracle.perturb(np.zeros(200, dtype=np.int64))
    assert first.epsilon == second.epsilon == oracle.epsilon
    assert not np.array_equal(first.values, second.values)


def test_threat_model_states_the_local_dp_guarantee():
    """Review 6, finding 7: the threat model had no local-DP section. It now says the
    guarantee is per report, that k reports cost k epsilon, and what a report reveals."""
    import pathlib

    text = (pathlib.Path(__file__).resolve().parents[3] / "docs" / "threat-model.md").read_text()
    assert "### Local DP (`pyppml.dp.local`)" in text
    section = text.split("### Local DP (`pyppml.dp.local`)", 1)[1].split("\n## ", 1)[0]
    for claim in ("The guarantee is per report", "cost k·epsilon", "What a report reveals", "[2^-40, 20]"):
        assert claim in section, claim
