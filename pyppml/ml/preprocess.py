"""Data owner's feature scaling before encryption, and its fold-back into the model.

Logistic regression is trained on x' = (x - mean) @ A; a model (w', b') there is the
model w = A w', b = b' - mean . (A w') on the raw features. ``"whiten"`` takes
A = D^-1 V diag((1 - s) lambda + s)^-1/2 V^T on the standardized covariance V diag(lambda) V^T
(shrinkage s), so that X'^T X' / n is close to the identity: the Hessian bound of
Boehning (1992), X^T X / 4, becomes a constant and a fixed-Hessian Newton step is a
plain step of 4 (Bonte, Vercauteren 2018 simplify the same bound to its diagonal).
``"standard"`` takes A = D^-1 (per-feature standard deviations)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class FeatureScaler:
    """An affine map x -> (x - mean) @ matrix fitted on the owner's data."""

    mean: np.ndarray
    matrix: np.ndarray

    @classmethod
    def fit(cls, X: np.ndarray, kind: str = "whiten", shrinkage: float = 0.1) -> FeatureScaler:
        X = np.asarray(X, dtype=np.float64)
        # Statistics of X / max|x_j|, scaled back: X^2 overflowed to inf at |x| ~ 1e154
        # (the feature then scaled by 0), and a fixed 1e-12 floor took features of
        # |x| ~ 1e-300 for constants. Constant: no spread relative to the feature's size.
        size = np.max(np.abs(X), axis=0)
        size[size == 0] = 1.0
        unit = X / size
        mean = unit.mean(axis=0) * size
        std = unit.std(axis=0) * size
        std[std <= 1e-12 * np.maximum(np.abs(mean), np.finfo(np.float64).tiny)] = 1.0
        if kind == "standard":
            return cls(mean, np.diag(1.0 / std))
        if kind == "none":
            return cls(np.zeros(X.shape[1]), np.eye(X.shape[1]))
        if kind != "whiten":
            raise ValueError(f"FeatureScaler: kind is unknown; expected 'whiten', 'standard' or 'none', got {kind!r}")
        if not 0.0 <= shrinkage <= 1.0:
            raise ValueError(f"FeatureScaler: shrinkage is out of range; expected 0 <= shrinkage <= 1, got {shrinkage}")
        Xs = (X - mean) / std
        cov = Xs.T @ Xs / len(Xs)
        ev, V = np.linalg.eigh(cov)
        ev = np.maximum(ev, 1e-9 * max(ev.max(), 1e-12))
        ev = (1.0 - shrinkage) * ev + shrinkage
        return cls(mean, (V * ev ** -0.5) @ V.T / std[:, None])

    def transform(self, X: np.ndarray) -> np.ndarray:
        return (np.asarray(X, dtype=np.float64) - self.mean) @ self.matrix

    def fold(self, w_scaled: np.ndarray, b_scaled: float) -> tuple[np.ndarray, float]:
        """Model on scaled features -> the same model on raw features."""
        w = self.matrix @ np.asarray(w_scaled, dtype=np.float64)
        return w, float(b_scaled - self.mean @ w)
