"""Input checks at the public boundary of pyppml.ml: every problem is a ValueError that
names the argument, the constraint and what was given."""

from __future__ import annotations

import numbers
import sys
import warnings

import numpy as np


def _is_sparse(a) -> bool:
    sparse = sys.modules.get("scipy.sparse")   # no sparse matrix exists without it
    return sparse is not None and sparse.issparse(a)


def check_X(X, api: str, n_features: int | None = None) -> np.ndarray:
    if _is_sparse(X):
        raise ValueError(f"{api}: X is a sparse matrix (sparse input is not supported); expected a dense 2-D array "
                         f"(X.toarray()), got {type(X).__name__}")
    try:
        raw = np.asarray(X)
        complex_ = raw.dtype.kind == "c"
        arr = None if complex_ else raw.astype(np.float64, copy=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{api}: X is not numeric; expected a 2-D array of finite numbers, got {type(X).__name__}") from exc
    if complex_:
        # Dropping the imaginary part would train on (or score) other data than the caller's.
        raise ValueError(f"{api}: X is complex (Complex data not supported); expected real numbers, got {raw.dtype}")
    if arr.ndim == 2 and arr.shape[0] > 0 and arr.shape[1] == 0:
        raise ValueError(f"{api}: X has 0 feature(s) (shape={arr.shape}) while a minimum of 1 is required; expected a "
                         f"non-empty 2-D array (samples x features), got shape {arr.shape}")
    if arr.ndim == 1:
        raise ValueError(f"{api}: X has the wrong shape (Reshape your data: X.reshape(-1, 1) for one feature, "
                         f"X.reshape(1, -1) for one sample); expected a 2-D array (samples x features), got shape {arr.shape}")
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{api}: X has the wrong shape; expected a non-empty 2-D array (samples x features), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(f"{api}: X contains NaN or infinity; expected finite numbers, got {bad} non-finite values")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(f"{api}: X has the wrong number of features; expected {n_features}, got {arr.shape[1]} (X has "
                         f"{arr.shape[1]} features, but {api.split('.')[0]} is expecting {n_features} features as input)")
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


def check_binary_labels(y, n: int, api: str) -> tuple[np.ndarray, np.ndarray]:
    """``(classes, codes)`` of the labels of an estimator trained on the owner's own data:
    ``classes`` the two distinct labels sorted (ints, floats with integer values, bools or
    strings, as scikit-learn's ``LogisticRegression`` takes them), ``codes`` float 0/1
    (1 for ``classes[1]``), what ``DataOwner.encrypt`` takes. Labels are private: every
    message counts them and never quotes one."""
    if y is None:
        raise ValueError(f"{api}: y is None; expected {n} labels (this estimator requires y to be passed, but the "
                         "target y is None), got None")
    if _is_sparse(y):
        raise ValueError(f"{api}: y is a sparse matrix (sparse input is not supported); expected a dense array of "
                         f"{n} labels, got {type(y).__name__}")
    try:
        arr = np.asarray(y)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{api}: y is not an array of labels; expected {n} labels, got {type(y).__name__}") from exc
    if arr.ndim == 2 and arr.shape[1] == 1 and arr.shape[0] == n:
        warnings.warn("A column-vector y was passed when a 1d array was expected. Please change the shape of y to "
                      "(n_samples, ), for example using ravel().", _data_conversion_warning(), stacklevel=3)
        arr = arr[:, 0]
    if arr.ndim != 1 or len(arr) != n:
        raise ValueError(f"{api}: y has the wrong shape; expected ({n},) to match X, got {arr.shape}")
    if arr.dtype.kind == "O":
        arr = _object_labels(arr, api)
    kind = arr.dtype.kind
    if kind == "c":
        raise ValueError(f"{api}: y is complex (Complex data not supported); expected class labels, got {arr.dtype}")
    if kind == "f":
        finite = np.isfinite(arr)
        if not np.all(finite):
            raise ValueError(f"{api}: y contains NaN or infinity; expected class labels, got "
                             f"{int(np.count_nonzero(~finite))} non-finite values")
        fractional = arr != np.round(arr)
        if np.any(fractional):
            # As scikit-learn: a float label with a fraction is a regression target.
            raise ValueError(f"{api}: y has non-integer labels (a continuous target); expected two class labels "
                             f"(integers, strings or booleans), got {int(np.count_nonzero(fractional))} other values")
    elif kind not in "biuU":
        raise ValueError(f"{api}: y has labels of an unsupported type; expected integers, strings or booleans, got "
                         f"dtype {arr.dtype}")
    if kind == "u" and arr.dtype.itemsize == 8 and np.any(arr > np.iinfo(np.int64).max):
        # classes_ is saved as JSON integers read back as int64: such a label would not reload.
        raise ValueError(f"{api}: y has integer labels past the int64 range; expected labels below 2^63, got "
                         f"{int(np.count_nonzero(arr > np.iinfo(np.int64).max))} other values")
    classes, codes = np.unique(arr, return_inverse=True)
    if len(classes) > 2:
        raise ValueError(f"{api}: y has more than two classes (Only binary classification is supported); expected "
                         f"2 distinct labels, got {len(classes)}")
    if len(classes) < 2:
        raise ValueError(f"{api}: y has a single class; expected two distinct labels, got one class only")
    return classes, codes.reshape(-1).astype(np.float64)


def _object_labels(arr: np.ndarray, api: str) -> np.ndarray:
    """An object array of labels as a typed array: all strings, all integers (bools
    included) or all real numbers; anything else is refused by type name only."""
    cells = arr.tolist()
    if all(isinstance(v, str) for v in cells):
        return np.array(cells, dtype=str)
    if all(isinstance(v, numbers.Integral) for v in cells):
        if all(isinstance(v, (bool, np.bool_)) for v in cells):
            return np.array(cells, dtype=bool)
        try:
            return np.array(cells, dtype=np.int64)
        except OverflowError:  # as a float it would come back from predict as another type
            raise ValueError(f"{api}: y has integer labels past the int64 range; expected labels in [-2^63, 2^63), "
                             "got larger ones") from None
    if all(isinstance(v, numbers.Real) for v in cells):
        return np.array(cells, dtype=np.float64)
    types = sorted({type(v).__name__ for v in cells})
    raise ValueError(f"{api}: y has labels of mixed or unsupported types; expected all integers, all strings or all "
                     f"booleans, got types {types}")


def _data_conversion_warning():
    from sklearn.exceptions import DataConversionWarning

    return DataConversionWarning
