"""The keyed hash family shared by devices and server (OLH, count-mean sketch).

    u = ((a * x + b) mod 2^64) >> 32,    H_{a,b}(x) = (u * g) >> 32   in [0, g)

for items x < 2^32 and keys a, b in [0, 2^64). The first step is Dietzfelbinger's
multiply-add-shift scheme, *strongly universal* from 32-bit keys to 32-bit values
[Die96; Thorup, "High speed hashing for integers and strings", 2015]: for x != x' and
uniform (a, b), the pair (u(x), u(x')) is uniform on [0, 2^32)^2. The second step maps
u to [0, g) by a multiply-shift, which puts floor(2^32/g) or that plus one values of u in
each bucket; so P[H(x) = H(x')] = ``collision_probability(g)`` exactly, 1/g up to a
relative 2^-32 g, and the OLH and sketch estimators use that exact value. It is a
universal family, not a cryptographic hash: privacy never depends on it (the keys are
public and fresh CSPRNG output), only the estimators' unbiasedness does.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

_SHIFT = np.uint64(32)


def hash_items(a, b, x, g: int) -> np.ndarray:
    """H_{a,b}(x) as uint32 (NumPy broadcasting over a, b and x; uint64 wraps mod 2^64).

    Example
    -------
    >>> import numpy as np
    >>> int(hash_items(np.uint64(3 << 40), np.uint64(5), np.uint64(7), 4))
    0
    """
    a = np.asarray(a, dtype=np.uint64)
    b = np.asarray(b, dtype=np.uint64)
    x = np.asarray(x, dtype=np.uint64)
    with np.errstate(over="ignore"):
        u = (a * x + b) >> _SHIFT
        return ((u * np.uint64(g)) >> _SHIFT).astype(np.uint32)


def collision_probability(g: int) -> Fraction:
    """Exact P[H(x) = H(x')] for x != x' over uniform keys: with 2^32 = m g + r, r buckets
    hold m + 1 values of u and g - r hold m, so the sum of squared bucket masses is
    (r (m+1)^2 + (g - r) m^2) / 2^64.

    Example
    -------
    >>> collision_probability(4)
    Fraction(1, 4)
    """
    m, r = divmod(1 << 32, g)
    return Fraction(r * (m + 1) ** 2 + (g - r) * m * m, 1 << 64)
