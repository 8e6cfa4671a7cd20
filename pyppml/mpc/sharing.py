"""Additive sharing over Z_2^64 and Shamir t-of-n sharing over p = 2^61 - 1.

Both are thin NumPy front ends of the C++ kernels in ``csrc/mpc``; all randomness comes
from pyppml's OS-keyed CSPRNG.

>>> import numpy as np
>>> from pyppml import mpc
>>> shares = mpc.shamir_share(np.array([7, 42], dtype=np.uint64), n=5, t=3)
>>> mpc.shamir_reconstruct({1: shares[0], 3: shares[2], 5: shares[4]}).tolist()
[7, 42]
>>> s = mpc.additive_share(np.array([5], dtype=np.uint64), parties=3)
>>> mpc.additive_reconstruct(s).tolist()
[5]
"""

from __future__ import annotations

import numbers
from typing import Mapping

import numpy as np

from pyppml import ParameterError, _core
from pyppml.mpc._random import prng

_k = _core.mpc

#: The Shamir field modulus, the Mersenne prime 2^61 - 1.
SHAMIR_PRIME = int(_k.SHAMIR_PRIME)
# Most parties (points) of one sharing: reconstruction is quadratic in them.
SHAMIR_MAX_PARTIES = int(_k.SHAMIR_MAX_PARTIES)


def _where(bad: np.ndarray) -> str:
    """Where the offending values are, never what they are (they are private)."""
    flat = np.flatnonzero(bad)
    return f"{flat.size} such value(s), the first at flat index {int(flat[0])}"


def _shown_index(i) -> str:
    """A party index for a message (indices are public), cut short if its repr is long."""
    text = repr(i)
    return text if len(text) <= 40 else f"{type(i).__name__} of {len(text)} characters"


def _as_u64(api: str, name: str, values, bound: int | None = None) -> np.ndarray:
    """Integers as a C-contiguous uint64 array; negative or too large values are rejected
    with a message that says where they are, not what they are."""
    arr = np.asarray(values)
    if arr.dtype == np.uint64:
        out = np.ascontiguousarray(arr)
    elif arr.dtype.kind in "iu" or (arr.dtype == object and arr.size == 0):
        if arr.size and int(arr.min()) < 0:
            raise ParameterError(f"{api}: {name} has a negative value; expected values >= 0, got {_where(arr < 0)}")
        out = np.ascontiguousarray(arr, dtype=np.uint64)
    elif arr.dtype == object:
        flat = [int(v) for v in arr.ravel()]
        bad = np.array([v < 0 or v >= 1 << 64 for v in flat], dtype=bool)
        if bad.any():
            raise ParameterError(f"{api}: {name} has a value out of range; expected 0 <= value < 2^64, got "
                                 f"{_where(bad)}")
        out = np.array(flat, dtype=np.uint64).reshape(arr.shape)
    else:
        raise ParameterError(f"{api}: {name} has the wrong dtype; expected integers, got {arr.dtype}")
    if bound is not None and out.size and int(out.max()) >= bound:
        raise ParameterError(f"{api}: {name} has a value out of range; expected every value < {bound}, got "
                             f"{_where(out >= np.uint64(bound))}")
    return out


def shamir_share(secrets, n: int, t: int) -> list[np.ndarray]:
    """Shamir t-of-n shares of each secret in [0, 2^61 - 1).

    Parameters
    ----------
    secrets : array_like of int
        Values in [0, p), p = 2^61 - 1, any shape.
    n, t : int
        Number of parties and threshold, 1 <= t <= n.

    Returns
    -------
    list of n uint64 arrays shaped like ``secrets``; element ``i - 1`` is party i's share
    f(i), each value in [0, p). Any t of them reconstruct; any t - 1 are uniform.

    Raises
    ------
    ParameterError
        If t or n are out of range or a secret is negative or >= p.
    """
    s = _as_u64("shamir_share", "secrets", secrets, SHAMIR_PRIME)
    if not isinstance(n, (int, np.integer)) or not isinstance(t, (int, np.integer)):
        raise ParameterError(f"shamir_share: n and t are not integers; expected int, got {type(n).__name__}")
    if n < 1:
        raise ParameterError(f"shamir_share: n is out of range; expected 1 <= n, got {n}")
    shares = _k.shamir_share(prng(), s, int(n), int(t))
    return [shares[i] for i in range(int(n))]


def shamir_share_at(secrets, points, t: int) -> dict[int, np.ndarray]:
    """Shamir shares of each secret at chosen evaluation points: party ``x`` gets f(x).

    For sharing among a subset of many parties at their global indices (SecAgg+ shares
    with a client's neighbours only), where ``shamir_share``'s points 1..n would exceed
    the 4096 parties of one sharing.

    Parameters
    ----------
    secrets : array_like of int
        Values in [0, p), p = 2^61 - 1, any shape.
    points : sequence of int
        Distinct evaluation points in [1, p), at most 4096 of them.
    t : int
        Threshold, 1 <= t <= len(points).

    Returns
    -------
    dict mapping each point to its uint64 share, shaped like ``secrets``. Any t of them
    reconstruct with ``shamir_reconstruct``; any t - 1 are uniform.

    Raises
    ------
    ParameterError
        If t is out of range, a point is 0, >= p or repeated, or a secret is out of range.
    """
    s = _as_u64("shamir_share_at", "secrets", secrets, SHAMIR_PRIME)
    if not isinstance(t, (int, np.integer)):
        raise ParameterError(f"shamir_share_at: t is not an integer; expected int, got {type(t).__name__}")
    pts = np.asarray(points)
    xs = _as_u64("shamir_share_at", "points", pts if pts.size else pts.astype(np.uint64), SHAMIR_PRIME)
    shares = _k.shamir_share_at(prng(), s, xs, int(t))
    return {int(x): shares[i] for i, x in enumerate(xs.tolist())}


def shamir_reconstruct(shares: Mapping[int, np.ndarray]) -> np.ndarray:
    """The secrets from any t (or more) Shamir shares.

    Parameters
    ----------
    shares : mapping {party index (1-based): share array}
        At least t shares of one sharing, all of the same shape, each value in [0, p).

    Returns
    -------
    uint64 array of the secrets, each in [0, p). With fewer than t shares the result is
    a uniformly random value, not an error: the threshold is not stored in the shares.

    Raises
    ------
    ParameterError
        If no share is given, an index is not an integer (int or NumPy integer, not bool)
        in [1, p), the shapes differ or a value is >= p.
    """
    if not isinstance(shares, Mapping) or len(shares) == 0:
        raise ParameterError("shamir_reconstruct: shares is empty or not a mapping; expected a non-empty "
                             f"{{index: share}} mapping, got a {type(shares).__name__}")
    # Indices are taken as they are: int() would turn 1.9 into 1 (a wrong secret, no
    # error) and '1' into 1, and an index >= 2^64 would not fit the kernel's uint64.
    idx = []
    for i in shares:
        if isinstance(i, (bool, np.bool_)) or not isinstance(i, numbers.Integral):
            problem = "that is not an integer"
        elif not 1 <= int(i) < SHAMIR_PRIME:
            problem = "out of range"
        else:
            idx.append(int(i))
            continue
        raise ParameterError(f"shamir_reconstruct: indices has a point {problem}; expected integers "
                             f"1 <= index < 2^61 - 1, got {_shown_index(i)}")
    arrays = [_as_u64("shamir_reconstruct", "shares", shares[i], SHAMIR_PRIME) for i in shares]
    shape = arrays[0].shape
    for a in arrays:
        if a.shape != shape:
            raise ParameterError(f"shamir_reconstruct: shares has mismatched shapes; expected {shape}, got {a.shape}")
    return _k.shamir_reconstruct(np.array(idx, dtype=np.uint64), np.stack(arrays))


def additive_share(secrets, parties: int) -> np.ndarray:
    """Additive shares over Z_2^64, shape ``(parties, *secrets.shape)``: rows sum to the secrets mod 2^64.

    Signed int64 inputs are taken as their two's-complement uint64 value.
    """
    s = np.asarray(secrets)
    if s.dtype == np.int64:
        s = s.view(np.uint64)
    s = _as_u64("additive_share", "secrets", s)
    return _k.additive_share(prng(), s, int(parties))


def additive_reconstruct(shares) -> np.ndarray:
    """Sum of the shares along axis 0, mod 2^64 (uint64)."""
    return _k.additive_reconstruct(np.ascontiguousarray(shares, dtype=np.uint64))
