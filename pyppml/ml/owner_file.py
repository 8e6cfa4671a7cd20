"""The bytes of ``DataOwner.save``: the owner's secret context (``keys``), its plan,
packing and scaling, the public facts of its releases and its measured noise bounds.
Never the training rows or labels (a loaded owner cannot re-measure a noise bound)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from pyppml._core import FormatError
from pyppml.ml import container
from pyppml.ml.keys import secret_context_from_bytes, secret_context_to_bytes
from pyppml.ml.packing import RowPacking
from pyppml.ml.plan import TrainingPlan
from pyppml.ml.preprocess import FeatureScaler

KIND = "DATAOWNR"
_API = "DataOwner.load"
_SETTINGS = ("method", "iterations", "sigmoid_degree", "sigmoid_bound", "sigmoid_method", "scaling", "shrinkage",
             "poly_degree")


def owner_to_bytes(owner) -> bytes:
    header = {
        "settings": {name: getattr(owner, name) for name in _SETTINGS},
        "plan": dataclasses.asdict(owner.plan),
        "packing": [owner.packing.features, owner.packing.slots],
        "scaler": {"mean": owner.scaler.mean.tolist(), "matrix": owner.scaler.matrix.tolist()},
        "releases": owner.releases,
        # (B, level, scale) per released ciphertext of the throw-away run
        "noise_bounds": {"history" if k else "model": [list(e) for e in v] for k, v in owner._noise_bounds.items()},
    }
    return container.pack(KIND, header, [secret_context_to_bytes(owner.context)])


def _matrix(value, shape: tuple, name: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.shape != shape or not np.all(np.isfinite(arr)):
        raise FormatError(f"{_API}: data has an invalid {name}; expected finite numbers of shape {shape}, "
                          f"got {None if arr is None else arr.shape}")
    return arr


def owner_from_bytes(cls, data):
    header, parts = container.unpack(data, KIND, _API)
    if len(parts) != 1 or not {"settings", "plan", "packing", "scaler", "releases", "noise_bounds"} <= set(header):
        raise FormatError(f"{_API}: data has an unexpected layout; expected one secret context and the owner's fields, "
                          f"got {len(parts)} parts and fields {sorted(header)}")
    settings = header["settings"]
    if not isinstance(settings, dict) or set(settings) != set(_SETTINGS):
        raise FormatError(f"{_API}: data has invalid settings; expected exactly {list(_SETTINGS)}, got another set")
    try:
        owner = cls(**settings)
        plan = TrainingPlan.from_dict(header["plan"], _API)
        packing = RowPacking(*(int(v) for v in header["packing"]))
    except FormatError:
        raise
    except (TypeError, ValueError) as exc:
        raise FormatError(f"{_API}: data has invalid settings, plan or packing; expected the saved owner's, got "
                          f"{type(exc).__name__}") from None
    context = secret_context_from_bytes(parts[0])
    if packing.slots != context.slots or packing.features != plan.n_features or context.poly_degree != owner.poly_degree:
        raise FormatError(f"{_API}: data has an inconsistent layout; expected {context.slots} slots and "
                          f"{plan.n_features} features, got {packing.slots} and {packing.features}")
    d = plan.n_features - 1
    scaler = header["scaler"]
    if not isinstance(scaler, dict):
        raise FormatError(f"{_API}: data has an invalid scaler; expected an object, got {type(scaler).__name__}")
    owner.scaler = FeatureScaler(_matrix(scaler.get("mean"), (d,), "scaler mean"),
                                 _matrix(scaler.get("matrix"), (d, d), "scaler matrix"))
    bounds = {}
    for name, key in (("model", False), ("history", True)):
        entries = header["noise_bounds"].get(name) if isinstance(header["noise_bounds"], dict) else None
        if entries is None:
            continue
        arr = _matrix(entries, (len(entries), 3) if isinstance(entries, list) else (), f"noise bound ({name})")
        if np.any(arr[:, 0] <= 0) or np.any(arr[:, 2] <= 0) or np.any(arr[:, 1] != np.round(arr[:, 1])):
            raise FormatError(f"{_API}: data has an invalid noise bound; expected B > 0, integer levels, scales > 0, "
                              f"got another value")
        bounds[key] = [(float(b), int(lvl), float(sc)) for b, lvl, sc in arr]
    releases = header["releases"]
    if not isinstance(releases, list) or not all(isinstance(r, dict) for r in releases):
        raise FormatError(f"{_API}: data has invalid releases; expected a list of objects, got another value")
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for r in releases for v in r.values()):
        raise FormatError(f"{_API}: data has invalid releases; expected finite numbers, got another value")
    owner.context, owner.plan, owner.packing = context, plan, packing
    owner.releases, owner._noise_bounds = [dict(r) for r in releases], bounds
    return owner
