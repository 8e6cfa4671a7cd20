"""Bytes of a fitted ``EncryptedLogisticRegression``: its constructor parameters and its
released attributes (``logistic.RELEASED_ATTRIBUTES``), nothing else: no key, no data
owner, no training row. Floats are stored as JSON numbers, which round-trip exactly.

Loading checks every field (names, types, shapes, finiteness, the plan) and refuses
anything else with ``pyppml.FormatError``."""

from __future__ import annotations

import dataclasses
import math
import numbers

import numpy as np

from pyppml._core import FormatError
from pyppml.ml import container
from pyppml.ml.plan import TrainingPlan

KIND = "LOGREG"
_API_LOAD = "EncryptedLogisticRegression.from_bytes"
_PARAMS = {"method": str, "iterations": (int, str), "sigmoid_degree": (int, str), "sigmoid_bound": (int, float, str),
           "sigmoid_method": str, "scaling": str, "shrinkage": (int, float), "poly_degree": int, "progress": bool,
           "record_history": bool, "bootstrapping": (bool, str), "security": (int, type(None))}
# Parameters added after format 1.0 shipped: files without them load with these values.
_LATER_PARAMS = {"bootstrapping": "auto", "security": 128}
_NUMBER_DICTS = ("encryption_params_", "timings_", "release_", "bytes_")


def _floats(values) -> list[float]:
    return [float(v) for v in np.asarray(values, dtype=np.float64).ravel()]


def model_to_bytes(model, released: tuple) -> bytes:
    """The container of a fitted model (see the module docstring)."""
    attrs = {
        "coef_": _floats(model.coef_),
        "intercept_": _floats(model.intercept_),
        "history_": [[_floats(c), float(b)] for c, b in model.history_],
        "classes_": _classes_field(model.classes_),
        "n_features_in_": int(model.n_features_in_),
        "n_iter_": int(model.n_iter_),
        "plan_": dataclasses.asdict(model.plan_),
        "security_": None if model.security_ is None else int(model.security_),
    }
    for name in _NUMBER_DICTS:
        attrs[name] = {str(k): v for k, v in getattr(model, name).items()}
    missing = set(released) - set(attrs)
    if missing:   # a new released attribute needs a field here (and a format version)
        raise RuntimeError(f"model_to_bytes: attributes without a field; expected none, got {sorted(missing)}")
    return container.pack(KIND, {"params": model.get_params(), "attributes": attrs})


def _classes_field(classes) -> list:
    """classes_ as JSON values of one type: ints, bools, strings or floats (which round-trip
    exactly)."""
    arr = np.asarray(classes)
    if arr.dtype.kind == "b":
        return [bool(c) for c in arr]
    if arr.dtype.kind in "iu":
        return [int(c) for c in arr]
    if arr.dtype.kind == "f":
        return [float(c) for c in arr]
    if arr.dtype.kind == "U":
        return [str(c) for c in arr]
    raise RuntimeError(f"model_to_bytes: classes_ has no field type; expected ints, bools, floats or strings, got {arr.dtype}")


def _classes(value) -> np.ndarray:
    """Two distinct labels of one type, sorted, as ``fit`` stores them (files written
    before labels other than 0/1 were taken hold [0, 1], which passes)."""
    kinds = ((bool, lambda v: isinstance(v, bool), bool),
             (int, lambda v: isinstance(v, int) and not isinstance(v, bool), np.int64),
             (float, lambda v: isinstance(v, float) and math.isfinite(v), np.float64),
             (str, lambda v: isinstance(v, str), str))
    if isinstance(value, list) and len(value) == 2:
        for _, ok, dtype in kinds:
            if all(ok(v) for v in value):
                if dtype is np.int64 and not all(-2**63 <= v < 2**63 for v in value):
                    break
                if value[0] < value[1]:
                    return np.array(value, dtype=dtype)
                break
    got = type(value).__name__ if not isinstance(value, list) else f"a list of {len(value)}"
    raise _fail("invalid classes_", "two distinct labels of one type (ints, bools, floats or strings), sorted", got)


def _fail(problem: str, expected: str, got) -> FormatError:
    return FormatError(f"{_API_LOAD}: data has {problem}; expected {expected}, got {got}")


def _vector(value, name: str, size: int | None = None) -> np.ndarray:
    if not isinstance(value, list) or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value):
        raise _fail(f"an invalid {name}", "a list of numbers", type(value).__name__)
    arr = np.asarray(value, dtype=np.float64)
    if size is not None and len(arr) != size:
        raise _fail(f"a {name} of the wrong length", str(size), len(arr))
    if not np.all(np.isfinite(arr)):
        raise _fail(f"a non-finite {name}", "finite numbers", "NaN or infinity")
    return arr


def _number_dict(value, name: str) -> dict:
    if not isinstance(value, dict):
        raise _fail(f"an invalid {name}", "an object", type(value).__name__)
    for k, v in value.items():
        if v is not None and (isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v)):
            raise _fail(f"an invalid {name}[{k!r}]", "a finite number or null", type(v).__name__)
    return dict(value)


def _plan(value) -> TrainingPlan:
    return TrainingPlan.from_dict(value, _API_LOAD, "plan_")


def model_from_bytes(cls, data):
    """A fitted ``cls`` from ``model_to_bytes`` output."""
    header, parts = container.unpack(data, KIND, _API_LOAD)
    if parts or set(header) != {"params", "attributes"}:
        raise _fail("an unexpected layout", "'params' and 'attributes' and no binary part", sorted(header))
    params, attrs = header["params"], header["attributes"]
    if not isinstance(params, dict) or not set(_PARAMS) - set(_LATER_PARAMS) <= set(params) <= set(_PARAMS):
        raise _fail("invalid parameters", f"exactly {sorted(_PARAMS)}", sorted(params) if isinstance(params, dict) else params)
    params = {**_LATER_PARAMS, **params}
    for name, types in _PARAMS.items():
        allowed = types if isinstance(types, tuple) else (types,)
        if not isinstance(params[name], types) or (isinstance(params[name], bool) and bool not in allowed):
            raise _fail(f"an invalid parameter {name!r}", str(types), type(params[name]).__name__)
    from pyppml.ml.logistic import RELEASED_ATTRIBUTES

    if not isinstance(attrs, dict) or set(attrs) != set(RELEASED_ATTRIBUTES):
        raise _fail("invalid attributes", f"exactly {sorted(RELEASED_ATTRIBUTES)}",
                    sorted(attrs) if isinstance(attrs, dict) else type(attrs).__name__)
    d = attrs["n_features_in_"]
    if isinstance(d, bool) or not isinstance(d, int) or d < 1:
        raise _fail("an invalid n_features_in_", "an integer >= 1", d)
    model = cls(**params)
    model.coef_ = _vector(attrs["coef_"], "coef_", d).reshape(1, d)
    model.intercept_ = _vector(attrs["intercept_"], "intercept_", 1)
    model.classes_ = _classes(attrs["classes_"])
    model.n_features_in_ = d
    its = attrs["n_iter_"]
    if isinstance(its, bool) or not isinstance(its, int) or its < 0:
        raise _fail("an invalid n_iter_", "an integer >= 0", its)
    model.n_iter_ = its
    history = attrs["history_"]
    if not isinstance(history, list) or not all(isinstance(h, list) and len(h) == 2 for h in history):
        raise _fail("an invalid history_", "a list of [coef, intercept] pairs", type(history).__name__)
    model.history_ = [(_vector(c, "history_ coef", d), float(_vector([b], "history_ intercept")[0])) for c, b in history]
    model.plan_ = _plan(attrs["plan_"])
    sec = attrs["security_"]
    if sec is not None and (isinstance(sec, bool) or not isinstance(sec, int)):
        raise _fail("an invalid security_", "an integer or null", type(sec).__name__)
    model.security_ = sec
    for name in _NUMBER_DICTS:
        setattr(model, name, _number_dict(attrs[name], name))
    return model
