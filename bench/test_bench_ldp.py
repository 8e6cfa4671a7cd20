"""`pyppml bench ldp` as pytest-benchmark tests: the local-DP frequency oracles, device side
(perturb) and server side (estimate), on Zipf counts (pyppml.benchmarks.ldp)."""

import numpy as np
import pytest

from pyppml.benchmarks import ldp as suite

PARAMS = {"d": ((16, 1024), (16, 256, 4096, 65536)), "devices": ((20_000,), (1_000_000,))}
SCHEMES = ("ldp-grr", "ldp-oue", "ldp-olh", "ldp-cms")


@pytest.mark.parametrize("scheme", SCHEMES)
def test_perturb_estimate(ppml_bench, scheme, d, devices):
    if scheme == "ldp-oue":
        devices = min(devices, suite.OUE_MAX_BITS // d)  # OUE reports are d bits each
    oracle = suite._oracle(scheme, d)
    counts = suite.zipf_counts(d, devices)
    values = np.repeat(np.arange(d), counts)
    est = ppml_bench(lambda: oracle.estimate(oracle.perturb(values)), scheme=scheme, N=d, L=0, op="perturb_estimate",
                     devices=devices, epsilon=suite.EPSILON)
    est = np.asarray(est, dtype=np.float64)
    assert est.shape == (d,)
    # Unbiased estimates: the total's error has sd sqrt(sum_i Var(est_i)) for GRR (exactly 0:
    # its debiasing is linear and every report names one item), OUE (independent bits) and
    # OLH (pairwise-independent hashes: covariances 0). The sketch's hash collisions add
    # correlated error: variance times (1 + d / m) bounds it (measured: sd 1.36 at d = m, 100
    # runs, against the bound's 1.41). 6 sd: false failure < 1e-6 (the total of 10^4+
    # independent reports is Gaussian); catches a missing or wrong debiasing step, whose
    # error is of the order of the number of devices.
    var = float(oracle.variance(devices, counts).sum()) * (1 + (d / suite.CMS_M if scheme == "ldp-cms" else 0))
    assert abs(est.sum() - devices) < 6 * var**0.5 + 1e-9 * devices
