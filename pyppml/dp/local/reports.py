"""The reports devices send: one compact record per device, tagged with the oracle that
made it so the server never mixes parameters."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pyppml.dp._checks import fail


@dataclass(frozen=True, eq=False)
class Reports:
    """Perturbed reports of many devices, as one oracle's ``perturb`` returns them.

    Attributes
    ----------
    protocol : str
        ``"grr"``, ``"oue"``, ``"olh"`` or ``"cms"``.
    epsilon, domain_size, params
        The oracle's parameters (``params``: ``(g,)`` for OLH, ``(k, m)`` for the sketch,
        ``()`` otherwise); ``estimate`` refuses reports made with other ones.
    values : numpy.ndarray
        GRR: uint32 ``(n,)``, the reported item. OUE: uint8 ``(n, ceil(d/8))``, packed bit
        rows (bit j of a row in byte j // 8 at bit j % 8, NumPy's ``bitorder="little"``).
        OLH: uint32 ``(n,)``, the perturbed hash in ``[0, g)``. CMS: uint8
        ``(n, ceil(m/8))``, packed sign rows (bit 1 = +1).
    keys : numpy.ndarray or None
        OLH: uint64 ``(n, 2)``, each report's hash key ``(a, b)``. CMS: uint32 ``(n,)``,
        the index of the sketch row (hash function) the device used. None otherwise.

    Example
    -------
    >>> from pyppml.dp.local import RandomizedResponse
    >>> r = RandomizedResponse(1.0, 4).perturb([0, 1, 2, 3])
    >>> len(r), r.protocol, r.values.dtype.name
    (4, 'grr', 'uint32')
    """

    protocol: str
    epsilon: float
    domain_size: int
    params: tuple
    values: np.ndarray
    keys: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.values.shape[0])


def check_reports(api: str, reports, oracle) -> Reports:
    """The reports, after checking they come from an oracle with the same parameters."""
    if not isinstance(reports, Reports):
        fail(api, "reports", "is not a Reports object", "what perturb() returns (pyppml.dp.local.Reports)",
             type(reports).__name__)
    mine = (oracle.protocol, oracle.epsilon, oracle.domain_size, tuple(oracle.params))
    theirs = (reports.protocol, reports.epsilon, reports.domain_size, tuple(reports.params))
    for name, a, b in zip(("protocol", "epsilon", "domain_size", "params"), mine, theirs):
        if a != b:
            fail(api, "reports", f"were made with another {name}", f"{name} = {a!r}", b)
    return reports


def check_array(api: str, arg: str, arr, dtype, shape: tuple) -> np.ndarray:
    """arr must be an ndarray of exactly `dtype` and `shape` (None: any length)."""
    if not isinstance(arr, np.ndarray):
        fail(api, arg, "is not a NumPy array", f"numpy.ndarray of {np.dtype(dtype).name}", type(arr).__name__)
    if arr.dtype != np.dtype(dtype):
        fail(api, arg, "has the wrong dtype", np.dtype(dtype).name, arr.dtype.name)
    if arr.ndim != len(shape) or any(s is not None and s != t for s, t in zip(shape, arr.shape)):
        want = "(" + ", ".join("n" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
        fail(api, arg, "has the wrong shape", want, arr.shape)
    return np.ascontiguousarray(arr)
