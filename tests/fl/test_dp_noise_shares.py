"""Distributed DP noise shares are never narrower than 2 grid steps (review 2026-12-07):
a discrete Gaussian below about one step is mostly 0, so with many clients the summed
noise fell to 0.41 of what the accountant was charged (1000 clients at noise multiplier
0.01), and to nothing for SecAgg+ with 10M clients. Refused in the mechanism
(``shares=``), by DPFedAvg and by the Flower strategies before any round; at the
minimum width the sum of the shares has the charged variance."""

import math

import numpy as np
import pytest
from scipy import stats

from pyppml import ParameterError, dp, fl
from pyppml.dp.mechanisms import MIN_SHARE_SIGMA_STEPS
from pyppml.fl.dp_fedavg_noise import grid_gaussian, quantized_noise, share_sigma_steps

FALSE_FAILURE = 1e-6


def test_mechanism_refuses_a_share_below_two_steps():
    # l2_sensitivity 20 at granularity 1 on integers: 20 steps; 100 shares of 2.0 steps pass.
    zeros = np.zeros(8, dtype=np.int64)
    dp.grid_gaussian_mechanism(zeros, 20.0, 1.0, granularity=1.0, shares=100)
    with pytest.raises(ParameterError, match=r"noise_multiplier leaves each of 101 shares 1.99 grid steps wide; "
                                             r"expected shares of >= 2 steps") as info:
        dp.grid_gaussian_mechanism(zeros, 20.0, 1.0, granularity=1.0, shares=101)
    assert "\n" not in str(info.value)
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ParameterError, match="shares is out of range"):
            dp.grid_gaussian_mechanism(zeros, 20.0, 1.0, granularity=1.0, shares=bad)
    with pytest.raises(ParameterError, match="accountant is given for one share of distributed noise"):
        dp.grid_gaussian_mechanism(zeros, 20.0, 1.0, granularity=1.0, shares=4, accountant=dp.PrivacyAccountant())


def test_sum_of_minimum_width_shares_has_the_charged_variance():
    """100 shares of exactly 2 steps (multiplier 1, sensitivity 20 steps) sum to noise of
    variance 400 = (1 * 20)^2: chi2 test on 20000 sums, false-failure rate 1e-6, and the
    band excludes a width off by 1.2. The shares are integers on the grid."""
    m, shares = 20000, 100
    total = np.zeros(m)
    for _ in range(shares):
        z = dp.grid_gaussian_mechanism(np.zeros(m, dtype=np.int64), 20.0, 1.0, granularity=1.0, shares=shares)
        assert np.array_equal(z, np.round(z))
        total += z
    lo = stats.chi2.ppf(FALSE_FAILURE / 2, m) / m
    hi = stats.chi2.isf(FALSE_FAILURE / 2, m) / m
    assert hi < 1.2 ** 2 and lo > 1.2 ** -2
    assert lo < float(np.mean(total ** 2)) / 400.0 < hi


def test_helpers_pass_their_shares_to_the_check():
    # grid_gaussian: 1025 steps (clip 1, dim 1) * 0.01 / sqrt(1000) = 0.32 steps
    assert share_sigma_steps(0.01, 1.0, 1, 1000) == pytest.approx(0.01 * 1025 / math.sqrt(1000))
    with pytest.raises(ParameterError, match="leaves each of 1000 shares 0.324 grid steps wide"):
        grid_gaussian([0.1], 0.01, 1.0, shares=1000)
    assert grid_gaussian([0.1], 1.0, 1.0, shares=1000).shape == (1,)
    # quantized_noise at scale 100 (clip 1, dim 4): (100 + 2) steps * 0.05 / sqrt(10^4) = 0.051
    assert share_sigma_steps(0.05, 1.0, 4, 10**4, 100.0) == pytest.approx(0.05 * 102 / 100)
    with pytest.raises(ParameterError, match="shares 0.051 grid steps wide"):
        quantized_noise(0.05, 1.0, 100.0, 4, 10**4)
    assert quantized_noise(5.0, 1.0, 100.0, 4, 10**4).dtype == np.int64


@pytest.mark.parametrize("backend", ["ckks", "secagg"])
def test_dpfedavg_refuses_narrow_shares_at_construction(backend):
    with pytest.raises(ParameterError, match=r"DPFedAvg: noise_multiplier leaves each of 1000 shares [0-9.e-]+ grid "
                                             r"steps wide"):
        fl.DPFedAvg(1000, 1, clip=1.0, noise_multiplier=1e-6, mode="distributed", backend=backend)
    ok = fl.DPFedAvg(8, 1, clip=1.0, noise_multiplier=0.5, mode="distributed", backend=backend)
    scale = ok.aggregator.quantizer.scale if backend == "secagg" else None
    assert share_sigma_steps(0.5, 1.0, 1, 8, scale) >= MIN_SHARE_SIGMA_STEPS
    # Central noise is one draw: no share to bound.
    fl.DPFedAvg(1000, 1, clip=1.0, noise_multiplier=1e-6, mode="central", backend=backend)


def test_flower_secagg_strategy_refuses_narrow_shares():
    """2^20 clients on the 32-bit quantizer (scale 2047 at clip 1): a share at multiplier
    0.5 is (2047 + 2) * 0.5 / 1024 = 1.0 step; refused when the strategy is built."""
    pytest.importorskip("flwr")
    from pyppml.fl.flower import SecAggStrategy

    init = [np.zeros(3)]
    with pytest.raises(ParameterError, match="SecAggStrategy: noise_multiplier leaves each of 1048576 shares"):
        SecAggStrategy(init, n_clients=1 << 20, noise_multiplier=0.5, weighted=False)
    SecAggStrategy(init, n_clients=1 << 20, noise_multiplier=1.0, weighted=False)  # 2.0 steps
