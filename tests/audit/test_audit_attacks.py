"""The attacks find membership when a model memorises its training set (AUC above 0.5,
one-sided at 1e-6) and find none when the model does not depend on it (AUC inside the
two-sided 1e-6 band around 0.5)."""

import numpy as np
import pytest
from audit_helpers import (
    Z_ONE_SIDED,
    Z_TWO_SIDED,
    auc_null_sd,
    fresh_prng,
    linear_data,
    memorizable_data,
)
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier

from pyppml.audit import loss_threshold_attack, reference_model_attack

N = 200  # members, non-members, and reference records (x2)


def _run(attack, model, Xm, ym, Xn, yn, Xr, yr, reference):
    if attack == "loss":
        return loss_threshold_attack(model, Xm, ym, Xn, yn)
    return reference_model_attack(model, Xm, ym, Xn, yn, reference, Xr, yr, n_reference_models=4)


@pytest.mark.parametrize("attack", ["loss", "lira"])
@pytest.mark.parametrize("learner", ["tree", "1nn"])
def test_memorising_model_is_attackable(attack, learner):
    # Labels independent of the features: a fully grown tree / 1-NN fits every member
    # (P(y|x) = 1) and gets half the non-members wrong, so AUC = 0.5 + 0.5 * 0.5 = 0.75.
    # An attack whose score ignores the model, or ranks the wrong way, stays near 0.5 and
    # fails the one-sided test (0.5 + 4.75 sd = 0.64 here).
    prng = fresh_prng()
    X, y = memorizable_data(prng, 4 * N)
    Xm, ym, Xn, yn, Xr, yr = X[:N], y[:N], X[N:2 * N], y[N:2 * N], X[2 * N:], y[2 * N:]
    est = DecisionTreeClassifier() if learner == "tree" else KNeighborsClassifier(1)
    model = est.fit(Xm, ym)
    r = _run(attack, model, Xm, ym, Xn, yn, Xr, yr, est)
    assert r.auc > 0.5 + Z_ONE_SIDED * auc_null_sd(N, N), f"{attack}/{learner}: AUC {r.auc:.3f}"
    assert r.member_scores.shape == (N,) and r.nonmember_scores.shape == (N,)


@pytest.mark.parametrize("attack", ["loss", "lira"])
@pytest.mark.parametrize("learner", ["tree", "logistic"])
def test_model_independent_of_its_members_is_not(attack, learner):
    # The model is trained on other records; members and non-members are a random split
    # of one pool, so their scores are exchangeable and the AUC is the Mann-Whitney null
    # (mean 0.5, sd sqrt((m+n+1)/(12mn)), smaller with ties). Catches a score that leaks
    # the set a record was passed in (e.g. by position or by normalising each set apart).
    prng = fresh_prng()
    X, y = linear_data(prng, 5 * N)
    est = DecisionTreeClassifier(min_samples_leaf=5) if learner == "tree" else LogisticRegression()
    model = est.fit(X[3 * N:], y[3 * N:])
    Xm, ym, Xn, yn, Xr, yr = X[:N], y[:N], X[N:2 * N], y[N:2 * N], X[2 * N:3 * N], y[2 * N:3 * N]
    r = _run(attack, model, Xm, ym, Xn, yn, Xr, yr, est)
    assert abs(r.auc - 0.5) <= Z_TWO_SIDED * auc_null_sd(N, N), f"{attack}/{learner}: AUC {r.auc:.3f}"


def test_loss_scores_are_the_log_likelihood():
    prng = fresh_prng()
    X, y = linear_data(prng, 2 * N)
    model = LogisticRegression().fit(X[:N], y[:N])
    r = loss_threshold_attack(model, X[:N], y[:N], X[N:], y[N:])
    p = model.predict_proba(X)[np.arange(2 * N), y]
    np.testing.assert_allclose(np.r_[r.member_scores, r.nonmember_scores], np.log(p), rtol=1e-12)


def test_lira_scores_follow_the_reference_models():
    # With reference models that all return the same probabilities q, sd_out is the 1e-12
    # floor and z = (logit p - logit q) / 1e-12: the order of the scores is that of
    # logit(p_y) - logit(q_y) (catches a sign flip or mixing up the true-label column).
    prng = fresh_prng()
    X, y = linear_data(prng, 2 * N)
    target = LogisticRegression().fit(X[:N], y[:N])
    fixed = LogisticRegression(C=0.01).fit(X[N:], y[N:])
    r = reference_model_attack(target, X[:N], y[:N], X[N:], y[N:], lambda Xs, ys: fixed, X[N:], y[N:],
                               n_reference_models=2)

    def logit(m):
        p = np.clip(m.predict_proba(X)[np.arange(2 * N), y], 1e-12, 1 - 1e-12)
        return np.log(p) - np.log1p(-p)

    expected = logit(target) - logit(fixed)
    got = np.r_[r.member_scores, r.nonmember_scores]
    np.testing.assert_allclose(got * 1e-12, expected, rtol=1e-9, atol=1e-12)
