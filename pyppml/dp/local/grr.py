"""k-ary (generalized) randomized response [WBLJ17, "direct encoding"]: a device
reports its own item with probability p = e^eps / (e^eps + d - 1) and each other item
with probability q = 1 / (e^eps + d - 1)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from pyppml.dp._checks import fail
from pyppml.dp.local._common import (
    TWO64,
    check_counts,
    check_epsilon,
    check_int,
    check_prng,
    check_values,
    pure_variance,
    rr_keep_threshold,
)
from pyppml.dp.local.reports import Reports, check_array, check_reports

MAX_DOMAIN = 1 << 32


class RandomizedResponse:
    """k-ary randomized response over items ``0 .. domain_size - 1``.

    Each device keeps its item when a 64-bit CSPRNG word is below the threshold
    ``keep_threshold`` (P = T/2^64, the largest T whose ratio to the probability of each
    other item, (1 - T/2^64)/(d - 1), is <= e^epsilon), else reports one of the other
    d - 1 items uniformly (exact rejection sampling). Variance of each estimate
    ~ n (d - 2 + e^eps) / (e^eps - 1)^2: the best oracle when d < 3 e^eps + 2 [WBLJ17].
    Report: one uint32 per device (log2 d bits).

    Parameters
    ----------
    epsilon : float
        Local privacy parameter, 2**-40 <= epsilon <= 20.
    domain_size : int
        Number of items d, 2 <= d <= 2^32.

    Raises
    ------
    pyppml.ParameterError
        For a bad epsilon or domain_size.

    Example
    -------
    >>> import numpy as np
    >>> rr = RandomizedResponse(epsilon=2.0, domain_size=8)
    >>> reports = rr.perturb(np.repeat(np.arange(8), 1000))
    >>> est = rr.estimate(reports)
    >>> est.shape, bool(abs(est.sum() - 8000) < 1e-6)
    ((8,), True)
    >>> bool(np.all(np.abs(est - 1000) < 6 * np.sqrt(rr.variance(8000))))
    True
    """

    protocol = "grr"
    params = ()

    def __init__(self, epsilon, domain_size):
        api = "RandomizedResponse"
        self.epsilon = check_epsilon(api, epsilon)
        self.domain_size = check_int(api, "domain_size", domain_size, 2, MAX_DOMAIN)
        self.keep_threshold = rr_keep_threshold(api, self.epsilon, self.domain_size)
        p = Fraction(self.keep_threshold, TWO64)
        self.p = p  # exact P(report == own item)
        self.q = (1 - p) / (self.domain_size - 1)  # exact P(report == a given other item)

    def perturb(self, values, *, prng=None) -> Reports:
        """Device side: one report per value (each from its value and fresh randomness).

        Parameters
        ----------
        values : array_like of int
            Items in ``[0, domain_size)``, one per device.
        prng : pyppml._core.Prng, optional
            Tests only: a seeded generator. Default: a fresh OS-keyed CSPRNG.
        """
        api = "RandomizedResponse.perturb"
        v = check_values(api, values, self.domain_size)
        prng = check_prng(api, prng)
        n = v.size
        keep = prng.uint64(n) < np.uint64(self.keep_threshold)
        if self.domain_size == 2:
            other = 1 - v
        else:
            r = prng.uniform_mod(self.domain_size - 1, n)
            other = r + (r >= v)  # uniform over the d - 1 items != v
        out = np.where(keep, v, other).astype(np.uint32)
        return Reports(self.protocol, self.epsilon, self.domain_size, self.params, out)

    def _support_counts(self, reports) -> np.ndarray:
        api = "RandomizedResponse.estimate"
        r = check_reports(api, reports, self)
        y = check_array(api, "reports.values", r.values, np.uint32, (None,))
        if y.size and int(y.max()) >= self.domain_size:
            fail(api, "reports.values", "has an item out of range", f"< {self.domain_size}", "a larger one")
        return np.bincount(y, minlength=self.domain_size).astype(np.float64)

    def estimate(self, reports) -> np.ndarray:
        """Server side: unbiased estimate of each item's count, float64 ``(domain_size,)``:
        (C_x - n q) / (p - q) with C_x the number of reports of x [WBLJ17]."""
        c = self._support_counts(reports)
        p, q = float(self.p), float(self.q)
        return (c - len(reports) * q) / (p - q)

    def variance(self, n, true_counts=None) -> np.ndarray:
        """Variance of each estimate from n reports, float64 ``(domain_size,)``: exact for
        the given true counts, the paper's n q (1 - q) / (p - q)^2 (count 0) without."""
        n = check_int("RandomizedResponse.variance", "n", n, 1, 1 << 62)
        true_counts = check_counts("RandomizedResponse.variance", true_counts, self.domain_size)
        var = pure_variance(float(self.p), float(self.q), n, true_counts)
        return np.broadcast_to(np.asarray(var, dtype=np.float64), (self.domain_size,)).copy()

    def expected_estimate(self, true_counts) -> np.ndarray:
        """Mean of ``estimate``: the true counts (the estimator is unbiased)."""
        return np.asarray(true_counts, dtype=np.float64)

    def output_probabilities(self) -> np.ndarray:
        """Exact P(report = y | item = v) as Fractions, shape (d, d) (d <= 256)."""
        check_int("RandomizedResponse.output_probabilities", "domain_size", self.domain_size, 2, 256)
        d = self.domain_size
        out = np.full((d, d), self.q, dtype=object)
        np.fill_diagonal(out, self.p)
        return out
