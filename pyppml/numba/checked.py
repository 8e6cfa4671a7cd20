"""Checked Python entry points to the ring kernels: each validates shapes, dtypes and
ranges (raising :class:`pyppml.ParameterError` that names the argument) before it enters
nopython code, and returns a new array.

Example
-------
>>> import numpy as np
>>> from pyppml import numba as pn
>>> q = 1125899906842273
>>> a = np.array([q - 1, 5], dtype=np.uint64)
>>> pn.mul_barrett(a, a, q).tolist()
[1, 25]
"""

from __future__ import annotations

import numpy as np

from pyppml import ParameterError
from pyppml.numba import kernels
from pyppml.numba.modarith import barrett_ratio, shoup_precompute


def _fail(api, arg, problem, expected, got):
    raise ParameterError(f"{api}: {arg} {problem}; expected {expected}, got {got}")


def _u64(api, arg, a, shape=None):
    if not isinstance(a, np.ndarray):
        _fail(api, arg, "is not a NumPy array", "numpy.ndarray of dtype uint64", type(a).__name__)
    if a.dtype != np.uint64:
        _fail(api, arg, "has the wrong dtype", "uint64", a.dtype)
    if shape is not None and a.shape != shape:
        _fail(api, arg, "has the wrong shape", shape, a.shape)
    return np.ascontiguousarray(a)


def _below(api, arg, a, moduli):
    """Rows of a (k, n) below their modulus (a count, never values, in the message)."""
    bad = a >= np.asarray(moduli, dtype=np.uint64).reshape(-1, *([1] * (a.ndim - 1)))
    if bad.any():
        _fail(api, arg, "holds residues out of range", "each entry of row i in [0, moduli[i])",
              f"{int(bad.sum())} entries >= their modulus")


def _modulus(api, arg, q):
    if isinstance(q, bool) or not isinstance(q, (int, np.integer)) or not 1 < int(q) < 1 << 62:
        _fail(api, arg, "is out of range", "an int in (1, 2**62)", q)
    return int(q)


def _rows(api, plan, a, arg="a"):
    a = _u64(api, arg, a, (len(plan.moduli), plan.n))
    _below(api, arg, a, plan.moduli)
    return a


def ntt_forward(plan, a):
    """Forward negacyclic NTT of each row i of ``a`` (shape (len(moduli), n), row i in
    [0, moduli[i])) mod plan.moduli[i]; bit-identical to ``pyppml.ring.NttTables.forward``.

    Raises
    ------
    pyppml.ParameterError
        ``a`` not a uint64 array of that shape, or a residue out of range.

    Example
    -------
    >>> from pyppml.numba import RingPlan
    >>> ntt_forward(RingPlan(4, [17]), np.array([[1, 0, 0, 0]], dtype=np.uint64)).tolist()
    [[1, 1, 1, 1]]
    """
    out = _rows("pyppml.numba.ntt_forward", plan, a).copy()
    for i in range(out.shape[0]):
        kernels.forward_limb(plan, i, out[i])
    return out


def ntt_inverse(plan, a):
    """Inverse of :func:`ntt_forward` (same arguments and checks).

    Example
    -------
    >>> from pyppml.numba import RingPlan
    >>> ntt_inverse(RingPlan(4, [17]), np.array([[1, 1, 1, 1]], dtype=np.uint64)).tolist()
    [[1, 0, 0, 0]]
    """
    out = _rows("pyppml.numba.ntt_inverse", plan, a).copy()
    for i in range(out.shape[0]):
        kernels.inverse_limb(plan, i, out[i])
    return out


def _binary(api, plan, a, b, kernel):
    a = _rows(api, plan, a, "a")
    b = _rows(api, plan, b, "b")
    out = np.empty_like(a)
    for i in range(a.shape[0]):
        kernel(plan, i, a[i], b[i], out[i])
    return out


def add_mod(plan, a, b):
    """(a + b) mod moduli[i], row by row (rows in [0, moduli[i])).

    Example
    -------
    >>> from pyppml.numba import RingPlan
    >>> x = np.array([[16, 1]], dtype=np.uint64)
    >>> add_mod(RingPlan(2, [17]), x, x).tolist()
    [[15, 2]]
    """
    return _binary("pyppml.numba.add_mod", plan, a, b, kernels.add_mod_limb)


def sub_mod(plan, a, b):
    """(a - b) mod moduli[i], row by row.

    Example
    -------
    >>> from pyppml.numba import RingPlan
    >>> sub_mod(RingPlan(2, [17]), np.array([[0, 5]], dtype=np.uint64), np.array([[1, 2]], dtype=np.uint64)).tolist()
    [[16, 3]]
    """
    return _binary("pyppml.numba.sub_mod", plan, a, b, kernels.sub_mod_limb)


def mul_mod(plan, a, b):
    """(a * b) mod moduli[i], row by row (through the C ABI when the plan uses it).

    Example
    -------
    >>> from pyppml.numba import RingPlan
    >>> x = np.array([[16, 4]], dtype=np.uint64)
    >>> mul_mod(RingPlan(2, [17]), x, x).tolist()
    [[1, 16]]
    """
    return _binary("pyppml.numba.mul_mod", plan, a, b, kernels.mul_mod_limb)


def mul_scalar_mod(plan, a, scalars):
    """(a[i] * scalars[i]) mod moduli[i] (Shoup), one scalar per row, each reduced mod its
    modulus first (any Python int is accepted, negatives included).

    Example
    -------
    >>> from pyppml.numba import RingPlan
    >>> mul_scalar_mod(RingPlan(2, [17]), np.array([[3, 4]], dtype=np.uint64), [-1]).tolist()
    [[14, 13]]
    """
    api = "pyppml.numba.mul_scalar_mod"
    a = _rows(api, plan, a)
    scalars = list(scalars)
    if len(scalars) != a.shape[0]:
        _fail(api, "scalars", "has the wrong length", f"{a.shape[0]} (one per modulus)", len(scalars))
    out = np.empty_like(a)
    for i, (s, q) in enumerate(zip(scalars, plan.moduli.tolist())):
        s = int(s) % q
        kernels.mul_scalar_mod(a[i], np.uint64(s), shoup_precompute(s, q), out[i], np.uint64(q))
    return out


def mul_shoup(x, w, q):
    """x * w mod q for a uint64 array x (any values) and one w in [0, q), by Shoup's method.

    Example
    -------
    >>> mul_shoup(np.array([2**64 - 1], dtype=np.uint64), 3, 97).tolist() == [(2**64 - 1) * 3 % 97]
    True
    """
    api = "pyppml.numba.mul_shoup"
    x = _u64(api, "x", x)
    q = _modulus(api, "q", q)
    if isinstance(w, bool) or not isinstance(w, (int, np.integer)) or not 0 <= int(w) < q:
        _fail(api, "w", "is out of range", f"an int in [0, q = {q})", w)
    out = np.empty_like(x.reshape(-1))
    kernels.mul_scalar_mod(x.reshape(-1), np.uint64(w), shoup_precompute(int(w), q), out, np.uint64(q))
    return out.reshape(x.shape)


def mul_barrett(a, b, q):
    """a * b mod q elementwise by Barrett reduction of the 128-bit product; a, b in [0, q).

    Example
    -------
    >>> mul_barrett(np.array([96], dtype=np.uint64), np.array([96], dtype=np.uint64), 97).tolist()
    [1]
    """
    api = "pyppml.numba.mul_barrett"
    a = _u64(api, "a", a)
    b = _u64(api, "b", b, a.shape)
    q = _modulus(api, "q", q)
    for arg, v in (("a", a), ("b", b)):
        if v.size and int(v.max()) >= q:
            _fail(api, arg, "holds values out of range", f"each in [0, q = {q})", "a value >= q")
    lo, hi = barrett_ratio(q)
    out = np.empty(a.size, dtype=np.uint64)
    kernels.mul_mod(a.reshape(-1), b.reshape(-1), out, np.uint64(q), lo, hi)
    return out.reshape(a.shape)


def base_convert(conv, x):
    """Fast base conversion of ``x`` (shape (len(conv.src), n), row i in [0, src[i])) to
    ``conv.dst``: the residues of X + alpha*Q with 0 <= alpha < len(src), where X is the
    integer in [0, Q) that x represents.

    Example
    -------
    >>> from pyppml.numba import BaseConversion
    >>> conv = BaseConversion([17, 97], [193])
    >>> int(base_convert(conv, np.array([[1000 % 17], [1000 % 97]], dtype=np.uint64))[0, 0]) in (1000 % 193, (1000 + 17 * 97) % 193)
    True
    """
    api = "pyppml.numba.base_convert"
    x = _u64(api, "x", x)
    if x.ndim != 2 or x.shape[0] != len(conv.src):
        _fail(api, "x", "has the wrong shape", f"({len(conv.src)}, n)", x.shape)
    _below(api, "x", x, conv.src)
    out = np.empty((len(conv.dst), x.shape[1]), dtype=np.uint64)
    kernels.base_convert(conv, x, out)
    return out


def ternary(words):
    """Uniform {-1, 0, 1} (int64) from uniform 64-bit words, one per coefficient: draw
    them with ``pyppml._core.Prng().uint64(n)``.

    Example
    -------
    >>> from pyppml._core import Prng
    >>> set(ternary(Prng().uint64(1000)).tolist()) <= {-1, 0, 1}
    True
    """
    words = _u64("pyppml.numba.ternary", "words", words)
    out = np.empty(words.size, dtype=np.int64)
    kernels.ternary(words.reshape(-1), out)
    return out.reshape(words.shape)


def centered_binomial(words):
    """Centered binomial noise (variance 21/2, values in [-21, 21], int64) from uniform
    64-bit words, one per coefficient.

    Example
    -------
    >>> from pyppml._core import Prng
    >>> int(abs(centered_binomial(Prng().uint64(1000))).max()) <= 21
    True
    """
    words = _u64("pyppml.numba.centered_binomial", "words", words)
    out = np.empty(words.size, dtype=np.int64)
    kernels.centered_binomial(words.reshape(-1), out)
    return out.reshape(words.shape)
