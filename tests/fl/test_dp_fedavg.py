"""DP federated averaging: noise of the calibrated size on a power-of-two grid (the
output's place inside a grid cell carries nothing: the attack that read the sum from
``output mod grid`` fails), the average divides by a public denominator (the server's
view carries no weight sum), the accountant is told the documented noise multiplier,
with and without dropouts, and the averages are right.

Statistical tests fail falsely with probability <= 1e-6 each (bounds in the tests)."""

import math

import numpy as np
import pytest
from scipy import stats

from pyppml import dp, fl
from pyppml.fl.common.errors import ParameterError
from pyppml.fl.dp_fedavg import grid_gaussian, grid_step

FALSE_FAILURE = 1e-6


@pytest.mark.parametrize("backend", ["secagg", "ckks"])
def test_no_noise_weighted_average(backend):
    fa = fl.DPFedAvg(5, 10, clip=10.0, mode="none", backend=backend, min_survivors=3)
    ups = list(np.random.default_rng(0).uniform(-1, 1, (5, 10)))
    w = np.array([1.0, 0.5, 0.25, 1.0, 0.5])
    out = fa.aggregate(ups, weights=w, dropouts={"masked": {4}} if backend == "secagg" else {4})
    exp = np.sum([w[i] * ups[i] for i in range(4)], axis=0) / w[:4].sum()
    assert np.abs(out - exp).max() < 1e-5


@pytest.mark.parametrize("backend", ["secagg", "ckks"])
@pytest.mark.parametrize("mode", ["central", "distributed"])
def test_noise_size_and_epsilon(mode, backend):
    n, dim = 10, 4000
    fa = fl.DPFedAvg(n, dim, clip=1.0, noise_multiplier=1.0, mode=mode, backend=backend)
    ups = list(np.zeros((n, dim)))
    out = fa.aggregate(ups)
    # noise std on the sum is 1 (+ <= 1/512 for the rounding), the average divides by
    # the denominator n: 5 sigma bounds on the sample std
    std = out.std() * n
    assert abs(std - 1.0) < 5 * np.sqrt(0.5 / dim) + 0.01
    eps = fa.epsilon(1e-5)
    assert 0 < eps < 10
    fa.aggregate(ups)
    assert fa.epsilon(1e-5) > eps


def test_clipping_bounds_influence():
    fa = fl.DPFedAvg(4, 3, clip=1.0, noise_multiplier=1e-3, mode="central", secure=False)
    big = [np.array([100.0, 0, 0])] + [np.zeros(3)] * 3
    assert np.linalg.norm(fa.aggregate(big)) < 0.26


def test_unknown_backend_refused():
    with pytest.raises(ValueError, match="backend is unknown"):
        fl.DPFedAvg(3, 4, backend="paillier")


# -- defect 3: the grid noise must not leak the sum --------------------------------------

def test_grid_gaussian_output_on_power_of_two_grid_and_variance():
    """Every output is an integer multiple of a power-of-two step; the noise variance is
    the documented noise_multiplier^2 (clip + ceil(sqrt(d)) step)^2 / shares, within a
    band that catches a 2% error (200,000 samples: sd of the sample variance ~0.32%)."""
    d, nm, clip, shares = 200_000, 1.3, 0.7, 4
    x = np.random.default_rng(5).uniform(-0.5, 0.5, d)
    out = grid_gaussian(x, nm, clip, shares=shares)
    step = grid_step(clip, d)
    assert math.frexp(step)[0] == 0.5 and step <= clip / (math.sqrt(d) * 1024)
    k = out / step
    assert np.all(k == np.rint(k))
    noise = out - np.rint(x / step) * step
    planned = nm ** 2 * (clip + math.ceil(math.sqrt(d)) * step) ** 2 / shares
    # Chi-square band on the sample variance (noise is discrete Gaussian with sigma >> step,
    # so its fourth moment is that of a normal to a relative 1e-9).
    lo, hi = stats.chi2.ppf([FALSE_FAILURE / 2, 1 - FALSE_FAILURE / 2], d) / d
    ratio = np.mean(noise ** 2) / planned
    assert lo < ratio < hi, ratio
    assert hi < 1.02 and lo > 0.98  # power: a 2% error in the calibration fails


def test_central_secagg_noise_counts_the_quantization():
    """Review finding 3: in central mode over SecAgg+ each client's update is rounded to
    the quantizer's step 1 / scale before the sum, which can move one client's
    contribution by sqrt(d) / (2 scale) more than clip (up to 2x at small mod_bits); the
    server's noise was calibrated for clip alone. It is now calibrated for
    quantized_sensitivity = clip + sqrt(d) / (2 scale): at mod_bits = 10 (scale 127,
    d = 4000) that is 1.25 clip. Chi-square band on the noise variance; the old
    calibration (variance ratio ~0.64) falls outside it."""
    from pyppml.fl.dp_fedavg import quantized_sensitivity

    n, dim, nm, clip = 4, 4000, 1.0, 1.0
    fa = fl.DPFedAvg(n, dim, clip=clip, noise_multiplier=nm, mode="central", mod_bits=10)
    scale = fa.aggregator.quantizer.scale
    sens = quantized_sensitivity(clip, scale, dim)
    assert scale == 127 and sens == pytest.approx(clip + math.sqrt(dim) / (2 * scale))
    noise = fa.aggregate(list(np.zeros((n, dim)))) * n  # zero updates: the sum is exactly 0
    planned = (nm * (sens + math.ceil(math.sqrt(dim)) * grid_step(sens, dim))) ** 2
    old = (nm * (clip + math.ceil(math.sqrt(dim)) * grid_step(clip, dim))) ** 2
    lo, hi = stats.chi2.ppf([FALSE_FAILURE / 2, 1 - FALSE_FAILURE / 2], dim) / dim
    ratio = np.mean(noise ** 2) / planned
    assert lo < ratio < hi, ratio
    assert old / planned < lo  # power: the calibration for clip alone fails


def _tv_bound(diff_norm, clip, nm, dim, shares):
    """Documented bound on the total variation between the outputs for two neighbouring
    sums: rounding to the step (<= clip / (1024 sqrt(d))) shifts the grid centres by at
    most diff_norm + sqrt(d) step, and splitting the shift among the shares costs at most
    shares^2 d step^2 / 4 more; the noise has sd >= nm * clip, KL = ||shift||^2 / (2 sd^2)
    for discrete Gaussians (Canonne et al. 2020), Pinsker: TV <= sqrt(KL / 2)."""
    step = clip / (1024 * math.sqrt(dim))
    shift2 = (diff_norm + math.sqrt(dim) * step) ** 2 + shares ** 2 * dim * step ** 2 / 4
    return math.sqrt(shift2 / (2 * (nm * clip) ** 2) / 2)


def _grid_attack(out_sum, candidates, old_grid):
    """The attack on the old mechanism (noise on the grid sigma / 1024, sum not rounded):
    the true sum is the candidate for which out - candidate lies on the grid."""
    scores = [np.sum(((out_sum - c) / old_grid - np.rint((out_sum - c) / old_grid)) ** 2) for c in candidates]
    return int(np.argmin(scores))


def _attack_successes(fa, rows0, rows1, s0, s1, old_grid, trials, rng):
    wins = 0
    for _ in range(trials):
        b = int(rng.integers(2))
        out_sum = fa.aggregate(rows1 if b else rows0) * fa.n_clients  # the default denominator
        wins += _grid_attack(out_sum, [s0, s1], old_grid) == b
    return wins


def _max_wins(trials, p):
    """Smallest count the attack reaches with probability <= FALSE_FAILURE at success rate p."""
    return int(stats.binom.isf(FALSE_FAILURE, trials, p)) + 1


def test_central_grid_attack_fails():
    """Central mode over SecAgg+: neighbouring data sets (client 0's update 0 or a vector
    of norm 0.01) told apart from output mod the old grid in 200 of 200 rounds before the
    fix. Now any test's success rate is <= 1/2 + TV/2 (about 0.503 here): the count of
    successes stays below the binomial 1 - 1e-6 quantile."""
    n, dim, nm, clip, trials = 4, 50, 1.0, 1.0, 200
    rng = np.random.default_rng(11)
    base = [rng.uniform(-0.1, 0.1, dim) for _ in range(n)]
    v = np.full(dim, 0.01 / math.sqrt(dim))
    rows0, rows1 = base, [v] + base[1:]
    fa = fl.DPFedAvg(n, dim, clip=clip, noise_multiplier=nm, mode="central")
    q = fa.aggregator.quantizer
    # The attacker knows every update, so the exact quantized sums of both data sets.
    s0, s1 = (np.sum([np.rint(r * q.scale) for r in rows], axis=0) / q.scale for rows in (rows0, rows1))
    p = 0.5 + _tv_bound(float(np.linalg.norm(s1 - s0)), clip, nm, dim, 1) / 2
    wins = _attack_successes(fa, rows0, rows1, s0, s1, nm * clip / 1024, trials, rng)
    assert wins < _max_wins(trials, p), (wins, trials)
    # What makes it so: the released sum lies on the power-of-two grid, whatever the data.
    k = fa.aggregate(rows0) * fa.n_clients / grid_step(clip, dim)
    assert np.array_equal(k, np.rint(k))


def test_distributed_ckks_grid_attack_fails():
    """Distributed mode over CKKS (each client noises its update before encryption):
    before the fix the true sum sat on the clients' noise grid up to the CKKS error, and
    the attack picked it every time. Same bound as in central mode (the shares' noise
    sums to sd >= noise_multiplier * clip; the CKKS error is independent of the data)."""
    n, dim, nm, clip, trials = 4, 50, 4.0, 1.0, 120
    rng = np.random.default_rng(12)
    base = [rng.uniform(-0.1, 0.1, dim) for _ in range(n)]
    v = np.full(dim, 0.01 / math.sqrt(dim))
    rows0, rows1 = base, [v] + base[1:]
    fa = fl.DPFedAvg(n, dim, clip=clip, noise_multiplier=nm, mode="distributed", backend="ckks")
    s0, s1 = np.sum(rows0, axis=0), np.sum(rows1, axis=0)
    p = 0.5 + _tv_bound(0.01, clip, nm, dim, n) / 2
    wins = _attack_successes(fa, rows0, rows1, s0, s1, nm * clip / math.sqrt(n) / 1024, trials, rng)
    assert wins < _max_wins(trials, p), (wins, trials)


# -- defect 4: no weight sum in the server's view -----------------------------------------

@pytest.mark.parametrize("backend", ["secagg", "ckks"])
@pytest.mark.parametrize("mode", ["central", "distributed"])
def test_server_view_has_no_weight_sum(mode, backend):
    """What the server unmasks or decrypts has the model's dim entries only (before the
    fix: one more, the exact sum of the weights, which two rounds differing by one client
    turned into that client's weight), and the average is that sum over the public
    denominator, whatever the weights."""
    n, dim = 4, 6
    fa = fl.DPFedAvg(n, dim, clip=1.0, noise_multiplier=1.0, mode=mode, backend=backend, denominator=2.5)
    seen = []
    run = fa.aggregator.run_round

    def spy(*args, **kwargs):
        seen.append(np.array(run(*args, **kwargs)))
        return seen[-1]

    fa.aggregator.run_round = spy
    ups = list(np.random.default_rng(2).uniform(-0.2, 0.2, (n, dim)))
    out = fa.aggregate(ups, weights=[1.0, 0.3, 0.6, 0.9])
    assert seen[0].shape == (dim,)
    if mode == "distributed":  # the server's view, noised by the clients, divided by 2.5
        step = grid_step(1.0, dim)  # CKKS: snapped back to the clients' noise grid first
        view = seen[0] if backend == "secagg" else np.rint(seen[0] / step) * step
        assert np.array_equal(out, view / 2.5)


# -- accounting ------------------------------------------------------------------------------

def _reference_epsilon(multipliers, rate, delta):
    acc = dp.PrivacyAccountant("rdp")
    for m in multipliers:
        acc.step(m, rate, 1)
    return acc.get_epsilon(delta)


@pytest.mark.parametrize("mode,min_survivors,drop,backend,colluders", [
    ("central", None, set(), "secagg", 0), ("central", None, {3}, "secagg", 0),
    ("distributed", None, set(), "secagg", 0), ("distributed", None, {3}, "secagg", 0),
    ("distributed", 3, set(), "secagg", 0), ("distributed", 3, {3, 4}, "secagg", 0),
    ("distributed", None, {2}, "ckks", 0), ("distributed", None, {3}, "secagg", 2),
    ("distributed", 4, {2}, "ckks", 3)])
def test_accountant_told_documented_multiplier(mode, min_survivors, drop, backend, colluders):
    """epsilon after two rounds equals a PrivacyAccountant stepped with the module's
    documented multiplier: z (central); z sqrt((min(min_survivors, k) - colluders) / n)
    (distributed, k survivors, each client's share of the variance being z^2 clip^2 / n,
    colluders' shares known to the server). Poisson participation drawn by DPFedAvg
    (clients not sampled add zeros and their noise, so they count among the k), stated
    hidden from the server in distributed mode."""
    n, dim, z, rate = 6, 5, 1.1, 0.05
    fa = fl.DPFedAvg(n, dim, clip=1.0, noise_multiplier=z, mode=mode, backend=backend, sample_rate=rate,
                     min_survivors=min_survivors, threshold=2 if backend == "ckks" else None,
                     sampling="poisson", cohort_hidden=mode == "distributed", colluders=colluders)
    ups = list(np.zeros((n, dim)))
    fa.aggregate(ups)
    fa.aggregate(ups, dropouts=({"masked": drop} if backend == "secagg" else drop))
    m = min_survivors or n
    told = [z, z] if mode == "central" else [z * math.sqrt((min(m, k) - colluders) / n) for k in (n, n - len(drop))]
    assert fa.epsilon(1e-5) == pytest.approx(_reference_epsilon(told, rate, 1e-5), rel=1e-12)


def test_colluders_are_checked():
    """colluders: an int in 0 .. min_survivors - 1, distributed mode only (review
    2026-12-08: with 5 of 10 clients pooling their noise shares with the server the
    accountant reported epsilon 57 after 50 rounds against the coalition's 96)."""
    with pytest.raises(ParameterError, match=r"colluders leaves no honest noise share.*got 4"):
        fl.DPFedAvg(6, 3, min_survivors=4, colluders=4)
    with pytest.raises(ParameterError, match="colluders applies to distributed noise only"):
        fl.DPFedAvg(6, 3, mode="central", secure=False, colluders=1)
    with pytest.raises(ParameterError, match="colluders"):
        fl.DPFedAvg(6, 3, colluders=-1)
    fa = fl.DPFedAvg(10, 3, noise_multiplier=1.0, min_survivors=6, colluders=5)
    assert fa.accounted_multiplier(10) == pytest.approx(math.sqrt(1 / 10))


def test_ckks_backend_runs_signed_rounds():
    """DPFedAvg(backend="ckks") aggregates through signed one-time rounds: every member
    pins every client's identity key, so the server cannot add sybil clients."""
    fa = fl.DPFedAvg(4, 6, clip=1.0, noise_multiplier=1.0, mode="distributed", backend="ckks")
    agg = fa.aggregator
    assert agg.signed and all(c.identity_key is not None for c in agg.clients)
    for m in agg.members:
        assert sorted(m.verify_keys) == [0, 1, 2, 3]
        assert all(m.verify_keys[i].public_bytes_raw() == c.identity_key.public_key().public_bytes_raw()
                   for i, c in enumerate(agg.clients))


@pytest.mark.parametrize("n,z", [(2, 5.0), (3, 3.0), (10, 1.0)])
def test_distributed_secagg_noise_never_wraps_the_ring(n, z):
    """FL review: the quantizer left a fixed half of the 32-bit ring to the noise, so a sum
    of 2 clients at z = 5 wrapped 42% of its entries (std 2.3 measured for 5), silently.
    The headroom now holds 9 std of the summed noise. 20000 entries: the sample std is
    within 5% (10 sd of a sample std) and every entry within 7 std (a miss has probability
    20000 * 2.6e-12 < 1e-7)."""
    from pyppml.fl.dp_fedavg import DPFedAvg

    dim = 20000
    fa = DPFedAvg(n_clients=n, dim=dim, clip=1.0, noise_multiplier=z, mode="distributed", backend="secagg",
                  denominator=1.0)
    x = np.zeros(dim)
    x[0] = 1.0
    out = fa.aggregate([x] * n)
    scale = fa.aggregator.quantizer.scale
    sigma = z * (1.0 + math.ceil(math.sqrt(dim)) / scale)   # the documented rounding inflation
    noise = out[1:]
    assert abs(noise.std() / sigma - 1) < 0.05
    assert np.abs(noise).max() < 7 * sigma
