"""Differentially private logistic regression with scikit-learn's interface.

Two methods, both on the project's CSPRNG:

* ``"sgd"`` (the default): DP-SGD (``pyppml.dp.sgd``) with per-example L2 clipping of
  the gradient, Poisson-subsampled batches, discrete Gaussian noise on the grid, and the
  noise multiplier calibrated so that the run spends exactly the target (epsilon, delta)
  under the chosen accountant (RDP or PLD, add/remove-one neighbours; or RDP with
  fixed-size batches and replace-one neighbours). Needs no bound on the data: the
  clipping bounds every example's influence.
* ``"objective"``: objective perturbation [Chaudhuri et al. 2011], pure epsilon-DP
  (delta = 0, replace-one neighbours), what diffprivlib uses. Needs a public bound
  ``data_norm`` on the rows' L2 norm; rows above it are scaled down to it.

``method="auto"`` is ``"sgd"``: on breast cancer and iDASH it is the more accurate of the
two at every epsilon in {0.5, 1, 2, 4, 8} (``pyppml bench dplr``). The choice does not
look at the data, so it costs no privacy.

Preprocessing that looks at the data (standardising with the data's mean and standard
deviation, or a data-derived ``data_norm``) is not covered by the guarantee: scale
features with public bounds.
"""

from __future__ import annotations

import math
import numbers
import sys
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from pyppml import ParameterError
from pyppml.dp._checks import fail, nonnegative_float, positive_float, positive_int, private_values, probability_open
from pyppml.dp.accountant import PrivacyAccountant
from pyppml.dp.calibration import calibrate_noise_multiplier
from pyppml.dp.clipping import clip_l2
from pyppml.dp.objective_perturbation import fit_objective_perturbation
from pyppml.dp.sgd import charge_steps, dp_sgd, sgd_schedule

METHODS = ("auto", "sgd", "objective")
API = "dp.DPLogisticRegression"


MAX_EPOCHS = 10_000


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(z / 2.0))


def _is_sparse(a) -> bool:
    sparse = sys.modules.get("scipy.sparse")   # no sparse matrix exists without it
    return sparse is not None and sparse.issparse(a)


def _schema_dtype(values):
    """The dtype a container declares (its public schema), None for a list."""
    dtype = getattr(values, "dtype", None)
    return dtype if isinstance(dtype, np.dtype) else None


def check_features(X, api: str, n_features: int | None = None) -> np.ndarray:
    """A finite 2-D float64 array; errors name the argument, never a value of it. Every
    bad entry (NaN, infinity, an int past the float range, a non-number) gives the same
    error: the refusal is a schema check the owner runs before anything is charged or
    released, and no kind of record is told apart from another by it. A sparse matrix
    and a complex dtype are refused on the container's type, never on its entries."""
    if _is_sparse(X):
        fail(api, "X", "is a sparse matrix (sparse input is not supported)", "a dense 2-D array (X.toarray())",
             type(X).__name__)
    dtype = _schema_dtype(X)
    if dtype is not None and dtype.kind == "c":
        fail(api, "X", "is complex (Complex data not supported)", "real numbers", str(dtype))
    arr, _ = private_values(api, X)
    if arr.ndim == 2 and arr.shape[0] > 0 and arr.shape[1] == 0:
        fail(api, "X", f"has 0 feature(s) (shape={arr.shape}) while a minimum of 1 is required",
             "a non-empty 2-D array (samples x features)", arr.shape)
    if arr.ndim == 1:
        fail(api, "X", "has the wrong shape (Reshape your data: X.reshape(-1, 1) for one feature, X.reshape(1, -1) "
             "for one sample)", "a 2-D array (samples x features)", arr.shape)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        fail(api, "X", "has the wrong shape", "a non-empty 2-D array (samples x features)", arr.shape)
    if not np.all(np.isfinite(arr)):
        fail(api, "X", "contains NaN or infinity", "finite features", "non-finite entries")
    if n_features is not None and arr.shape[1] != n_features:
        d = arr.shape[1]
        raise ParameterError(f"{api}: X has the wrong number of features; expected {n_features} features, got {d} (X "
                             f"has {d} features, but DPLogisticRegression is expecting {n_features} features as input)")
    return arr


def _finite(v) -> bool:
    try:
        return math.isfinite(v)
    except OverflowError:   # an int past the float range
        return False


def check_classes(classes, api: str) -> np.ndarray:
    """The public parameter ``classes``: two distinct numbers or two distinct strings,
    returned sorted (``classes_``). Public, so messages may quote it."""
    if isinstance(classes, (str, bytes)) or not isinstance(classes, (list, tuple, np.ndarray)):
        fail(api, "classes", "is not a pair of labels", "two distinct labels, e.g. (0, 1) or ('no', 'yes')", classes)
    values = list(classes.tolist() if isinstance(classes, np.ndarray) else classes)
    numbers_ = all(isinstance(v, (numbers.Real, np.bool_)) and _finite(v) for v in values)
    strings = all(isinstance(v, str) for v in values)
    if len(values) != 2 or not (numbers_ or strings) or values[0] == values[1]:
        fail(api, "classes", "is not a pair of labels", "two distinct finite numbers or two distinct strings",
             classes)
    if numbers_ and (float(values[0]) == float(values[1]) or any(float(v) != v for v in values)):
        # Labels are compared as float64: 2^53 and 2^53 + 1 would both code as one class.
        fail(api, "classes", "is not exactly representable as two distinct doubles",
             "numbers a float64 holds exactly", classes)
    if numbers_ and all(isinstance(v, (bool, np.bool_)) for v in values):
        return np.array(sorted(values), dtype=bool)
    return np.array(sorted(values))


def check_labels(y, n: int, api: str, classes=np.array([0, 1])) -> np.ndarray:
    """Codes 0/1 of ``y`` (1 for ``classes[1]``). ``classes`` is the public schema: it is
    never inferred from ``y``, and every entry outside it (another label, NaN, a number
    past the float range, a non-number) gives the same error, which counts them and
    quotes none."""
    if y is None:
        fail(api, "y", "is None (this estimator requires y to be passed, but the target y is None)",
             f"{n} labels in classes", None)
    if _is_sparse(y):
        fail(api, "y", "is a sparse matrix (sparse input is not supported)", f"a dense array of {n} labels",
             type(y).__name__)
    dtype = _schema_dtype(y)
    if dtype is not None and dtype.kind == "c":
        fail(api, "y", "is complex (Complex data not supported)", "labels in classes", str(dtype))
    if classes.dtype.kind == "U":
        try:
            cells = np.asarray(y, dtype=object)
        except (TypeError, ValueError):
            fail(api, "y", "is not an array of labels", f"{n} labels in classes", type(y).__name__)
        # A string is compared with a string only: no entry can make this raise.
        c0, c1 = str(classes[0]), str(classes[1])
        code = np.vectorize(lambda v: (1.0 if v == c1 else 0.0 if v == c0 else math.nan) if isinstance(v, str)
                            else math.nan, otypes=[np.float64])
        labels = code(cells).reshape(cells.shape) if cells.size else cells.astype(np.float64)
    else:
        values, _ = private_values(api, y)   # a bad entry is NaN: refused as outside classes
        c0, c1 = float(classes[0]), float(classes[1])
        labels = np.where(values == c1, 1.0, np.where(values == c0, 0.0, math.nan))
    if labels.ndim == 2 and labels.shape[1] == 1 and labels.shape[0] == n:
        from sklearn.exceptions import DataConversionWarning

        warnings.warn("A column-vector y was passed when a 1d array was expected. Please change the shape of y to "
                      "(n_samples, ), for example using ravel().", DataConversionWarning, stacklevel=3)
        labels = labels[:, 0]
    if labels.shape != (n,):
        fail(api, "y", "has the wrong shape", f"({n},) to match X", labels.shape)
    outside = int(np.count_nonzero(np.isnan(labels)))
    if outside:
        a, b = classes.tolist()
        raise ParameterError(
            f"{api}: y has labels other than {a!r} and {b!r}; expected labels in classes, the public label set (Only "
            f"binary classification is supported, on the classes given: a third class or a continuous target is "
            f"refused), got {outside} other values")
    return labels


def clip_rows(X: np.ndarray, bound: float) -> np.ndarray:
    """Rows scaled down to L2 norm <= bound (a public bound; rows inside are unchanged).
    ``clip_l2`` computes norms without overflow: a huge finite row keeps its direction,
    with no warning that would tell it is there."""
    return clip_l2(X, bound)


def _shared(acc: PrivacyAccountant) -> PrivacyAccountant:
    """A shared accountant this fit may charge: not a restored copy (scikit-learn's
    workers with n_jobs > 1 unpickle one per fit, and their charges never reach the
    caller's ledger)."""
    if acc.restored:
        fail(API, "accountant", "is a copy restored from a pickle (e.g. in a scikit-learn worker with n_jobs > 1), "
             "whose charges would not reach the original", "the caller's accountant in this process (n_jobs=None), "
             "or acc.resume() to adopt a loaded one", "a restored PrivacyAccountant")
    return acc


class DPLogisticRegression(ClassifierMixin, BaseEstimator):
    """Binary logistic regression trained with (epsilon, delta)-differential privacy.

    Parameters
    ----------
    epsilon : float, > 0
        Privacy budget of the whole fit.
    delta : float, in (0, 1)
        For ``"sgd"``; should be well below 1 / n (a warning-free default 1e-5). Ignored
        by ``"objective"``, which is pure epsilon-DP (``delta_`` is then 0).
    method : {"auto", "sgd", "objective"}
        See the module docstring; "auto" is "sgd".
    epochs : float or "auto"
        Passes over the data (DP-SGD); steps = ceil(epochs / sample_rate). "auto":
        min(50, max(10, 4 epsilon)): a larger budget buys less noise per step, so more
        steps pay off (chosen on the public budget, not on the data).
    batch_size : int
        Expected batch size (Poisson) or exact batch size (fixed); capped at n.
    clip : float
        L2 bound on each example's gradient (DP-SGD).
    learning_rate : float
        Step size on the mean clipped gradient (DP-SGD).
    alpha : float, >= 0
        L2 penalty (alpha / 2) ||w||^2. Objective perturbation needs one > 0 and uses
        ``max(alpha, 1 / sqrt(n))`` (weights of the scaled rows).
    data_norm : float, optional
        Public bound on the rows' L2 norm, required by ``"objective"``; with ``"sgd"``
        rows above it are scaled down to it (optional there).
    fit_intercept : bool
    sampling : {"poisson", "fixed"}
        Batch sampling of DP-SGD, see ``PrivacyAccountant``.
    accountant : {"rdp", "pld"} or PrivacyAccountant
        A method name (a fresh accountant per fit, kept as ``accountant_``) or an
        accountant shared with other releases, charged with this fit before any noise is
        drawn. ``"objective"`` is analysed for replace-one neighbours: a shared accountant
        must be ``PrivacyAccountant("rdp", sampling="fixed")``.
    classes : pair of labels, default (0, 1)
        The two labels ``y`` may take (numbers or strings), part of the public schema like
        the feature count. They are never inferred from ``y``: a label that appears in one
        record only would change ``classes_`` and so reveal that record, which no noise
        covers. ``classes_`` is ``classes`` sorted; ``y`` taking another value is a
        ``ValueError`` that counts such entries and quotes none.

    Attributes
    ----------
    coef_ : array (1, n_features)
    intercept_ : array (1,)
    classes_ : array (2,)
        ``classes`` sorted; ``predict`` returns them, ``predict_proba``'s columns follow
        them and ``decision_function`` > 0 means ``classes_[1]``.
    epsilon_, delta_ : float
        Privacy spent by the fit (for "sgd": the accountant's epsilon at ``delta`` for
        this fit's steps; <= epsilon).
    noise_multiplier_ : float
        Noise std / sensitivity of every DP-SGD step (None for "objective").
    n_iter_ : int
        DP-SGD steps (0 for "objective").
    method_ : str
        The method used.
    accountant_ : PrivacyAccountant

    Raises
    ------
    ValueError (pyppml.ParameterError)
        Bad parameters (at fit), non-finite, complex or sparse features, labels outside
        ``classes``, a feature count that does not match at predict time.
    sklearn.exceptions.NotFittedError (a ValueError)
        ``predict``, ``predict_proba`` or ``decision_function`` before ``fit``.

    Notes
    -----
    ``fit`` draws fresh noise from an OS-keyed stream each time, so two fits on the same
    data differ (scikit-learn's ``check_fit_idempotent`` fails by design; the estimator
    declares itself ``non_deterministic``).

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> from pyppml.dp import DPLogisticRegression
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)   # not private: use public bounds in practice
    >>> model = DPLogisticRegression(epsilon=1.0, delta=1e-5).fit(X, y)
    >>> bool(model.epsilon_ <= 1.0 and model.score(X, y) > 0.85)
    True
    """

    def __init__(self, epsilon=1.0, delta=1e-5, *, method="auto", epochs="auto", batch_size=64, clip=1.0,
                 learning_rate=1.0, alpha=0.0, data_norm=None, fit_intercept=True, sampling="poisson",
                 accountant="rdp", classes=(0, 1)):
        self.epsilon = epsilon
        self.delta = delta
        self.method = method
        self.epochs = epochs
        self.batch_size = batch_size
        self.clip = clip
        self.learning_rate = learning_rate
        self.alpha = alpha
        self.data_norm = data_norm
        self.fit_intercept = fit_intercept
        self.sampling = sampling
        self.accountant = accountant
        self.classes = classes

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False   # binary only
        tags.non_deterministic = True              # fresh DP noise at every fit
        return tags

    # -- parameters --------------------------------------------------------------------
    def _checked_params(self) -> dict:
        api = API
        p = {"epsilon": positive_float(api, "epsilon", self.epsilon)}
        if self.method not in METHODS:
            fail(api, "method", "is unknown", " or ".join(repr(m) for m in METHODS), self.method)
        p["method"] = "sgd" if self.method == "auto" else self.method
        p["delta"] = probability_open(api, "delta", self.delta) if p["method"] == "sgd" else 0.0
        if self.epochs == "auto":
            p["epochs"] = min(50.0, max(10.0, 4.0 * p["epsilon"]))
        else:
            p["epochs"] = positive_float(api, "epochs", self.epochs)
            if p["epochs"] > MAX_EPOCHS:  # a typo (1e9) would run for days
                fail(api, "epochs", "is too large", f"0 < epochs <= {MAX_EPOCHS}", self.epochs)
        positive_int(api, "batch_size", self.batch_size)
        p["clip"] = positive_float(api, "clip", self.clip)
        p["learning_rate"] = positive_float(api, "learning_rate", self.learning_rate)
        p["alpha"] = nonnegative_float(api, "alpha", self.alpha)
        p["data_norm"] = None if self.data_norm is None else positive_float(api, "data_norm", self.data_norm)
        if p["method"] == "objective" and p["data_norm"] is None:
            fail(api, "data_norm", "is required by method='objective'", "a public bound on the rows' L2 norm", None)
        if self.sampling not in ("poisson", "fixed"):
            fail(api, "sampling", "is unknown", "'poisson' or 'fixed'", self.sampling)
        if not (isinstance(self.accountant, PrivacyAccountant) or self.accountant in ("rdp", "pld")):
            fail(api, "accountant", "is not an accountant", "'rdp', 'pld' or a PrivacyAccountant", self.accountant)
        return p

    # -- fitting -----------------------------------------------------------------------
    def fit(self, X, y, *, prng=None):
        """Train with the configured privacy budget.

        ``prng`` (a seeded ``pyppml._core.Prng``) is for reproducible tests only: by
        default every batch and every noise draw comes from a fresh OS-keyed stream.
        """
        p = self._checked_params()
        classes = check_classes(self.classes, API)
        X = check_features(X, API)
        y = check_labels(y, len(X), API, classes)
        n, d = X.shape
        if p["data_norm"] is not None:
            X = clip_rows(X, p["data_norm"])
        self.method_ = p["method"]
        if p["method"] == "sgd":
            w = self._fit_sgd(X, y, p, prng)
        else:
            w = self._fit_objective(X, y, p, prng)
        self.coef_ = w[None, :d].copy()
        self.intercept_ = np.array([w[d] if self.fit_intercept else 0.0])
        self.classes_ = classes
        self.n_features_in_ = d
        return self

    def _design(self, X: np.ndarray) -> np.ndarray:
        return np.hstack([X, np.ones((len(X), 1))]) if self.fit_intercept else X

    def _fit_sgd(self, X, y, p, prng) -> np.ndarray:
        n = len(X)
        Xb = self._design(X)
        batch = min(int(self.batch_size), n)
        q, steps = sgd_schedule(n, p["epochs"], batch)
        if isinstance(self.accountant, PrivacyAccountant):
            acc = _shared(self.accountant)
            if acc.sampling != self.sampling:
                fail(API, "accountant", "samples batches differently", f"sampling={self.sampling!r}", acc.sampling)
            method = acc.method
        else:
            method = self.accountant
            acc = PrivacyAccountant(method, sampling=self.sampling)
        if self.sampling == "poisson":
            nm = calibrate_noise_multiplier(p["epsilon"], p["delta"], steps, q, method=method)
        else:
            nm = calibrate_noise_multiplier(p["epsilon"], p["delta"], steps, method=method, sampling="fixed",
                                            dataset_size=n, batch_size=batch)
        fit_spent = PrivacyAccountant(method, sampling=self.sampling)

        def grads(w, idx):
            rows = Xb[idx]
            # An extreme record may overflow here: dp_sgd counts its gradient as zero, and
            # no warning may tell that it was sampled.
            with np.errstate(over="ignore", invalid="ignore"):
                return (_sigmoid(rows @ w) - y[idx])[:, None] * rows

        for accountant in (fit_spent, acc):
            charge_steps(accountant, nm, steps, n, batch, self.sampling)
        w = dp_sgd(grads, np.zeros(Xb.shape[1]), n, steps=steps, batch_size=batch, clip=p["clip"],
                   noise_multiplier=nm, learning_rate=p["learning_rate"], l2_penalty=p["alpha"],
                   sampling=self.sampling, prng=prng)
        self.noise_multiplier_ = nm
        self.n_iter_ = steps
        self.epsilon_ = fit_spent.get_epsilon(p["delta"])
        self.delta_ = p["delta"]
        self.accountant_ = acc
        return w if self.fit_intercept else np.append(w, 0.0)

    def _fit_objective(self, X, y, p, prng) -> np.ndarray:
        n = len(X)
        # Objective perturbation is epsilon-DP for replace-one neighbours with n public
        # (Chaudhuri et al. 2011): the accountant is charged before the noise is drawn, and
        # a shared one analysed for add/remove-one neighbours is refused (n moves lambda
        # and the b / n term, which that analysis does not cover).
        if isinstance(self.accountant, PrivacyAccountant):
            acc = _shared(self.accountant)
            if acc.relation != "replace_one":
                fail(API, "accountant", "counts add/remove-one neighbours, which objective perturbation's analysis "
                     "does not cover", "PrivacyAccountant('rdp', sampling='fixed') (replace one)", acc.relation)
        else:
            acc = PrivacyAccountant("rdp", sampling="fixed")
        acc.record_epsilon_delta(p["epsilon"], 0.0, mechanism=f"{API}(objective)")
        # Rows into the unit ball: features / data_norm, then the intercept column, / sqrt(2).
        scale = math.sqrt(2.0) if self.fit_intercept else 1.0
        Z = self._design(X / p["data_norm"]) / scale
        lam = max(p["alpha"], 1.0 / math.sqrt(n))
        v = fit_objective_perturbation(Z, 2.0 * y - 1.0, p["epsilon"], lam, prng=prng)
        w = v / scale
        w[: X.shape[1]] /= p["data_norm"]
        self.noise_multiplier_ = None
        self.n_iter_ = 0
        self.epsilon_ = p["epsilon"]
        self.delta_ = 0.0
        self.accountant_ = acc
        return w if self.fit_intercept else np.append(w, 0.0)

    # -- prediction --------------------------------------------------------------------
    def _check_fitted(self, api: str) -> None:
        if not hasattr(self, "coef_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(f"{api}: the model is not fitted; call fit(X, y) first")

    def decision_function(self, X) -> np.ndarray:
        self._check_fitted(f"{API}.decision_function")
        X = check_features(X, f"{API}.decision_function", self.n_features_in_)
        return X @ self.coef_[0] + self.intercept_[0]

    def predict_proba(self, X) -> np.ndarray:
        """Shape (n, 2): P(classes_[0]) and P(classes_[1])."""
        self._check_fitted(f"{API}.predict_proba")
        p = _sigmoid(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X) -> np.ndarray:
        """The label of ``classes_`` of each row (``classes_[1]`` where the score is > 0)."""
        self._check_fitted(f"{API}.predict")
        positive = self.decision_function(X) > 0
        return self.classes_[positive.astype(np.intp)]

    def predict_proba_encrypted(self, X, encrypt_weights: bool = False, poly_degree: int = 8192,
                                output: str = "score_flooded", bits_of_precision: float = 10.0) -> np.ndarray:
        """P(y = 1) for records encrypted under CKKS and scored homomorphically with this
        model (optionally encrypted too): serving a DP model with ``pyppml.ml``'s
        encrypted inference. Arguments as in
        ``pyppml.ml.EncryptedLogisticRegression.predict_proba_encrypted``."""
        from pyppml.ml.inference import serve_encrypted

        self._check_fitted(f"{API}.predict_proba_encrypted")
        X = check_features(X, f"{API}.predict_proba_encrypted", self.n_features_in_)
        return serve_encrypted(X, self.coef_[0], self.intercept_[0], encrypt_weights=encrypt_weights,
                               poly_degree=poly_degree, output=output, bits_of_precision=bits_of_precision)
