"""``dp.mean``: noisy sum / noisy count, half the budget each, clamped to the bounds."""

from __future__ import annotations

from pyppml.dp.releases.integer_noise import IntegerNoise, privacy_arguments
from pyppml.dp.releases.sum import GridSum


def mean(values, bounds, epsilon, *, mechanism="laplace", delta=None, accountant=None, prng=None) -> float:
    """Differentially private mean of ``values``, each clamped to the public ``bounds``.

    The budget is split in two equal halves (basic composition): a noisy sum as
    ``dp.sum`` at epsilon/2 (and delta/2) and a noisy count as ``dp.count`` at epsilon/2
    (and delta/2); the result is noisy_sum / max(noisy_count, 1), clamped to [lo, hi]
    (post-processing, no privacy cost). For n records inside the bounds the error is
    about sqrt(Var(sum noise) + mean^2 Var(count noise)) / n: O(max|bound| / (n epsilon)),
    unbiased to first order once n epsilon >> 1 (the clamps bias it at tiny n).

    Parameters
    ----------
    values : array_like of numbers
        Private, one per record (1-D); never quoted in an error.
    bounds : (float, float)
        Public ``(lo, hi)``, lo < hi; required.
    epsilon : float, > 0
        Total; each half gets epsilon / 2.
    mechanism : {"laplace", "gaussian"}
    delta : float in (0, 1), only and required with mechanism "gaussian"; each half gets delta / 2.
    accountant : PrivacyAccountant, optional
        Charged twice (labelled "dp.mean (sum)" and "dp.mean (count)") before any noise is drawn.
    prng : pyppml._core.Prng, optional
        Only for reproducible tests.

    Returns
    -------
    float in [lo, hi]

    Raises
    ------
    ValueError (pyppml.ParameterError)
        As ``dp.sum``.

    Examples
    --------
    >>> import numpy as np
    >>> from pyppml import dp
    >>> m = dp.mean(np.full(10_000, 40.0), bounds=(0, 100), epsilon=1.0)
    >>> bool(abs(m - 40.0) < 1.0)
    True
    """
    api = "dp.mean"
    eps, dlt = privacy_arguments(api, epsilon, delta, mechanism, accountant)
    half_eps, half_delta = eps / 2, (None if dlt is None else dlt / 2)
    grid = GridSum(api, values, bounds)
    # The sum's noise first: if its range check fails, nothing has been charged.
    sum_noise = IntegerNoise(api, grid.sensitivity, half_eps, half_delta, mechanism, accountant,
                             mechanism_name="dp.mean (sum)", shown=epsilon)
    count_noise = IntegerNoise(api, 1, half_eps, half_delta, mechanism, accountant, mechanism_name="dp.mean (count)")
    noisy_sum = (grid.total + int(sum_noise.sample(1, prng)[0])) * grid.step
    noisy_n = max(1, grid.size + int(count_noise.sample(1, prng)[0]))
    lo, hi = grid.bounds
    return min(max(noisy_sum / noisy_n, lo), hi)
