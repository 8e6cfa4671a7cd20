"""Plain-integer reference arithmetic for the BFV tests (a uniquely named module: every
test folder has its own conftest.py, so "from conftest import" is ambiguous)."""

import numpy as np

T = 786433


def mulmod(a, b, t=T):
    """a * b mod t elementwise, exactly (object ints would be slow; t < 2^31 fits int64)."""
    return (np.asarray(a, dtype=np.int64) % t) * (np.asarray(b, dtype=np.int64) % t) % t
