"""scikit-learn conventions of DPLogisticRegression: the label set is the public
parameter ``classes`` (never inferred from y), labels outside it are refused without
being quoted, NotFittedError before fit, complex and sparse X refused, Pipeline and
cross_val_score, and check_estimator failing exactly the documented checks."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from pyppml import ParameterError, _core, dp

# check_estimator checks DPLogisticRegression(epsilon=50) fails by design, with the reason.
LABELS_OUTSIDE_CLASSES = ("the check trains on labels {1, 2} or strings while classes=(0, 1): the label set is the "
                          "public parameter classes and is never inferred from y (a label in one record would change "
                          "classes_), so they are refused")
EXPECTED_FAILED_CHECKS = {
    "check_fit_idempotent": "every fit draws fresh DP noise from an OS-keyed stream: two fits differ, by design",
    "check_estimators_dtypes": LABELS_OUTSIDE_CLASSES,
    "check_classifier_data_not_an_array": LABELS_OUTSIDE_CLASSES,
    "check_classifiers_classes": LABELS_OUTSIDE_CLASSES,
    "check_fit2d_1feature": LABELS_OUTSIDE_CLASSES,
    "check_dtype_object": "every bad X entry (NaN, infinity, a dict, a string) gives the one schema error (a "
                          "ParameterError naming X), so that no kind of record is told apart; the check wants a "
                          "TypeError for a dict entry",
}
# Fails at random only: it fits twice (1-D y, then the same y as a column) and compares the
# predictions, which fresh noise may move for a point near the boundary.
MAY_FAIL = {"check_supervised_y_2d": "two fits, two draws of the DP noise"}


def seeded(stream=0):
    return _core.Prng(b"dp-estimator-conventions-test-32", stream)


def _data(n=200, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    return X, (X[:, 0] > 0).astype(int)


def test_classes_is_a_public_parameter():
    est = dp.DPLogisticRegression(epsilon=2.0)
    assert est.get_params()["classes"] == (0, 1)
    assert est.set_params(classes=("no", "yes")) is est
    assert clone(est).get_params()["classes"] == ("no", "yes")


@pytest.mark.parametrize("method,kw", [("sgd", {}), ("objective", {"data_norm": 4.0})])
def test_string_classes_fit_and_predict(method, kw):
    X, y01 = _data()
    y = np.where(y01 == 1, "yes", "no")
    m = dp.DPLogisticRegression(epsilon=8.0, method=method, classes=("yes", "no"), **kw).fit(X, y, prng=seeded(1))
    assert m.classes_.tolist() == ["no", "yes"]     # sorted, as scikit-learn
    pred = m.predict(X)
    assert set(pred) <= {"no", "yes"} and np.mean(pred == y) > 0.75   # seeded: deterministic
    proba = m.predict_proba(X)
    assert np.array_equal(m.classes_[np.argmax(proba, axis=1)], pred)
    # the same fit on codes 0/1 with the same stream: "yes" (classes_[1]) is the positive class
    ref = dp.DPLogisticRegression(epsilon=8.0, method=method, **kw).fit(X, y01, prng=seeded(1))
    assert np.array_equal(ref.coef_, m.coef_) and np.array_equal(ref.intercept_, m.intercept_)
    # a list of Python strings works too
    dp.DPLogisticRegression(epsilon=8.0, classes=["no", "yes"]).fit(X, y.tolist())


def test_numeric_and_bool_classes():
    X, y01 = _data()
    m = dp.DPLogisticRegression(epsilon=8.0, classes=(-1, 1)).fit(X, 2 * y01 - 1)
    assert m.classes_.tolist() == [-1, 1] and set(m.predict(X)) <= {-1, 1}
    m = dp.DPLogisticRegression(epsilon=8.0, classes=(False, True)).fit(X, y01.astype(bool))
    assert m.classes_.dtype == bool and m.predict(X).dtype == bool


def test_classes_are_not_inferred_from_y():
    # A data set whose y happens to hold a single class keeps the public classes_.
    X, _ = _data()
    m = dp.DPLogisticRegression(epsilon=8.0, classes=("no", "yes")).fit(X, ["no"] * len(X))
    assert m.classes_.tolist() == ["no", "yes"]


def test_labels_outside_classes_are_counted_never_quoted():
    X, y01 = _data()
    y = np.where(y01 == 1, "yes", "no").astype(object)
    y[:3] = "secret-diagnosis"
    y[3] = 17.25
    y[4] = None
    with pytest.raises(ParameterError, match=r"y has labels other than 'no' and 'yes'; expected labels in classes.*"
                                             r"got 5 other values$") as err:
        dp.DPLogisticRegression(epsilon=8.0, classes=("no", "yes")).fit(X, y)
    msg = str(err.value)
    assert "secret" not in msg and "17" not in msg and "None" not in msg and "\n" not in msg
    with pytest.raises(ParameterError, match=r"labels other than 0 and 1.*got 1 other values$") as err:
        dp.DPLogisticRegression(epsilon=8.0).fit(X, np.where(np.arange(len(X)) == 7, 173.25, y01))
    assert "173" not in str(err.value)
    # every kind of bad entry gives the same message
    messages = set()
    for bad in (2, 0.5, float("nan"), float("inf"), 10**400, "n/a", None):
        yy = y01.astype(object)
        yy[0] = bad
        with pytest.raises(ParameterError) as err:
            dp.DPLogisticRegression(epsilon=8.0).fit(X, yy)
        messages.add(str(err.value))
    assert len(messages) == 1


@pytest.mark.parametrize("classes", [(0, 0), (0, 1, 2), ("a",), "ab", (0, "a"), (0, float("nan")), (0, 10**400), None, 1])
def test_bad_classes_are_refused_before_anything_is_charged(classes):
    X, y01 = _data()
    acc = dp.PrivacyAccountant("rdp")
    with pytest.raises(ParameterError, match="classes is not a pair of labels"):
        dp.DPLogisticRegression(epsilon=1.0, classes=classes, accountant=acc).fit(X, y01)
    assert acc.get_epsilon(1e-5) == 0


def test_unfitted_methods_raise_not_fitted_error():
    X, _ = _data()
    for method in ("predict", "predict_proba", "decision_function"):
        with pytest.raises(NotFittedError, match=rf"DPLogisticRegression.{method}: the model is not fitted") as err:
            getattr(dp.DPLogisticRegression(), method)(X)
        assert isinstance(err.value, ValueError) and "\n" not in str(err.value)


def test_complex_and_sparse_X_are_refused():
    sparse = pytest.importorskip("scipy.sparse")
    X, y = _data()
    with pytest.raises(ParameterError, match=r"X is complex \(Complex data not supported\)"):
        dp.DPLogisticRegression().fit(X + 1j, y)
    with pytest.raises(ParameterError, match=r"X is a sparse matrix \(sparse input is not supported\)"):
        dp.DPLogisticRegression().fit(sparse.csr_matrix(X), y)
    m = dp.DPLogisticRegression(epsilon=8.0).fit(X, y)
    with pytest.raises(ParameterError, match="X is complex"):
        m.predict(X.astype(complex))
    with pytest.raises(ParameterError, match=r"y is complex"):
        dp.DPLogisticRegression().fit(X, y + 0j)


def test_pipeline_and_cross_val_score():
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y01 = _data()
    y = np.where(y01 == 1, "yes", "no")
    pipe = make_pipeline(StandardScaler(), dp.DPLogisticRegression(epsilon=8.0, classes=("no", "yes")))
    assert np.all(cross_val_score(pipe, X, y, cv=3) > 0.8)
    assert np.all(cross_val_score(dp.DPLogisticRegression(epsilon=8.0), X, y01, cv=3, scoring="roc_auc") > 0.9)


def test_check_estimator_fails_exactly_the_documented_checks():
    from sklearn.utils.estimator_checks import check_estimator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(dp.DPLogisticRegression(epsilon=50.0), on_fail=None)
    failed = {r["check_name"]: r["exception"] for r in results if r["status"] == "failed"}
    unexpected = set(failed) - set(EXPECTED_FAILED_CHECKS) - set(MAY_FAIL)
    assert not unexpected, {k: str(failed[k])[:200] for k in unexpected}
    assert set(EXPECTED_FAILED_CHECKS) <= set(failed)
    assert sum(r["status"] == "passed" for r in results) >= 44


def test_numeric_classes_must_be_distinct_doubles():
    # 2^53 and 2^53 + 1 are one float64: every label coded as one class (review round 5).
    X = np.array([[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="classes is not exactly representable as two distinct doubles"):
        dp.DPLogisticRegression(classes=(2**53, 2**53 + 1)).fit(X, [2**53, 2**53 + 1])


def test_shared_accountant_is_charged_through_clone():
    """scikit-learn's clone (cross_val_score, GridSearchCV) deep-copied a shared
    accountant: the fits charged copies and the shared one stayed at zero (review
    2026-12-08). A copy of an accountant is the accountant itself, so every fit on the
    private data is charged to it."""
    import copy

    from sklearn.model_selection import GridSearchCV, cross_val_score

    X, y = _data()
    acc = dp.PrivacyAccountant("rdp")
    est = dp.DPLogisticRegression(epsilon=8.0, accountant=acc, epochs=1)
    assert clone(est).get_params()["accountant"] is acc
    assert copy.copy(acc) is acc and copy.deepcopy(acc) is acc
    cross_val_score(est, X, y, cv=3)
    per_fit = len(acc.charges) // 3
    assert per_fit > 0 and len(acc.charges) == 3 * per_fit
    GridSearchCV(est, {"clip": [0.5, 1.0]}, cv=2).fit(X, y)  # 4 fits and the refit
    assert len(acc.charges) == 8 * per_fit


def test_restored_accountant_is_refused_until_resumed():
    """A pickled accountant is a snapshot: a process that restores it (scikit-learn's
    workers with n_jobs > 1) would charge a copy the caller never sees, so a fit refuses
    it; resume() adopts a loaded one explicitly."""
    import pickle

    X, y = _data()
    acc = dp.PrivacyAccountant("rdp")
    dp.DPLogisticRegression(epsilon=8.0, accountant=acc, epochs=1).fit(X, y)
    loaded = pickle.loads(pickle.dumps(acc))
    assert loaded.restored and not acc.restored
    assert loaded.get_epsilon(1e-5) == acc.get_epsilon(1e-5)
    est = dp.DPLogisticRegression(epsilon=8.0, accountant=loaded, epochs=1)
    with pytest.raises(ParameterError, match="accountant is a copy restored from a pickle"):
        est.fit(X, y)
    assert len(loaded.charges) == len(acc.charges)  # refused before any charge
    est.set_params(accountant=loaded.resume()).fit(X, y)
    assert len(loaded.charges) == 2 * len(acc.charges)


def test_parallel_cross_validation_with_a_shared_accountant_is_refused():
    from sklearn.model_selection import cross_val_score

    X, y = _data()
    est = dp.DPLogisticRegression(epsilon=8.0, accountant=dp.PrivacyAccountant("rdp"), epochs=1)
    with pytest.raises(ParameterError, match="restored from a pickle"):
        cross_val_score(est, X, y, cv=2, n_jobs=2, error_score="raise")
