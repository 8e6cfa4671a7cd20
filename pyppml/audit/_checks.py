"""Argument checks of pyppml.audit: one-line ``pyppml.ParameterError`` (a ValueError)
messages "<api>: <argument> <problem>; expected <constraint>, got <value>" that never
quote a private feature or label value, only shapes and counts."""

from __future__ import annotations

import math
import numbers

import numpy as np

from pyppml.dp._checks import fail


def records(api: str, X, y, x_name: str, y_name: str, n_features: int | None = None,
            min_records: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) as float64 (n, d) and int64 (n,) arrays: n >= min_records, finite features,
    labels in {0, 1}."""
    try:
        X = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        fail(api, x_name, "is not numeric", "a 2-D array of finite numbers", type(X).__name__)
    if X.ndim != 2 or X.shape[1] == 0:
        fail(api, x_name, "has the wrong shape", "a 2-D array (records x features)", f"shape {X.shape}")
    if X.shape[0] < min_records:
        fail(api, x_name, "has too few records", f"at least {min_records}", X.shape[0])
    if n_features is not None and X.shape[1] != n_features:
        fail(api, x_name, "has the wrong number of features", f"{n_features} like the members", X.shape[1])
    bad = int(np.count_nonzero(~np.isfinite(X)))
    if bad:
        fail(api, x_name, "contains NaN or infinity", "finite features", f"{bad} non-finite entries")
    try:
        labels = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        fail(api, y_name, "is not numeric", "labels 0 or 1", type(y).__name__)
    if labels.ndim != 1 or labels.shape[0] != X.shape[0]:
        fail(api, y_name, "has the wrong shape", f"({X.shape[0]},) to match {x_name}", f"shape {labels.shape}")
    outside = int(np.count_nonzero((labels != 0.0) & (labels != 1.0)))
    if outside:
        fail(api, y_name, "has labels outside {0, 1}", "binary labels 0 or 1", f"{outside} such labels")
    return X, labels.astype(np.int64)


def scores(api: str, values, name: str) -> np.ndarray:
    """A non-empty 1-D array of finite attack scores."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        fail(api, name, "is not numeric", "a 1-D array of finite scores", type(values).__name__)
    if arr.ndim != 1 or arr.shape[0] == 0:
        fail(api, name, "has the wrong shape", "a non-empty 1-D array", f"shape {arr.shape}")
    bad = int(np.count_nonzero(~np.isfinite(arr)))
    if bad:
        fail(api, name, "contains NaN or infinity", "finite scores", f"{bad} non-finite entries")
    return arr


def _real(api: str, name: str, value, expected: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        fail(api, name, "is not a finite real number", expected, value)
    return float(value)


def delta(api: str, value) -> float:
    v = _real(api, "delta", value, "0 <= delta < 1")
    if not 0.0 <= v < 1.0:
        fail(api, "delta", "is outside [0, 1)", "0 <= delta < 1", value)
    return v


def open_unit(api: str, name: str, value) -> float:
    """A real in the open interval (0, 1): a confidence, a false-positive rate, a fraction."""
    v = _real(api, name, value, f"0 < {name} < 1")
    if not 0.0 < v < 1.0:
        fail(api, name, "is outside (0, 1)", f"0 < {name} < 1", value)
    return v


def fprs(api: str, values) -> tuple[float, ...]:
    try:
        items = tuple(values)
    except TypeError:
        fail(api, "fprs", "is not a sequence", "false-positive rates in (0, 1)", type(values).__name__)
    if not items:
        fail(api, "fprs", "is empty", "at least one rate in (0, 1)", "()")
    return tuple(open_unit(api, "fprs", v) for v in items)


def count(api: str, name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        fail(api, name, "is not an integer", f"an int >= {minimum}", value)
    if value < minimum:
        fail(api, name, "is too small", f"{name} >= {minimum}", value)
    return int(value)


def attack_options(api: str, delta_, confidence, rates, calibration_fraction) -> None:
    """The options every attack passes on to ``audit_scores``, checked under its own name."""
    delta(api, delta_)
    open_unit(api, "confidence", confidence)
    fprs(api, rates)
    open_unit(api, "calibration_fraction", calibration_fraction)
