"""The differential-privacy part of `pyppml demo`: each DP model spends at most its budget
and stays useful, and the attack that finds the memorising model finds little on them."""

import types

from pyppml.dp.demo import EPSILONS, run_dp_demo


def test_dp_demo_quick():
    res = run_dp_demo(types.SimpleNamespace(quick=True))
    memorising = res["memorising 30-NN (non-private)"]
    assert memorising["attack_auc"] > 0.65  # members all get probability 1: clearly attackable
    for eps in EPSILONS:
        r = res[f"DPLogisticRegression eps = {eps:g}"]
        assert r["epsilon"] <= eps
        assert r["auc"] > 0.9
        # Null AUC of ~284 x 285 records has sd ~0.025: 0.74 is > 9 sd away (false failure < 1e-6).
        assert r["attack_auc"] < memorising["attack_auc"]
