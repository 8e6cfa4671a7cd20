"""The ring layer: NTT-friendly primes, negacyclic NTTs, RNS polynomials.

Everything here runs in the C++ core on NumPy ``uint64`` arrays, with the GIL released,
so new schemes can be prototyped from Python at native speed.

Example
-------
>>> import numpy as np
>>> from pyppml import ring
>>> q = ring.find_ntt_primes(50, 1024, 1)[0]
>>> t = ring.NttTables(1024, q)
>>> a = np.arange(1024, dtype=np.uint64)
>>> bool(np.array_equal(t.inverse(t.forward(a)), a))
True
"""

from __future__ import annotations

import contextlib
from typing import Iterator

from pyppml import _core
from pyppml._core import BaseConverter, NttTables, Prng, RnsBase, RnsPoly, is_prime, minimal_primitive_root

__all__ = [
    "BaseConverter",
    "NttTables",
    "Prng",
    "RnsBase",
    "RnsPoly",
    "available_backends",
    "find_ntt_primes",
    "get_backend",
    "is_prime",
    "minimal_primitive_root",
    "set_backend",
    "use_backend",
]


def find_ntt_primes(bit_size: int, n: int, count: int) -> list[int]:
    """The ``count`` largest primes q < 2**bit_size with q = 1 mod 2n, largest first.

    Each prime has exactly ``bit_size`` bits (the same primes SEAL's
    ``CoeffModulus.Create`` picks).
    """
    return list(_core.find_ntt_primes(bit_size, n, count))


def available_backends() -> list[str]:
    """Backends usable on this machine: ``scalar`` and any of ``avx2``, ``avx512``."""
    return list(_core.available_backends())


def get_backend() -> str:
    """The current backend setting (``auto`` unless forced)."""
    return _core.get_backend()


def set_backend(name: str) -> None:
    """Force every kernel onto one backend (``auto``, ``scalar``, ``avx2``, ``avx512``)."""
    _core.set_backend(name)


@contextlib.contextmanager
def use_backend(name: str) -> Iterator[str]:
    """Context manager forcing a backend, restoring the previous setting on exit."""
    previous = _core.get_backend()
    _core.set_backend(name)
    try:
        yield name
    finally:
        _core.set_backend(previous)
