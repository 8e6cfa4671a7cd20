"""What the audits accept as a model: anything that gives P(y = 1 | x).

- an object with ``predict_proba`` (scikit-learn classifiers, ``pyppml.ml.
  EncryptedLogisticRegression`` on its released coefficients, ``pyppml.dp.
  DPLogisticRegression``); the column of class 1 is found through ``classes_``;
- a callable ``f(X)`` returning P(y = 1) of shape (n,) or probabilities of shape (n, 2),
  e.g. ``lambda X: clf.predict_proba_encrypted(X)`` for encrypted scoring;
- ``LinearModel``: a bare weight vector, such as the federated models of ``pyppml demo``
  (weights on standardised features plus an intercept column)."""

from __future__ import annotations

import numpy as np

from pyppml.dp._checks import fail


class LinearModel:
    """Logistic model sigma(transform(X) @ coef + intercept) around released weights.

    Parameters
    ----------
    coef : array of shape (d,)
    intercept : float
    transform : callable, optional
        Applied to X first, e.g. a fitted ``StandardScaler().transform``.

    Examples
    --------
    The federated demo's model, w on standardised features with its intercept last:

    >>> import numpy as np
    >>> w = np.array([2.0, -1.0, 0.5])
    >>> model = LinearModel.from_augmented(w)
    >>> model.predict_proba(np.array([[0.0, 0.0]]))[:, 1].round(4).tolist()
    [0.6225]
    """

    def __init__(self, coef, intercept: float = 0.0, transform=None):
        coef = np.asarray(coef, dtype=np.float64).ravel()
        if coef.size == 0 or not np.all(np.isfinite(coef)):
            fail("LinearModel", "coef", "is empty or not finite", "a non-empty vector of finite weights",
                 f"{coef.size} weights")
        intercept = float(np.asarray(intercept, dtype=np.float64).ravel()[0]) if np.ndim(intercept) else float(intercept)
        if not np.isfinite(intercept):
            fail("LinearModel", "intercept", "is not finite", "a finite number", intercept)
        self.coef_ = coef.reshape(1, -1)
        self.intercept_ = np.array([intercept])
        self.classes_ = np.array([0, 1])
        self.transform = transform

    @classmethod
    def from_augmented(cls, w, transform=None) -> LinearModel:
        """Weights whose last entry multiplies a constant-1 column (``pyppml.fl`` models)."""
        w = np.asarray(w, dtype=np.float64).ravel()
        if w.size < 2:
            fail("LinearModel.from_augmented", "w", "is too short", "d weights and an intercept (size >= 2)", w.size)
        return cls(w[:-1], w[-1], transform)

    def decision_function(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if self.transform is not None:
            X = self.transform(X)
        if X.ndim != 2 or X.shape[1] != self.coef_.shape[1]:
            fail("LinearModel.decision_function", "X", "has the wrong shape", f"(n, {self.coef_.shape[1]})",
                 f"shape {X.shape}")
        return X @ self.coef_[0] + self.intercept_[0]

    def predict_proba(self, X) -> np.ndarray:
        z = self.decision_function(X)
        p = np.exp(-np.logaddexp(0.0, -z))  # sigmoid without overflow
        return np.stack([1.0 - p, p], axis=1)


def positive_probabilities(model, X: np.ndarray, api: str) -> np.ndarray:
    """P(y = 1) for each row of X, shape (n,), checked to be finite and in [0, 1]."""
    if hasattr(model, "predict_proba"):
        out = np.asarray(model.predict_proba(X), dtype=np.float64)
        classes = getattr(model, "classes_", None)
        if out.ndim == 2 and classes is not None:
            cols = np.flatnonzero(np.asarray(classes) == 1)
            if cols.size != 1 or out.shape[1] != len(classes):
                fail(api, "model", "has no class 1", "a classifier fitted on labels {0, 1}", f"classes {len(classes)}")
            out = out[:, cols[0]]
    elif callable(model):
        out = np.asarray(model(X), dtype=np.float64)
    else:
        fail(api, "model", "gives no probabilities", "an object with predict_proba or a callable X -> P(y=1)",
             type(model).__name__)
    if out.ndim == 2 and out.shape[1] == 2:
        out = out[:, 1]
    if out.shape != (X.shape[0],):
        fail(api, "model", "returned the wrong shape", f"({X.shape[0]},) or ({X.shape[0]}, 2)", f"shape {out.shape}")
    bad = int(np.count_nonzero(~np.isfinite(out) | (out < 0.0) | (out > 1.0)))
    if bad:
        fail(api, "model", "returned values that are not probabilities", "P(y=1) in [0, 1]", f"{bad} such values")
    return out


# Probabilities are clipped to [CLIP, 1 - CLIP] before a log or a logit: a memorising model
# outputs exactly 0 or 1, whose log-loss is infinite; the clip only merges scores below
# 1e-12, far past any threshold the audits choose.
CLIP = 1e-12


def log_label_probability(p1: np.ndarray, y: np.ndarray) -> np.ndarray:
    """log P(true label) (minus the cross-entropy loss), P clipped below at CLIP."""
    return np.log(np.maximum(np.where(y == 1, p1, 1.0 - p1), CLIP))


def label_logit(p1: np.ndarray, y: np.ndarray) -> np.ndarray:
    """log(p / (1 - p)) of p = P(true label) clipped to [CLIP, 1 - CLIP] (the scaled
    confidence of Carlini et al. 2022, nearly Gaussian across training runs)."""
    p = np.clip(np.where(y == 1, p1, 1.0 - p1), CLIP, 1.0 - CLIP)
    return np.log(p) - np.log1p(-p)
