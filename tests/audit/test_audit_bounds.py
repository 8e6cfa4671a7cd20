"""Clopper-Pearson against scipy's beta quantiles and the binomial tails that define it;
the epsilon bound on a mechanism of known epsilon (randomized response): sound and tight."""

import math

import numpy as np
import pytest
from audit_helpers import FALSE_FAILURE, fresh_prng, uniform
from scipy.stats import beta, binom, norm

from pyppml.audit import (
    clopper_pearson,
    empirical_epsilon,
    epsilon_from_counts,
    epsilon_from_rates,
)


@pytest.mark.parametrize("n", [1, 7, 100, 5000])
@pytest.mark.parametrize("confidence", [0.5, 0.95, 1 - 1e-6])
def test_clopper_pearson_is_the_beta_quantile(n, confidence):
    k = np.arange(n + 1) if n < 200 else np.array([0, 1, 17, n // 2, n - 1, n])
    lo, hi = clopper_pearson(k, np.full_like(k, n), confidence)
    a = (1 - confidence) / 2
    ref_lo = np.where(k > 0, beta.ppf(a, np.maximum(k, 1), n - k + 1), 0.0)
    ref_hi = np.where(k < n, beta.ppf(1 - a, k + 1, np.maximum(n - k, 1)), 1.0)
    np.testing.assert_allclose(lo, ref_lo, rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(hi, ref_hi, rtol=1e-9, atol=1e-300)
    # The definition: at the lower bound, P(Binomial(n, lo) >= k) = alpha / 2; at the upper
    # bound, P(Binomial(n, hi) <= k) = alpha / 2 (catches a one- vs two-sided mix-up).
    inner = (k > 0) & (k < n)
    np.testing.assert_allclose(binom.sf(k[inner] - 1, n, lo[inner]), a, rtol=1e-6)
    np.testing.assert_allclose(binom.cdf(k[inner], n, hi[inner]), a, rtol=1e-6)


def test_clopper_pearson_closed_forms():
    lo, hi = clopper_pearson(0, 10, 0.95)
    assert lo == 0.0 and hi == pytest.approx(1 - 0.025 ** (1 / 10), rel=1e-12)
    lo, hi = clopper_pearson(10, 10, 0.95)
    assert hi == 1.0 and lo == pytest.approx(0.025 ** (1 / 10), rel=1e-12)


def test_epsilon_from_rates_closed_form():
    e = math.e
    p = e / (1 + e)
    assert float(epsilon_from_rates(p, 1 - p)) == pytest.approx(1.0, abs=1e-12)
    # With delta the first term shifts by delta, the second by delta too.
    got = float(epsilon_from_rates(0.5, 0.1, 0.05))
    assert got == pytest.approx(max(math.log(0.45 / 0.1), math.log(0.85 / 0.5)), abs=1e-12)
    got = float(epsilon_from_rates(0.1, 0.001, 0.0))
    assert got == pytest.approx(math.log(100.0), abs=1e-12)
    # Second term wins when the test's misses are rare: (1 - FPR) / (1 - TPR).
    assert float(epsilon_from_rates(0.99, 0.5)) == pytest.approx(math.log(50.0), abs=1e-12)
    assert float(epsilon_from_rates(0.3, 0.3)) == 0.0
    assert float(epsilon_from_rates(0.5, 0.0)) == math.inf


# --- randomized response on one bit at eps = 1: TPR = e / (1 + e), FPR = 1 / (1 + e) and
# log(TPR / FPR) = 1 exactly, the largest any test can show.
EPS = 1.0
P_KEEP = math.e / (1 + math.e)


def _randomized_response(prng, bit: int, trials: int) -> np.ndarray:
    keep = uniform(prng, trials) < P_KEEP
    return np.where(keep, bit, 1 - bit).astype(float)


REPEATS = 20  # independent experiments per test, each at false failure 1e-6 / REPEATS
LEVEL = FALSE_FAILURE / REPEATS


def _trials_for_power(target: float) -> int:
    """Trials per side so that the bound at confidence 1 - LEVEL exceeds ``target`` with
    probability >= 1 - LEVEL: the Clopper-Pearson margin (z at LEVEL / 2 per side) plus the
    counts' own deviation (z at LEVEL / 2 per side, union bound), normal approximation."""
    z = norm.isf(LEVEL / 2)
    sd1 = math.sqrt(P_KEEP * (1 - P_KEEP))
    # Solve log((P - s) / (1 - P + s)) = target for the total shift s = 2 z sd / sqrt(n).
    s = (P_KEEP - math.exp(target) * (1 - P_KEEP)) / (1 + math.exp(target))
    return math.ceil((2 * z * sd1 / s) ** 2)


def test_randomized_response_counts_sound_and_tight():
    # Soundness: at confidence 1 - LEVEL each bound exceeds the true eps = 1 with
    # probability <= LEVEL, so one of REPEATS does with probability <= 1e-6. A point
    # estimate passed off as the bound exceeds 1 in about half the experiments: all 20
    # stay below with probability 2^-20. Power: each exceeds 0.7 unless its counts are
    # off by 5.5 sd; a bound that lost a factor (both tails at the full alpha counted
    # twice, the wrong term, the wrong confidence) falls below 0.7 and fails.
    trials = 20_000
    assert trials >= _trials_for_power(0.7)
    prng = fresh_prng()
    for _ in range(REPEATS):
        tp = int(_randomized_response(prng, 1, trials).sum())
        fp = int(_randomized_response(prng, 0, trials).sum())
        b = epsilon_from_counts(tp, trials, fp, trials, delta=0.0, confidence=1 - LEVEL)
        assert b.lower_bound <= EPS, f"unsound: {b}"
        assert b.lower_bound > 0.7, f"no power: {b}"
        assert b.tpr_low <= b.tpr and b.fpr_high >= b.fpr


def test_randomized_response_split_sound_and_tight():
    # The same through empirical_epsilon: half of the trials choose the threshold (here
    # "bit == 1" against "always"), the other half is counted. Choosing on the counted
    # half would make the bound the best of two tests; with independent halves the
    # soundness above carries over. Power as above with 20,000 counted trials per side.
    trials = 40_000
    prng = fresh_prng()
    for _ in range(REPEATS):
        est = empirical_epsilon(_randomized_response(prng, 1, trials), _randomized_response(prng, 0, trials),
                                delta=0.0, confidence=1 - LEVEL)
        assert est.members == est.nonmembers == trials // 2
        assert est.threshold == 1.0
        assert 0.7 < est.lower_bound <= EPS, f"{est}"


def test_delta_lowers_the_bound():
    b0 = epsilon_from_counts(700, 1000, 300, 1000, delta=0.0)
    b1 = epsilon_from_counts(700, 1000, 300, 1000, delta=0.1)
    assert b1.lower_bound < b0.lower_bound
    assert b1.lower_bound == pytest.approx(float(max(epsilon_from_rates(b1.tpr_low, b1.fpr_high, 0.1), 0)), abs=1e-12)


def test_threshold_chosen_apart_keeps_the_bound_sound():
    # Members and non-members scored alike (eps = 0): a bound at confidence 0.5 may be
    # positive in at most half of the runs. Picking the threshold on the counted records
    # (the best of ~2000 tests, each valid alone) makes it positive in about 90% of runs
    # at this size; the split version in about 7%. Count test at false failure 1e-6.
    from scipy.stats import binom

    runs, n = 200, 1000
    prng = fresh_prng()
    positive = sum(empirical_epsilon(uniform(prng, n), uniform(prng, n), confidence=0.5).lower_bound > 0
                   for _ in range(runs))
    assert positive <= binom.isf(FALSE_FAILURE, runs, 0.5), f"{positive} of {runs} runs claim eps > 0"


def test_split_permutation_is_random():
    # The held-apart split must not follow the order the records were given in (sorted
    # scores would otherwise put all high members in one part).
    from pyppml.audit import _random

    prng = fresh_prng()
    a, b = _random.permutation(1000, prng), _random.permutation(1000, prng)
    assert sorted(a.tolist()) == list(range(1000))
    assert not np.array_equal(a, np.arange(1000)) and not np.array_equal(a, b)  # each 1 / 1000! by chance
