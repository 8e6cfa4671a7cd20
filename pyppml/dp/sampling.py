"""Batch sampling for DP-SGD from the CSPRNG: Poisson subsampling (each example joins a
batch independently, the sampling whose amplification ``PrivacyAccountant`` accounts by
default) and fixed-size batches drawn without replacement (``sampling="fixed"``).

Every draw uses pyppml's ChaCha20 stream keyed from the operating system: a batch
reveals nothing beyond its law, and the law is the one the accountant assumes.
"""

from __future__ import annotations

import numbers

import numpy as np

from pyppml import _core
from pyppml.dp._checks import check_prng, fail, positive_real


def poisson_sample(n: int, sample_rate, *, prng=None) -> np.ndarray:
    """Boolean mask of n independent Bernoulli(p) draws, p = floor(sample_rate * 2**64) / 2**64.

    The rate is rounded DOWN to a multiple of 2**-64, so the realised rate never exceeds
    the one given to the accountant (a larger rate would amplify less).

    Parameters
    ----------
    n : int, >= 0
    sample_rate : float, in (0, 1]
    prng : pyppml._core.Prng, optional
        Only for reproducible tests; by default a fresh OS-keyed ChaCha20 stream.
        Any other object is refused: its ``uint64`` would choose the batch.

    Raises
    ------
    ValueError (pyppml.ParameterError)
        n not an integer >= 0, sample_rate not a finite real in (0, 1], prng neither
        None nor a ``pyppml._core.Prng``.

    Examples
    --------
    >>> from pyppml.dp.sampling import poisson_sample
    >>> poisson_sample(5, 1.0).tolist()
    [True, True, True, True, True]
    """
    api = "dp.poisson_sample"
    size = _size(api, "n", n)
    q = positive_real(api, "sample_rate", sample_rate)
    check_prng(api, prng)
    if q > 1:
        fail(api, "sample_rate", "is above 1", "0 < sample_rate <= 1", sample_rate)
    if q == 1:
        return np.ones(size, dtype=bool)
    threshold = np.uint64(int(q * 2**64))  # floor: exact, q is a Fraction
    return (prng or _core.Prng()).uint64(size) < threshold


def fixed_size_sample(n: int, batch_size: int, *, prng=None) -> np.ndarray:
    """Indices of ``batch_size`` distinct examples out of n, uniformly without replacement
    (the b smallest of n independent 64-bit CSPRNG keys; ties have probability < n**2 / 2**64).
    ``prng`` as in ``poisson_sample`` (None or a ``pyppml._core.Prng``, tests only).

    Raises
    ------
    ValueError (pyppml.ParameterError)
        n or batch_size not an integer, batch_size outside [1, n], prng neither None
        nor a ``pyppml._core.Prng``.

    Examples
    --------
    >>> from pyppml.dp.sampling import fixed_size_sample
    >>> sorted(fixed_size_sample(4, 4).tolist())
    [0, 1, 2, 3]
    """
    api = "dp.fixed_size_sample"
    size = _size(api, "n", n)
    b = _size(api, "batch_size", batch_size)
    if not 1 <= b <= size:
        fail(api, "batch_size", "is out of range", f"1 <= batch_size <= n = {size}", batch_size)
    check_prng(api, prng)
    keys = (prng or _core.Prng()).uint64(size)
    return np.sort(np.argsort(keys, kind="stable")[:b])


def _size(api: str, arg: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        fail(api, arg, "is not a non-negative integer", f"{arg} >= 0", value)
    return int(value)
