"""Two-party logistic regression between real processes (two parties and a dealer):
both parties get the same weights, close to plaintext training with the same
piecewise-linear sigmoid, and the accuracy is within a small margin of plaintext NumPy
logistic regression with the exact sigmoid."""

import numpy as np
import pytest

import mpc_jobs
from pyppml.mpc import train_plaintext
from pyppml.mpc.local import run_local
from pyppml.mpc.logistic import hard_sigmoid, predict


def data(rows, features, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, features))
    y = (X @ rng.normal(size=features) + 0.3 + 0.5 * rng.normal(size=rows) > 0).astype(np.float64)
    return X, y


@pytest.mark.parametrize("rows,features,epochs,batch", [(1000, 8, 5, 100), (600, 20, 4, 600), (301, 5, 3, 64)],
                         ids=["n1000_d8_b100", "n600_d20_full", "n301_d5_b64_ragged"])
def test_training_matches_plaintext(rows, features, epochs, batch):
    X, y = data(rows, features, rows)
    lr = 1.0
    job = mpc_jobs.trainer(X, y, epochs, batch, lr)
    out = run_local({0: job, 1: job, 2: mpc_jobs.dealer}, timeout=20, deadline=60)
    for i, o in out.items():
        assert o.ok, f"party {i}: {o.error_type}: {o.message}"
    w0, w1 = out[0].value, out[1].value
    np.testing.assert_array_equal(w0, w1)
    # Same algorithm in float64 with the same sigmoid: only fixed-point rounding differs.
    w_pl = train_plaintext(X, y, epochs, batch, lr, sigmoid=hard_sigmoid)
    assert np.max(np.abs(w0 - w_pl)) < 0.02, (w0, w_pl)
    acc_mpc = np.mean(predict(w0, X) == y)
    acc_exact = np.mean(predict(train_plaintext(X, y, epochs, batch, lr), X) == y)
    assert acc_mpc >= acc_exact - 0.02, (acc_mpc, acc_exact)
