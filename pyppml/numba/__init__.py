"""Ring kernels callable from ``@numba.njit`` code: prototype a lattice scheme in Python at
native speed (optional dependency: ``pip install "pyppml[numba]"``).

Two layers:

- :mod:`pyppml.numba.kernels`: unchecked ``@njit`` kernels on NumPy ``uint64`` arrays
  (NTT forward/inverse per limb through the C ABI, Shoup and Barrett products, eltwise
  mod ops, fast RNS base conversion, ternary / centered-binomial samplers fed with
  CSPRNG words). Call them from your own ``@njit`` functions.
- this package: the same operations as checked Python functions, which validate shapes,
  dtypes and ranges (raising :class:`pyppml.ParameterError` naming the argument) before
  they enter nopython code, plus :class:`RingPlan`, the per-modulus tables the kernels read.

Example
-------
>>> import numpy as np
>>> from pyppml import numba as pn
>>> plan = pn.RingPlan(16, [12289, 40961])
>>> a = np.arange(32, dtype=np.uint64).reshape(2, 16)
>>> bool(np.array_equal(pn.ntt_inverse(plan, pn.ntt_forward(plan, a)), a))
True
"""

from __future__ import annotations

try:
    import numba as _numba  # noqa: F401
except ImportError as exc:  # an optional dependency: say how to get it
    raise ImportError(
        'pyppml.numba needs numba, an optional dependency: pip install "pyppml[numba]"'
    ) from exc

from pyppml.numba.checked import (
    add_mod,
    base_convert,
    centered_binomial,
    mul_barrett,
    mul_mod,
    mul_scalar_mod,
    mul_shoup,
    ntt_forward,
    ntt_inverse,
    sub_mod,
    ternary,
)
from pyppml.numba.modarith import barrett_ratio, mulhi, shoup_precompute
from pyppml.numba.plan import BaseConversion, RingPlan, capi_available

__all__ = [
    "BaseConversion",
    "RingPlan",
    "add_mod",
    "barrett_ratio",
    "base_convert",
    "capi_available",
    "centered_binomial",
    "mul_barrett",
    "mul_mod",
    "mul_scalar_mod",
    "mul_shoup",
    "mulhi",
    "ntt_forward",
    "ntt_inverse",
    "shoup_precompute",
    "sub_mod",
    "ternary",
]
