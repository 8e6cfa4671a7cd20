"""DP federated averaging: noise of the calibrated size, accountant fed, averages right."""

import numpy as np
import pytest

from pyppml import fl


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
    # noise std on the sum is 1, the average divides by 10: 5 sigma bounds on the sample std
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
