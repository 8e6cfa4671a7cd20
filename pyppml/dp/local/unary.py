"""Optimized unary encoding (OUE) [WBLJ17]: a device sends d bits, its own
item's bit set with probability p = 1/2 and every other bit with q = 1/(e^eps + 1)."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np

from pyppml import _core
from pyppml.dp.local._common import (
    TWO64,
    check_counts,
    check_epsilon,
    check_int,
    check_prng,
    check_values,
    pure_variance,
    unary_other_threshold,
)
from pyppml.dp.local.reports import Reports, check_array, check_reports

MAX_DOMAIN = 1 << 20  # d bits per report: 128 KiB each at the limit


class OptimizedUnaryEncoding:
    """Optimized unary encoding over items ``0 .. domain_size - 1``.

    Bits are independent: the own item's with P = 1/2 exactly (threshold 2^63), every
    other with P = q = T/2^64 for the smallest T with ratio (1 - q)/q <= e^epsilon, each
    decided by comparing a uniform 64-bit CSPRNG word with the threshold from the top bit,
    drawing its bits only while they tie (C++ kernel, ~2 random bits per bit).
    Variance ~ n 4 e^eps / (e^eps - 1)^2, independent of d; but a report is d bits, and
    perturbing costs O(d) per device.

    Parameters
    ----------
    epsilon : float
        2**-40 <= epsilon <= 20.
    domain_size : int
        2 <= d <= 2^20.

    Raises
    ------
    pyppml.ParameterError
        For a bad epsilon or domain_size.

    Example
    -------
    >>> import numpy as np
    >>> oue = OptimizedUnaryEncoding(epsilon=1.0, domain_size=20)
    >>> reports = oue.perturb(np.arange(20).repeat(200))
    >>> reports.values.shape
    (4000, 3)
    >>> est = oue.estimate(reports)
    >>> bool(np.all(np.abs(est - 200) < 6 * np.sqrt(oue.variance(4000))))
    True
    """

    protocol = "oue"
    params = ()

    def __init__(self, epsilon, domain_size):
        api = "OptimizedUnaryEncoding"
        self.epsilon = check_epsilon(api, epsilon)
        self.domain_size = check_int(api, "domain_size", domain_size, 2, MAX_DOMAIN)
        self.hit_threshold = 1 << 63
        self.other_threshold = unary_other_threshold(api, self.epsilon, self.hit_threshold)
        self.p = Fraction(self.hit_threshold, TWO64)  # exact P(own bit = 1) = 1/2
        self.q = Fraction(self.other_threshold, TWO64)  # exact P(other bit = 1)

    def perturb(self, values, *, prng=None) -> Reports:
        """Device side: packed bit rows ``(n, ceil(d/8))`` uint8, one per value.

        Parameters
        ----------
        values : array_like of int
            Items in ``[0, domain_size)``.
        prng : pyppml._core.Prng, optional
            Tests only: a seeded generator. Default: a fresh OS-keyed CSPRNG.
        """
        api = "OptimizedUnaryEncoding.perturb"
        v = check_values(api, values, self.domain_size).astype(np.uint32)
        prng = check_prng(api, prng)
        bits = _core.ldp_unary_perturb(v, self.domain_size, self.hit_threshold, self.other_threshold, prng)
        return Reports(self.protocol, self.epsilon, self.domain_size, self.params, bits)

    def _support_counts(self, reports) -> np.ndarray:
        api = "OptimizedUnaryEncoding.estimate"
        r = check_reports(api, reports, self)
        bits = check_array(api, "reports.values", r.values, np.uint8, (None, (self.domain_size + 7) // 8))
        return _core.ldp_bit_column_counts(bits, self.domain_size)[0].astype(np.float64)

    def estimate(self, reports) -> np.ndarray:
        """Server side: unbiased counts (C_x - n q)/(p - q), C_x the reports with bit x set.
        Padding bits past d are ignored."""
        c = self._support_counts(reports)
        p, q = float(self.p), float(self.q)
        return (c - len(reports) * q) / (p - q)

    def variance(self, n, true_counts=None) -> np.ndarray:
        """Variance of each estimate, float64 ``(domain_size,)``: exact for the given true
        counts; without them the paper's n q (1 - q)/(p - q)^2 = n 4 e^eps/(e^eps - 1)^2."""
        n = check_int("OptimizedUnaryEncoding.variance", "n", n, 1, 1 << 62)
        true_counts = check_counts("OptimizedUnaryEncoding.variance", true_counts, self.domain_size)
        var = pure_variance(float(self.p), float(self.q), n, true_counts)
        return np.broadcast_to(np.asarray(var, dtype=np.float64), (self.domain_size,)).copy()

    def expected_estimate(self, true_counts) -> np.ndarray:
        """Mean of ``estimate``: the true counts (unbiased)."""
        return np.asarray(true_counts, dtype=np.float64)

    def output_probabilities(self) -> np.ndarray:
        """Exact P(bits = b | item = v) as Fractions, shape (d, 2^d), output index
        sum_j b_j 2^j (d <= 12)."""
        d = check_int("OptimizedUnaryEncoding.output_probabilities", "domain_size", self.domain_size, 2, 12)
        out = np.empty((d, 1 << d), dtype=object)
        for v in range(d):
            for idx, b in enumerate(itertools.product((0, 1), repeat=d)):
                prob = Fraction(1)
                for j, bit in enumerate(reversed(b)):  # product() varies the last entry fastest
                    pj = self.p if j == v else self.q
                    prob *= pj if bit else 1 - pj
                out[v, idx] = prob
        return out
