"""Input checks at the public boundary of pyppml.ml: every problem is a ValueError that
names the argument, the constraint and what was given."""

from __future__ import annotations

import numpy as np


def check_X(X, api: str, n_features: int | None = None) -> np.ndarray:
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{api}: X is not numeric; expected a 2-D array of finite numbers, got {type(X).__name__}") from exc
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{api}: X has the wrong shape; expected a non-empty 2-D array (samples x features), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(f"{api}: X contains NaN or infinity; expected finite numbers, got {bad} non-finite values")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(f"{api}: X has the wrong number of features; expected {n_features}, got {arr.shape[1]}")
    return arr


def check_Xy(X, y, api: str) -> tuple[np.ndarray, np.ndarray]:
    X = check_X(X, api)
    try:
        labels = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{api}: y is not numeric; expected labels 0 or 1, got {type(y).__name__}") from exc
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1 or len(labels) != len(X):
        raise ValueError(f"{api}: y has the wrong shape; expected ({len(X)},) to match X, got {labels.shape}")
    if not np.all(np.isfinite(labels)):
        raise ValueError(f"{api}: y contains NaN or infinity; expected labels 0 or 1, got non-finite values")
    values = np.unique(labels)
    if not np.all(np.isin(values, (0.0, 1.0))):
        # Labels are private data: the message counts them, never quotes one.
        raise ValueError(f"{api}: y has labels other than 0 and 1; expected binary labels 0/1, got "
                         f"{int(np.count_nonzero(~np.isin(labels, (0.0, 1.0))))} other values")
    if len(values) < 2:
        raise ValueError(f"{api}: y has a single class; expected both labels 0 and 1, got one class only")
    return X, labels
