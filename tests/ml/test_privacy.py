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
from pyppml.ml.plan import MomentBounds, train_reference
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
    clf = EncryptedLogisticRegression(iterations=1, poly_degree=16384, progress=False, record_history=True).fit(X, y)
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
    """The owner (secret key, rows) is garbage once fit returns."""
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


def _chi2_bounds(df, rate=1e-6):
    """Two-sided acceptance interval of chi^2_df with false-failure rate ``rate``."""
    stats = pytest.importorskip("scipy.stats")
    return stats.chi2.ppf(rate / 2, df), stats.chi2.isf(rate / 2, df)


def _copies_mean(owner, slots):
    p = owner.packing
    return np.asarray(slots).reshape(p.slots // p.width, p.width)[:, :p.features].mean(axis=0)


def test_fit_publishes_coef_only_through_flooded_release(small_data, monkeypatch):
    """fit never decrypts the model with the real key except through
    decrypt_for_release, with the throw-away noise bound and s >= 40; coef_ is the
    average of that release; and it differs from the unflooded decryption by noise of
    the planned width (chi^2, false-failure rate 1e-6; an unflooded release is off by
    its rounding, the same in every copy: ~80 times the planned variance)."""
    owners, releases, plain = [], [], []

    class SpyOwner(DataOwner):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            owners.append(self)

    real_release, real_decrypt = ckks.Context.decrypt_for_release, ckks.Context.decrypt

    def spy_release(self, ct, *args, **kwargs):
        out = real_release(self, ct, *args, **kwargs)
        releases.append((self, ct, kwargs, out))
        return out

    def spy_decrypt(self, ct, *args, **kwargs):
        plain.append(self)
        return real_decrypt(self, ct, *args, **kwargs)

    monkeypatch.setattr(logistic, "DataOwner", SpyOwner)
    monkeypatch.setattr(ckks.Context, "decrypt_for_release", spy_release)
    monkeypatch.setattr(ckks.Context, "decrypt", spy_decrypt)
    X, y = small_data
    clf = EncryptedLogisticRegression(iterations=1, poly_degree=16384, progress=False).fit(X, y)
    monkeypatch.undo()
    owner = owners[0]
    assert not any(c is owner.context for c in plain), "fit decrypted with the real key without flooding"
    assert len(releases) == 1 and releases[0][0] is owner.context
    _, ct, kwargs, out = releases[0]
    assert kwargs["noise_bound"] == owner.estimate_noise_bound() and kwargs["security_bits"] >= 40
    w_rel = _copies_mean(owner, out)
    coef, intercept = owner.fold(w_rel)
    np.testing.assert_array_equal(clf.coef_[0], coef)
    assert clf.intercept_[0] == intercept
    assert clf.release_["bits_of_precision"] == kwargs["bits_of_precision"] >= 1
    chi2 = np.sum((w_rel - owner.decrypt_weights(ct)) ** 2) / clf.release_["weight_std"] ** 2
    lo, hi = _chi2_bounds(owner.packing.features)
    assert lo < chi2 < hi, f"released weights off the unflooded ones by {chi2:.1f} planned variances (df = {owner.packing.features})"


@pytest.fixture(scope="module")
def trained_one(small_data):
    """(owner, encrypted model) of a 1-iteration run (releases keep several bits),
    without scaling: the released weights are the weights the noise is planned on."""
    from pyppml.ml import train_encrypted

    X, y = small_data
    owner = DataOwner(iterations=1, scaling="none", poly_degree=16384)
    dataset = owner.encrypt(X, y)
    return owner, train_encrypted(owner.public_context(), dataset, progress=False)


def test_releases_of_one_model_differ_with_planned_spread(trained_one):
    """64 releases of the same model ciphertext: all differ, and their spread around
    their mean is the planned std per weight (chi^2 on 63 x 6 degrees of freedom,
    false-failure rate 1e-6: fails when the variance is off by a factor 1.4 either way,
    so with no flooding and with half or twice the width)."""
    owner, model = trained_one
    k = 64
    out = np.array([np.append(*owner.release_model(model, max_releases=k)[::-1]) for _ in range(k)])
    assert len({o.tobytes() for o in out}) == k, "two releases of one model are identical"
    w = out   # scaling="none": the folding is the identity
    std = owner.releases[-1]["weight_std"]
    centred = w - w.mean(axis=0)
    chi2 = np.sum(centred ** 2) / std ** 2
    lo, hi = _chi2_bounds((k - 1) * w.shape[1])
    assert lo < chi2 < hi, f"spread of the releases is {np.sqrt(chi2 / ((k - 1) * w.shape[1])):.2f} x the planned std"


def _model_error(owner, ct, w_scaled):
    """max |e_i| over the coefficients of ct's error under the REAL key (the test may
    look; the owner never does)."""
    p, ctx = owner.packing, owner.context
    slots = np.tile(np.append(w_scaled, np.zeros(p.width - p.features)), p.slots // p.width)
    ideal = ctx._native.decode_coefficients(ctx.encode(slots, scale=ct.scale, level=ct.level)._native)
    got = ctx._native.decode_coefficients(ctx._native.decrypt(ctx.secret_key, ct._native))
    return float(np.max(np.abs(got - ideal)))


def test_noise_bound_covers_the_model_error(small_data):
    """B from the throw-away key exceeds the real model ciphertext's worst coefficient
    error, for the model (six independent runs) and for every iteration of the history
    (three of them; 2 iterations, n = 2^14); and on average by the design margin.

    Statistics: log2(B / real) = log2 16 + (quarter-bit round-up) + the difference of two
    keys' worst-error logs, measured at mean 4.13 bits, std 0.55 (16 runs; the owner's
    note gives 0.4 bit per key, 0.57 for a difference). Per ciphertext, B >= 2x real is
    5.7 std out (false failure < 1e-8 each, 12 checks). The mean over six runs has std
    0.225 bit: >= 3.0 bits is 5 std below 4.13 (false failure < 3e-7). Review (mutation
    M11, NOISE_SAFETY 4: the 2x margin alone passed): the mean is then about 2.13 bits,
    3.9 std under 3.0 (missed with probability < 1e-4); the exact factor is pinned by
    the test below."""
    from pyppml.ml import train_encrypted

    X, y = small_data
    margins = []
    for run in range(6):
        owner = DataOwner(iterations=2, poly_degree=16384)
        dataset = owner.encrypt(X, y)
        model = train_encrypted(owner.public_context(), dataset, progress=False, record_history=True)
        ref_scaled = train_reference(owner._Z, owner.plan)
        bound = owner.estimate_noise_bound()
        real = _model_error(owner, model.weights, ref_scaled[-1])
        assert bound >= 2 * real, f"B = 2^{np.log2(bound):.2f} does not cover the error 2^{np.log2(real):.2f}"
        margins.append(np.log2(bound / real))
        if run >= 3:  # the history's own throw-away run: in three runs (time)
            continue
        bounds = owner.estimate_history_noise_bounds()
        assert len(bounds) == len(model.history) == len(ref_scaled) == 2
        for i, (b, ct, w) in enumerate(zip(bounds, model.history, ref_scaled)):
            err = _model_error(owner, ct, w)
            assert b >= 2 * err, f"iteration {i}: B = 2^{np.log2(b):.2f} does not cover the error 2^{np.log2(err):.2f}"
    assert np.mean(margins) >= 3.0, f"B / real error averages 2^{np.mean(margins):.2f} over six runs: {margins}"


def test_noise_bound_is_sixteen_times_the_throwaway_error(small_data, monkeypatch):
    """Review (mutation M11: NOISE_SAFETY 16 -> 4 passed every test). The documented rule
    (threat model section 3): B is the throw-away run's worst coefficient error times 16,
    rounded up to a quarter bit. The test catches each ciphertext the estimate measures
    (under the throw-away key), measures its worst error itself, and recomputes B; for
    the final model and for every iteration of the history. Deterministic."""
    import math

    from pyppml.ml import owner as owner_module

    seen = []
    real_error = owner_module._coefficient_error

    def spy(ctx, ct, slots):
        seen.append((ctx, ct, slots))
        return real_error(ctx, ct, slots)

    monkeypatch.setattr(owner_module, "_coefficient_error", spy)
    X, y = small_data
    owner = DataOwner(iterations=2, poly_degree=16384)
    owner.encrypt(X, y)
    bounds = [owner.estimate_noise_bound(), *owner.estimate_history_noise_bounds()]
    assert len(seen) == len(bounds) == 3
    for b, (ctx, ct, slots) in zip(bounds, seen):
        assert ctx is not owner.context and ctx.secret_key is not None  # the throw-away key
        ideal = ctx._native.decode_coefficients(ctx.encode(slots, scale=ct.scale, level=ct.level)._native)
        worst = float(np.max(np.abs(ctx._native.decode_coefficients(ctx._native.decrypt(ctx.secret_key, ct._native))
                                    - ideal)))
        assert worst > 1.0
        assert b == 2.0 ** (math.ceil(4 * math.log2(16 * worst)) / 4), (b, worst)


def test_release_refuses_a_model_of_another_shape(small_data):
    """A ciphertext at another level or scale than the plan's output is not covered by
    the estimated bound: refused."""
    X, y = small_data
    owner = DataOwner(iterations=1, scaling="none", poly_degree=16384)
    owner.encrypt(X, y)
    with pytest.raises(ValueError, match="not the plan's circuit output"):
        owner.release_model(_high_scale_model(owner, np.ones(X.shape[1] + 1)))


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


def test_data_owner_refuses_pickling(trained):
    """Review 2026-12-07: pickle.dumps(DataOwner) worked and carried the scaled training
    rows times their labels (_Z) and the scaler in the clear; only save() writes its
    state (no training row)."""
    owner, _ = trained
    with pytest.raises(TypeError, match="DataOwner: pickling is refused; it holds the training rows"):
        pickle.dumps(owner)
