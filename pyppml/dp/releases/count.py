"""``dp.count``: the number of records, released with integer noise and clamped at 0."""

from __future__ import annotations

from pyppml.dp._checks import fail
from pyppml.dp.releases.integer_noise import IntegerNoise, privacy_arguments


def count(values, epsilon, *, mechanism="laplace", delta=None, accountant=None, prng=None) -> int:
    """Differentially private number of records (rows) of ``values``.

    Neighbouring data sets differ by adding or removing one record, so the count moves by
    at most 1: exact discrete Laplace noise of scale 1/epsilon (``mechanism="laplace"``,
    epsilon-DP) or discrete Gaussian noise (``"gaussian"``, (epsilon, delta)-DP, sigma
    from the exact discrete calibration) is added to the integer count. The result is
    clamped at 0 (post-processing: a count cannot be negative; it costs no privacy, and
    biases counts near 0 upward).

    Parameters
    ----------
    values : sized collection
        The records (a list, an array's first axis...). Only its length is used; the
        records are never inspected nor quoted.
    epsilon : float, > 0
    mechanism : {"laplace", "gaussian"}
    delta : float in (0, 1), only and required with mechanism "gaussian"
    accountant : PrivacyAccountant, optional
        Charged (kind ``discrete_laplace`` / ``discrete_gaussian``, sensitivity 1, or 2
        for a replace-one accountant) before the noise is drawn.
    prng : pyppml._core.Prng, optional
        Only for reproducible tests.

    Returns
    -------
    int, >= 0

    Raises
    ------
    ValueError (pyppml.ParameterError)
        values without a length, epsilon not finite or <= 0, unknown mechanism, delta
        missing / outside (0, 1) / given for Laplace, accountant of another type or
        refusing the charge.

    Examples
    --------
    >>> from pyppml import dp
    >>> acc = dp.PrivacyAccountant("pld")
    >>> n = dp.count(range(1000), epsilon=1.0, accountant=acc)
    >>> isinstance(n, int) and n >= 0
    True
    >>> acc.charges[-1]
    Charge(dp.count: discrete_laplace b=1 on sensitivity 1 (epsilon=1))
    """
    api = "dp.count"
    eps, dlt = privacy_arguments(api, epsilon, delta, mechanism, accountant)
    try:
        n = len(values)
    except TypeError:
        fail(api, "values", "has no length", "a sized collection of records", type(values).__name__)
    noise = IntegerNoise(api, 1, eps, dlt, mechanism, accountant)
    return max(0, n + int(noise.sample(1, prng)[0]))
