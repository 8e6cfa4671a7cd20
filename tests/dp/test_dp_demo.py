"""The differential-privacy part of `pyppml demo`: each DP model spends at most its budget
and stays useful, and the attack that finds the memorising model finds little on them."""

import types

from pyppml.dp.demo import EPSILONS, run_dp_demo


def _min_auc(eps: float) -> float:
    """Least held-out AUC the DP model at ``eps`` must reach, at a false-failure rate of
    1e-6 per model. The DP-SGD noise (CSPRNG, unseeded here) gives the AUC a long lower
    tail: at eps = 0.5 the fixed 0.9 used before failed in 0.34% of runs (6 of 1742
    fits of the demo's split: median 0.977, 2% quantile 0.925, lowest 0.867), so the
    test failed by chance a few times per thousand runs. An exponential fit to the
    lowest 2% (5%) of those fits reaches 1e-6 at 0.772 (0.761), so eps < 1 gets 0.75. At
    eps >= 1 the tail is short (eps = 1: lowest 0.963 of 604, 1e-6 at 0.93 by the same
    fit; eps = 4: lowest 0.990), and 0.9 stays.
    What is still caught: a model that learned nothing (AUC 0.5, null sd ~0.025 for
    ~284 x 285 records: 0.75 is 10 sd above) or learned the sign backwards, at every
    epsilon; a usefulness loss below 0.9 at eps >= 1."""
    return 0.75 if eps < 1 else 0.9


def test_dp_demo_quick():
    res = run_dp_demo(types.SimpleNamespace(quick=True))
    memorising = res["memorising 30-NN (non-private)"]
    assert memorising["attack_auc"] > 0.65  # members all get probability 1: clearly attackable
    for eps in EPSILONS:
        r = res[f"DPLogisticRegression eps = {eps:g}"]
        assert r["epsilon"] <= eps
        assert r["auc"] > _min_auc(eps), (eps, r["auc"])
        # Null AUC of ~284 x 285 records has sd ~0.025: 0.74 is > 9 sd away (false failure < 1e-6).
        assert r["attack_auc"] < memorising["attack_auc"]
