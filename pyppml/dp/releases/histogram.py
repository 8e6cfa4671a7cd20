"""``dp.histogram``: counts over public bins, integer noise per bin, clamped at 0."""

from __future__ import annotations

import math
import numbers

import numpy as np

from pyppml.dp._checks import fail
from pyppml.dp.releases.integer_noise import (
    IntegerNoise,
    numeric_values,
    privacy_arguments,
)


def _edges(api: str, bins, range_) -> np.ndarray:
    if isinstance(bins, numbers.Integral) and not isinstance(bins, bool):
        if bins < 1 or bins > 2**24:
            fail(api, "bins", "is out of range", "1 <= bins <= 2**24", bins)
        if range_ is None:
            # numpy would take the data's min and max: private.
            fail(api, "range", "is missing", "public (lo, hi) when bins is an int", range_)
        try:
            lo, hi = (float(r) for r in range_)
        except (TypeError, ValueError):
            fail(api, "range", "is not a pair of reals", "(lo, hi) with lo < hi", range_)
        if not (math.isfinite(lo) and math.isfinite(hi)) or not lo < hi:
            fail(api, "range", "is not an ordered pair of finite reals", "(lo, hi) with lo < hi", range_)
        return np.linspace(lo, hi, int(bins) + 1)
    if range_ is not None:
        fail(api, "range", "is only for an int bins", "None with explicit edges", range_)
    try:
        edges = np.asarray(bins, dtype=np.float64)
    except (TypeError, ValueError):
        fail(api, "bins", "is not an int nor a sequence of edges", "int or increasing edges", type(bins).__name__)
    if edges.ndim != 1 or edges.size < 2 or edges.size > 2**24 + 1:
        fail(api, "bins", "is not a sequence of 2 to 2**24 + 1 edges", "increasing edges", f"shape {edges.shape}")
    if not np.all(np.isfinite(edges)) or not np.all(np.diff(edges) > 0):
        fail(api, "bins", "are not finite and strictly increasing", "increasing finite edges", "public edges")
    return edges


def histogram(values, bins, epsilon, *, range=None, mechanism="laplace", delta=None, accountant=None,
              prng=None) -> tuple[np.ndarray, np.ndarray]:
    """Differentially private histogram of ``values`` over public bins (numpy's semantics).

    Each record falls in at most one bin (values outside the edges, and NaN, in none), so
    adding or removing a record moves one bin by 1: exact discrete Laplace noise of scale
    1/epsilon per bin (epsilon-DP for the whole histogram), or discrete Gaussian noise
    calibrated for a shift of 1 ((epsilon, delta)-DP: the privacy loss involves only the
    bin that moved). Noisy counts are clamped at 0 (post-processing, no privacy cost;
    biases empty bins upward).

    Parameters
    ----------
    values : array_like of numbers
        Private, one per record (1-D); never quoted in an error.
    bins : int or sequence of float
        Number of equal-width bins over ``range`` (required then), or the bin edges,
        strictly increasing (the last bin includes its right edge, as numpy).
    epsilon : float, > 0
    range : (float, float), optional
        Public lower and upper edge when ``bins`` is an int. Never taken from the data.
    mechanism : {"laplace", "gaussian"}
    delta : float in (0, 1), only and required with mechanism "gaussian"
    accountant : PrivacyAccountant, optional
        Charged once (sensitivity 1; a replace-one accountant count=2) before the noise is drawn.
    prng : pyppml._core.Prng, optional
        Only for reproducible tests.

    Returns
    -------
    counts : numpy.ndarray of int64, >= 0
    edges : numpy.ndarray of float64

    Raises
    ------
    ValueError (pyppml.ParameterError)
        Public arguments only: values not numeric, bins not a positive int or not
        increasing finite edges, range missing / unordered / given with edges, and the
        privacy arguments as ``dp.count``.

    Examples
    --------
    >>> import numpy as np
    >>> from pyppml import dp
    >>> ages = np.array([23, 35, 35, 41, 67, 70])
    >>> counts, edges = dp.histogram(ages, bins=4, range=(0, 100), epsilon=1.0)
    >>> counts.dtype, edges.tolist()
    (dtype('int64'), [0.0, 25.0, 50.0, 75.0, 100.0])
    """
    api = "dp.histogram"
    eps, dlt = privacy_arguments(api, epsilon, delta, mechanism, accountant)
    x, _ = numeric_values(api, values)
    edges = _edges(api, bins, range)
    noise = IntegerNoise(api, 1, eps, dlt, mechanism, accountant, replacement="twice")
    true = np.histogram(x[~np.isnan(x)], bins=edges)[0].astype(np.int64)
    return np.maximum(true + noise.sample(true.size, prng), 0), edges
