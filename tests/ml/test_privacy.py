"""What leaves the data owner: a fitted model carries nothing of the training set, the
published model comes from a flooded decryption, and the plan the server receives does
not depend on the rows."""

import dataclasses
import gc
import pickle
import types
import weakref

import numpy as np
import pytest

from pyppml import ckks
from pyppml.ckks import release
from pyppml.ml import DataOwner, EncryptedLogisticRegression, EncryptedModel, logistic
from pyppml.ml.plan import MomentBounds
from pyppml.ml.preprocess import FeatureScaler


def _walk(obj, seen=None):
    """Every object reachable from ``obj`` through attributes, dataclass fields and
    containers."""
    seen = set() if seen is None else seen
    stack = [obj]
    while stack:
        o = stack.pop()
        if id(o) in seen or isinstance(o, (type, types.ModuleType, types.FunctionType, types.MethodType)):
            continue
        seen.add(id(o))
        yield o
        if isinstance(o, dict):
            stack.extend(o.keys())
            stack.extend(o.values())
        elif isinstance(o, (list, tuple, set, frozenset)):
            stack.extend(o)
        elif isinstance(o, np.ndarray) and o.dtype == object:
            stack.extend(o.ravel().tolist())
        if hasattr(o, "__dict__") and not isinstance(o, np.ndarray):
            stack.extend(vars(o).values())
        if dataclasses.is_dataclass(o) and not isinstance(o, type):
            stack.extend(getattr(o, f.name) for f in dataclasses.fields(o))


def _check_no_training_data(model, n, api):
    for o in _walk(model):
        assert not isinstance(o, (DataOwner, FeatureScaler)), f"{api}: {type(o).__name__} reachable"
        assert not (isinstance(o, ckks.Context) and o.secret_key is not None), f"{api}: a secret key is reachable"
        assert type(o).__name__ not in ("SecretKey", "Ciphertext"), f"{api}: {type(o).__name__} reachable"
        if isinstance(o, np.ndarray):
            assert n not in o.shape, f"{api}: an array of shape {o.shape} (n = {n})"
        if isinstance(o, (list, tuple)):
            assert len(o) != n, f"{api}: a sequence of length n = {n}"


@pytest.fixture(scope="module")
def fitted_with_owner(small_data, monkeypatch_module):
    """A fitted estimator and the DataOwner its fit made (caught by a spy)."""
    owners = []

    class SpyOwner(DataOwner):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            owners.append(self)

    monkeypatch_module.setattr(logistic, "DataOwner", SpyOwner)
    X, y = small_data
    clf = EncryptedLogisticRegression(iterations=2, poly_degree=16384, progress=False, record_history=True).fit(X, y)
    monkeypatch_module.undo()
    assert len(owners) == 1
    return clf, owners[0]


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def test_fitted_model_holds_only_released_attributes(fitted_with_owner):
    clf, _ = fitted_with_owner
    extra = set(vars(clf)) - set(clf.get_params()) - set(logistic.RELEASED_ATTRIBUTES)
    assert not extra, f"attributes outside RELEASED_ATTRIBUTES: {sorted(extra)}"


def test_owner_and_data_unreachable_from_fitted_model(fitted_with_owner, small_data):
    clf, _ = fitted_with_owner
    X, _ = small_data
    _check_no_training_data(clf, len(X), "fitted model")
    restored = pickle.loads(pickle.dumps(clf))
    _check_no_training_data(restored, len(X), "unpickled model")
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


def test_pickle_holds_no_row_label_statistic_or_key(fitted_with_owner, small_data):
    clf, owner = fitted_with_owner
    X, y = small_data
    blob = pickle.dumps(clf)
    Z = owner._Z
    for name, rows in (("raw", X), ("scaled", Z), ("scaler matrix", owner.scaler.matrix)):
        for i, row in enumerate(np.asarray(rows, dtype=np.float64)):
            assert row.tobytes() not in blob, f"{name} row {i} is in the pickle"
            for v in row:   # every value that is not a constant of the encoding (+-1, 0)
                if abs(v) != 1.0 and v != 0.0:
                    assert v.tobytes() not in blob, f"a {name} value of row {i} is in the pickle"
    for v in owner.scaler.mean:
        assert v.tobytes() not in blob, "a scaler mean is in the pickle"
    for dtype in (np.float64, np.float32, np.int64, np.int32, np.int8, np.uint8, bool):
        assert np.asarray(y).astype(dtype).tobytes() not in blob, f"the labels as {np.dtype(dtype)} are in the pickle"
        assert (2 * np.asarray(y) - 1).astype(dtype).tobytes() not in blob, f"the +-1 labels as {np.dtype(dtype)} are in the pickle"
    key_id = int(owner.context.secret_key.key_id).to_bytes(8, "little")
    assert key_id not in blob, "the secret key's id is in the pickle"


def test_fit_discards_the_owner_and_its_key(small_data, monkeypatch):
    """coef_ is decrypted without flooding: safe only if no key and no ciphertext under
    it outlive fit. The owner must be garbage once fit returns."""
    refs = []

    class SpyOwner(DataOwner):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            refs.append(weakref.ref(self))

    monkeypatch.setattr(logistic, "DataOwner", SpyOwner)
    X, y = small_data
    clf = EncryptedLogisticRegression(iterations=1, poly_degree=16384, progress=False).fit(X, y)
    gc.collect()
    assert len(refs) == 1 and refs[0]() is None, "the data owner (secret key, rows) outlives fit"
    assert clf.coef_.shape == (1, X.shape[1])


def _high_scale_model(owner, w_scaled):
    """A model ciphertext at scale 2^72 (fresh error): the weights in every half block."""
    p = owner.packing
    vec = np.tile(np.append(w_scaled, np.zeros(p.width - p.features)), p.slots // p.width)
    return EncryptedModel(p, owner.context.encrypt(vec, level=1, scale=2.0 ** 72))


def test_release_model_floods(small_data):
    """Two releases of one model differ (the flooding; without it both are the same
    rounding of the same decryption) and stay within 7 std of the truth: per slot std
    2^-16 plus rounding to 2^-16, averaged over 1024 copies."""
    X, y = small_data
    owner = DataOwner(iterations=1, scaling="none", poly_degree=16384)   # fold = identity
    owner.encrypt(X, y)
    w = np.array([0.5, -1.25, 0.75, 2.0, -0.3, 0.1])
    model = _high_scale_model(owner, w)
    bound = release.default_noise_bound(owner.context)
    out = [np.append(*owner.release_model(model, bits_of_precision=16, noise_bound=bound, max_releases=2)[::-1])
           for _ in range(2)]
    assert not np.array_equal(out[0], out[1]), "two releases of one model are identical"
    copies = owner.packing.slots // owner.packing.width
    tol = 7 * 2.0 ** -16 * np.sqrt(1 + 1 / 12) / np.sqrt(copies)
    for o in out:
        np.testing.assert_allclose(o, w, atol=tol, rtol=0)


def test_release_model_refuses_a_trained_model_at_useful_precision(trained):
    """The flooding rule needs ~2^25 times the model's own error: at scale 2^40 not even
    10 bits are left (here with the fresh-ciphertext bound, below the true one)."""
    owner, model = trained
    with pytest.raises(ValueError, match="bits_of_precision"):
        owner.release_model(model, bits_of_precision=10, noise_bound=release.default_noise_bound(owner.context))


@pytest.mark.parametrize("scaling", ["whiten", "standard"])
@pytest.mark.parametrize("method", ["nesterov", "newton"])
def test_plan_identical_for_neighbouring_data_sets(small_data, scaling, method):
    """One row replaced (same shape): the server receives the same plan."""
    X, y = small_data
    X2, y2 = X.copy(), y.copy()
    X2[7] = X[7] * 3.0 + 40.0
    y2[7] = 1 - y[7]
    plans = []
    for data in ((X, y), (X2, y2)):
        owner = DataOwner(method=method, iterations=1, scaling=scaling, poly_degree=16384)
        dataset = owner.encrypt(*data)
        plans.append(dataset.plan.to_json())
        assert not dataset.plan.steps_from_data
    assert plans[0] == plans[1]


def test_plan_without_scaling_says_its_steps_are_released(small_data):
    X, y = small_data
    owner = DataOwner(iterations=1, scaling="none", poly_degree=16384)
    assert owner.encrypt(X, y).plan.steps_from_data


@pytest.mark.parametrize("scaling,shrinkage", [("whiten", 0.0), ("whiten", 0.1), ("whiten", 1.0), ("standard", 0.1)])
def test_moment_bounds_hold(scaling, shrinkage):
    """The public bounds hold on correlated, badly scaled data with a constant column."""
    rng = np.random.default_rng(5)
    n, d = 400, 6
    base = rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) * np.array([1.0, 100.0, 0.01, 5.0, 1.0, 1.0]) + 3.0
    base[:, 4] = 7.0
    y = rng.integers(0, 2, size=n)
    Xs = FeatureScaler.fit(base, scaling, shrinkage).transform(base)
    Z = np.hstack([np.ones((n, 1)), Xs]) * (2.0 * y - 1.0)[:, None]
    M = Z.T @ Z / n
    bounds = MomentBounds.for_scaling(scaling, shrinkage, d + 1)
    tol = 1e-9
    assert np.all(np.diag(M) <= np.asarray(bounds.diagonal) * (1 + tol))
    assert np.trace(M) <= bounds.trace * (1 + tol)
    assert np.linalg.eigvalsh(M).max() <= bounds.lambda_max * (1 + tol)
    h = np.abs(Z).T @ np.abs(Z).sum(axis=1) / (4.0 * n)   # the Bonte-Vercauteren diagonal
    assert np.all(h <= np.sqrt(np.asarray(bounds.diagonal) * (d + 1) * bounds.trace) / 4.0 * (1 + tol))
