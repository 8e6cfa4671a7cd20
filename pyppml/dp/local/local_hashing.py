"""Optimized local hashing (OLH) [WBLJ17]: a device hashes its item into
g = round(e^eps) + 1 buckets with a fresh key and reports (key, randomized-response of
the bucket over g values); the server counts, for every item, the reports whose key
hashes it to the reported bucket."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from pyppml import _core
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
from pyppml.dp.local.hashing import collision_probability, hash_items
from pyppml.dp.local.reports import Reports, check_array, check_reports

MAX_DOMAIN = 1 << 32
MAX_G = 1 << 31


class OptimizedLocalHashing:
    """Optimized local hashing over items ``0 .. domain_size - 1``.

    Device: key (a, b) = two fresh 64-bit CSPRNG words, bucket h = H_{a,b}(v) in [0, g)
    (``pyppml.dp.local.hashing``), then k-ary randomized response over the g buckets
    (keep with P = p' = T/2^64, T the largest with ratio <= e^epsilon). Server: item x is
    supported by a report when H_{a,b}(x) equals its bucket; P(support) is p* = p' for a
    device holding x and exactly q* = q' + (p' - q') P[collision] = 1/g + O(2^-32) for
    any other (the hash family is strongly universal). Variance ~ n 4 e^eps/(e^eps - 1)^2
    like OUE, with a report of 128 + 32 bits whatever d; estimation costs O(n d) hash
    evaluations (C++ AVX-512/AVX2 kernel).

    Parameters
    ----------
    epsilon : float
        2**-40 <= epsilon <= 20.
    domain_size : int
        2 <= d <= 2^32.
    g : int, optional
        Number of hash buckets, 2 <= g <= 2^31; default round(e^epsilon) + 1, the
        variance-optimal choice [WBLJ17].

    Raises
    ------
    pyppml.ParameterError
        For a bad epsilon, domain_size or g.

    Example
    -------
    >>> import numpy as np
    >>> olh = OptimizedLocalHashing(epsilon=1.0, domain_size=1000)
    >>> olh.g
    4
    >>> reports = olh.perturb(np.full(5000, 7))
    >>> reports.keys.shape, reports.values.dtype.name
    ((5000, 2), 'uint32')
    >>> est = olh.estimate(reports)
    >>> bool(abs(est[7] - 5000) < 6 * np.sqrt(olh.variance(5000, np.eye(1000)[7] * 5000)[7]))
    True
    """

    protocol = "olh"

    def __init__(self, epsilon, domain_size, g=None):
        api = "OptimizedLocalHashing"
        self.epsilon = check_epsilon(api, epsilon)
        self.domain_size = check_int(api, "domain_size", domain_size, 2, MAX_DOMAIN)
        if g is None:
            g = round(math.exp(self.epsilon)) + 1
        self.g = check_int(api, "g", g, 2, MAX_G)
        self.params = (self.g,)
        self.keep_threshold = rr_keep_threshold(api, self.epsilon, self.g, "g")
        p = Fraction(self.keep_threshold, TWO64)
        q = (1 - p) / (self.g - 1)
        self.bucket_p, self.bucket_q = p, q  # exact randomized response over the buckets
        self.p = p  # exact P(support | own item)
        self.q = q + (p - q) * collision_probability(self.g)  # exact P(support | other item)

    def perturb(self, values, *, prng=None) -> Reports:
        """Device side: keys uint64 ``(n, 2)`` and perturbed buckets uint32 ``(n,)``.

        Parameters
        ----------
        values : array_like of int
            Items in ``[0, domain_size)``.
        prng : pyppml._core.Prng, optional
            Tests only: a seeded generator. Default: a fresh OS-keyed CSPRNG.
        """
        api = "OptimizedLocalHashing.perturb"
        v = check_values(api, values, self.domain_size)
        prng = check_prng(api, prng)
        n = v.size
        keys = prng.uint64(2 * n).reshape(n, 2)
        h = hash_items(keys[:, 0], keys[:, 1], v, self.g).astype(np.uint64)
        keep = prng.uint64(n) < np.uint64(self.keep_threshold)
        if self.g == 2:
            other = 1 - h
        else:
            r = prng.uniform_mod(self.g - 1, n)
            other = r + (r >= h)
        y = np.where(keep, h, other).astype(np.uint32)
        return Reports(self.protocol, self.epsilon, self.domain_size, self.params, y, keys)

    def _support_counts(self, reports) -> np.ndarray:
        api = "OptimizedLocalHashing.estimate"
        r = check_reports(api, reports, self)
        y = check_array(api, "reports.values", r.values, np.uint32, (None,))
        keys = check_array(api, "reports.keys", r.keys, np.uint64, (y.size, 2))
        if y.size and int(y.max()) >= self.g:
            fail(api, "reports.values", "has a bucket out of range", f"< g = {self.g}", "a larger one")
        a = np.ascontiguousarray(keys[:, 0])
        b = np.ascontiguousarray(keys[:, 1])
        return _core.ldp_olh_support_counts(a, b, y, self.g, self.domain_size).astype(np.float64)

    def estimate(self, reports) -> np.ndarray:
        """Server side: unbiased counts (C_x - n q*)/(p* - q*), float64 ``(domain_size,)``."""
        c = self._support_counts(reports)
        p, q = float(self.p), float(self.q)
        return (c - len(reports) * q) / (p - q)

    def variance(self, n, true_counts=None) -> np.ndarray:
        """Variance of each estimate, float64 ``(domain_size,)``: exact for the given true
        counts; without them the paper's n q*(1 - q*)/(p* - q*)^2."""
        n = check_int("OptimizedLocalHashing.variance", "n", n, 1, 1 << 62)
        true_counts = check_counts("OptimizedLocalHashing.variance", true_counts, self.domain_size)
        var = pure_variance(float(self.p), float(self.q), n, true_counts)
        return np.broadcast_to(np.asarray(var, dtype=np.float64), (self.domain_size,)).copy()

    def expected_estimate(self, true_counts) -> np.ndarray:
        """Mean of ``estimate``: the true counts (unbiased over the fresh keys)."""
        return np.asarray(true_counts, dtype=np.float64)

    def output_probabilities(self, key) -> np.ndarray:
        """Exact P(bucket = y | item = v, key) as Fractions, shape (d, g) (d, g <= 256).
        The key is independent of v, so these ratios are the ratios of whole reports."""
        api = "OptimizedLocalHashing.output_probabilities"
        d = check_int(api, "domain_size", self.domain_size, 2, 256)
        check_int(api, "g", self.g, 2, 256)
        a, b = (int(k) for k in key)
        h = hash_items(np.uint64(a), np.uint64(b), np.arange(d), self.g)
        out = np.full((d, self.g), self.bucket_q, dtype=object)
        out[np.arange(d), h] = self.bucket_p
        return out
