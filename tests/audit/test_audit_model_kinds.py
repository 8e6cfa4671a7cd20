"""Every kind of model the audits accept: scikit-learn, pyppml's encrypted logistic
regression (released coefficients, and encrypted scoring), the DP logistic regression,
and the federated demo's weight vector (LinearModel, a callable, a training factory)."""

import numpy as np
import pytest
from audit_helpers import fresh_prng, linear_data
from sklearn.base import clone
from sklearn.preprocessing import StandardScaler

from pyppml import audit

N = 80


def _split(n=N, d=3):
    X, y = linear_data(fresh_prng(), 4 * n, d)
    return X[:n], y[:n], X[n:2 * n], y[n:2 * n], X[2 * n:], y[2 * n:]


def _check(r, n=N):
    assert 0.0 <= r.auc <= 1.0 and set(r.tpr_at_fpr) == {0.001, 0.01, 0.1}
    assert r.member_scores.shape == (n,) and np.all(np.isfinite(r.member_scores))
    assert r.eps_lb >= 0.0 and r.epsilon.confidence == 0.95


def test_encrypted_logistic_regression():
    from pyppml.ml import EncryptedLogisticRegression

    Xm, ym, Xn, yn, Xr, yr = _split()
    clf = EncryptedLogisticRegression(iterations=1, poly_degree=16384, progress=False).fit(Xm, ym)
    plain = audit.loss_threshold_attack(clf, Xm, ym, Xn, yn)
    _check(plain)
    # Encrypted scoring (flooded outputs, noise std 2^-10 A, A the score's public bound as
    # a power of two; the logistic function is 1/4-Lipschitz, the client rounds to
    # 2^-10): the same log-likelihoods up to 7 std of that noise relative to P(y|x)
    # (catches a callable's output taken as P(y=0)).
    enc = audit.loss_threshold_attack(lambda X: clf.predict_proba_encrypted(X), Xm, ym, Xn, yn)
    p = np.exp(plain.member_scores)
    pow2 = lambda v: 2.0 ** np.ceil(np.log2(v))  # noqa: E731
    A = max(1.0, float(pow2(pow2(np.abs(clf.coef_[0])) @ pow2(np.abs(Xm).max(axis=0)) + pow2(abs(clf.intercept_[0])))))
    assert np.all(np.abs(np.exp(enc.member_scores) - p) <= 0.25 * (7 * 2.0**-10 * A + 2.0**-11) + 1e-6)
    # Reference models of the attacker's choosing: the same encrypted trainer, cloned.
    lira = audit.reference_model_attack(clf, Xm, ym, Xn, yn, clone(clf), Xr, yr, n_reference_models=2)
    _check(lira)


def test_dp_logistic_regression():
    dp = pytest.importorskip("pyppml.dp")
    if not hasattr(dp, "DPLogisticRegression"):
        pytest.skip("pyppml.dp.DPLogisticRegression is not there yet")
    Xm, ym, Xn, yn, Xr, yr = _split(200)
    model = dp.DPLogisticRegression(epsilon=1.0, delta=1e-5).fit(Xm, ym)
    r = audit.loss_threshold_attack(model, Xm, ym, Xn, yn, delta=1e-5)
    _check(r, 200)
    np.testing.assert_allclose(r.member_scores, np.log(model.predict_proba(Xm)[np.arange(200), ym]), rtol=1e-12)
    lira = audit.reference_model_attack(model, Xm, ym, Xn, yn, model, Xr, yr, n_reference_models=2, delta=1e-5)
    _check(lira, 200)


def _fedavg(X, y, rounds=5, clients=3):
    """The federated demo's model on (X, y): plain FedAvg of local gradient steps on
    standardised features plus an intercept column; returns (w, scaler)."""
    from pyppml.fl.demo import _grad_steps

    sc = StandardScaler().fit(X)
    Xa = np.hstack([sc.transform(X), np.ones((len(X), 1))])
    parts = np.array_split(np.arange(len(X)), clients)
    w = np.zeros(Xa.shape[1])
    for _ in range(rounds):
        w = w + np.mean([_grad_steps(w, Xa[h], y[h], 0.5, 5) - w for h in parts], axis=0)
    return w, sc


def test_federated_weight_vector():
    Xm, ym, Xn, yn, Xr, yr = _split()
    w, sc = _fedavg(Xm, ym)
    model = audit.LinearModel.from_augmented(w, transform=sc.transform)
    r = audit.loss_threshold_attack(model, Xm, ym, Xn, yn)
    _check(r)

    # The same model as a plain callable of probabilities: identical scores.
    def proba(X):
        z = np.hstack([sc.transform(X), np.ones((len(X), 1))]) @ w
        return 1.0 / (1.0 + np.exp(-z))

    r2 = audit.loss_threshold_attack(proba, Xm, ym, Xn, yn)
    np.testing.assert_allclose(r2.member_scores, r.member_scores, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(r2.nonmember_scores, r.nonmember_scores, rtol=1e-9, atol=1e-12)
    assert r2.auc == r.auc

    # Reference models from a factory that reruns the federated training.
    def factory(X, y):
        wr, scr = _fedavg(X, y)
        return audit.LinearModel.from_augmented(wr, transform=scr.transform)

    _check(audit.reference_model_attack(model, Xm, ym, Xn, yn, factory, Xr, yr, n_reference_models=3))
