"""Exact discrete noise: ``discrete_gaussian`` and ``discrete_laplace`` (NumPy int64).

Exactness contract: the parameter is first made a rational with a bounded denominator,
then the sample is exact for that rational (no floating point in the sampler):

* Gaussian: sigma**2 becomes a/b, the closest fraction to Fraction(sigma)**2 with
  b <= 2**32 (an int or Fraction sigma whose square fits is used as is); the law is
  P(k) = exp(-k**2 b / (2a)) / Z over all integers. ``exact_variance(sigma)`` returns a/b.
* Laplace: scale becomes sn/sd, the closest fraction with sd <= 2**32; the law is
  P(k) ∝ exp(-|k| sd / sn). ``exact_scale(scale)`` returns sn/sd.

Randomness comes only from pyppml's ChaCha20 CSPRNG keyed from the OS for each call.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from pyppml import _core
from pyppml.dp._checks import fail, positive_real, size as check_size

MAX_DENOMINATOR = 2**32


def _bounded(frac: Fraction) -> Fraction:
    return frac if frac.denominator <= MAX_DENOMINATOR else frac.limit_denominator(MAX_DENOMINATOR)


def exact_variance(sigma) -> Fraction:
    """The rational sigma**2 = a/b for which ``discrete_gaussian(sigma, ...)`` is exact.

    >>> exact_variance(3.0)
    Fraction(9, 1)
    """
    api = "dp.discrete_gaussian"
    var = _bounded(positive_real(api, "sigma", sigma) ** 2)
    if var.numerator == 0:
        fail(api, "sigma", "is too small", "sigma**2 >= 2**-32", sigma)
    if var.numerator >= 2**62:
        fail(api, "sigma", "is too large", "sigma < 2**31 (sigma**2 numerator < 2**62)", sigma)
    return var


def exact_scale(scale) -> Fraction:
    """The rational scale sn/sd for which ``discrete_laplace(scale, ...)`` is exact.

    >>> exact_scale(0.5)
    Fraction(1, 2)
    """
    api = "dp.discrete_laplace"
    s = _bounded(positive_real(api, "scale", scale))
    if s.numerator == 0:
        fail(api, "scale", "is too small", "scale >= 2**-32", scale)
    if s >= 2**40 or s.numerator >= 2**62:  # the sampler takes scales below 2**40
        fail(api, "scale", "is too large", "scale < 2**40", scale)
    return s


def discrete_gaussian(sigma, size, *, prng=None) -> np.ndarray:
    """Exact samples of the discrete Gaussian N_Z(0, sigma**2) [CKS20].

    Parameters
    ----------
    sigma : int, float or fractions.Fraction
        Standard-deviation parameter, 0 < sigma < 2**31; sigma**2 is taken as the
        rational ``exact_variance(sigma)`` (denominator <= 2**32).
    size : int
        Number of samples, >= 0.
    prng : pyppml._core.Prng, optional
        Only for reproducible tests (a seeded generator); by default each call keys a
        fresh ChaCha20 stream from the operating system.

    Returns
    -------
    numpy.ndarray of int64, shape (size,)
        P(k) ∝ exp(-k**2 / (2 sigma**2)) for every integer k.

    Raises
    ------
    ValueError (pyppml.ParameterError)
        sigma not finite or <= 0 or too large, size negative or not an int.

    Examples
    --------
    >>> from pyppml import dp
    >>> x = dp.discrete_gaussian(3, 100_000)
    >>> bool(abs(x.var() - 9) < 0.5)
    True
    """
    n = check_size("dp.discrete_gaussian", size)
    var = exact_variance(sigma)
    return _core.dp_discrete_gaussian(var.numerator, var.denominator, n, prng)


def discrete_laplace(scale, size, *, prng=None) -> np.ndarray:
    """Exact samples of the discrete Laplace law P(k) ∝ exp(-|k| / scale) on the integers.

    Parameters
    ----------
    scale : int, float or fractions.Fraction
        0 < scale < 2**40, taken as the rational ``exact_scale(scale)``.
    size : int
        Number of samples, >= 0.
    prng : pyppml._core.Prng, optional
        Only for reproducible tests; by default a fresh OS-keyed ChaCha20 stream.

    Returns
    -------
    numpy.ndarray of int64, shape (size,)

    Raises
    ------
    ValueError (pyppml.ParameterError)
        scale not finite, <= 0 or too large; size negative or not an int.

    Examples
    --------
    >>> from pyppml import dp
    >>> dp.discrete_laplace(2.0, 4).shape
    (4,)
    """
    n = check_size("dp.discrete_laplace", size)
    s = exact_scale(scale)
    return _core.dp_discrete_laplace(s.numerator, s.denominator, n, prng)
