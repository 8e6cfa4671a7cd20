"""Budgets are charged before anything that depends on the data is drawn or computed, so
that a run stopped half-way (an exception, a crash, a callback that already published an
iterate) has still spent its budget. Mutation audit 2026-12-08: moving the charge after
the draw in laplace_mechanism, after the DP-SGD loop, or after objective perturbation's
minimiser passed every test, since nothing there raised."""

import numpy as np
import pytest

from pyppml import dp
from pyppml.dp import logistic_regression as lr_module
from pyppml.dp import mechanisms, sgd


class Stop(RuntimeError):
    pass


def _raise(*args, **kwargs):
    raise Stop


def test_laplace_is_charged_before_its_noise_is_drawn(monkeypatch):
    acc = dp.PrivacyAccountant("rdp")
    monkeypatch.setattr(mechanisms._core, "dp_discrete_laplace", _raise)
    with pytest.raises(Stop):
        dp.laplace_mechanism([1.0, 2.0], 1.0, 1.0, bounds=(0, 4), accountant=acc)
    assert len(acc.charges) == 1


def test_dp_sgd_is_charged_before_its_first_step():
    acc = dp.PrivacyAccountant("rdp")
    calls = []

    def grads(w, idx):
        calls.append(1)
        if len(calls) == 2:  # the first noisy iterate exists; the run stops at the second step
            raise Stop
        return np.zeros((idx.size, w.size))

    with pytest.raises(Stop):
        sgd.dp_sgd(grads, np.zeros(3), 100, steps=10, batch_size=10, clip=1.0, noise_multiplier=1.0,
                   learning_rate=0.1, accountant=acc)
    assert acc.steps == 10


def test_objective_perturbation_is_charged_before_the_minimiser_runs(monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    y = (X[:, 0] > 0).astype(int)
    acc = dp.PrivacyAccountant("rdp", sampling="fixed")
    monkeypatch.setattr(lr_module, "fit_objective_perturbation", _raise)
    with pytest.raises(Stop):
        dp.DPLogisticRegression(epsilon=1.0, method="objective", data_norm=4.0, accountant=acc).fit(X, y)
    assert len(acc.charges) == 1
