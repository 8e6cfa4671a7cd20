"""`pyppml bench audit` as pytest-benchmark tests: the loss-threshold membership-inference
audit of an over-fitted model on the suite's breast-cancer split (pyppml.benchmarks.audit)."""

import math

import pytest
from sklearn.tree import DecisionTreeClassifier

from pyppml import audit
from pyppml.benchmarks import audit as suite


@pytest.fixture(scope="module")
def split():
    _name, X, y, members = suite._datasets()[0]
    return suite._split(X, y, members, seed=0)


def test_loss_threshold_attack(ppml_bench, split):
    (Xm, ym), (Xn, yn), _ = split
    model = DecisionTreeClassifier(random_state=0).fit(Xm, ym)  # fully grown: memorises its members
    res = ppml_bench(lambda: audit.loss_threshold_attack(model, Xm, ym, Xn, yn, delta=suite.DELTA),
                     scheme="audit", N=len(Xm), L=0, op="mia_loss", model="decision_tree")
    assert 0.0 <= res.auc <= 1.0 and res.eps_lb >= 0.0 and not math.isnan(res.eps_point)
