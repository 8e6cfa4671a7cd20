"""`pyppml bench dplr` as pytest-benchmark tests: fitting DPLogisticRegression (DP-SGD and
objective perturbation) on the suite's breast-cancer split (pyppml.benchmarks.dplr)."""

import pytest

from pyppml.benchmarks import dplr as suite
from pyppml.dp import DPLogisticRegression

PARAMS = {"epsilon": ((1.0,), suite.EPSILONS)}


@pytest.fixture(scope="module")
def data():
    return suite._datasets()["breast_cancer"]


@pytest.mark.parametrize("method", ["sgd", "objective"])
def test_fit(ppml_bench, data, epsilon, method):
    Xtr, ytr, Xte, _yte, bound = data
    if method == "sgd":
        def make():
            return DPLogisticRegression(epsilon=epsilon, delta=suite.DELTA)
    else:
        def make():
            return DPLogisticRegression(epsilon=epsilon, method="objective", data_norm=bound)
    model = ppml_bench(lambda: make().fit(Xtr, ytr), scheme="dp-lr", N=len(Xtr), L=0,
                       op=f"dplr_breast_cancer_{method}_eps{epsilon:g}", rounds=3)
    # The accountant never spends more than asked.
    assert model.epsilon_ <= epsilon * (1 + 1e-9)
    proba = model.predict_proba(Xte)
    assert proba.shape == (len(Xte), 2) and ((proba >= 0) & (proba <= 1)).all()
