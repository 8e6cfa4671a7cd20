"""Count-mean sketch (CMS) for large domains [Apple17, "Learning with Privacy at Scale"]:
a device picks one of k public hash functions, one-hot encodes its
item's bucket among m as a +-1 vector, flips each sign with probability 1/(e^(eps/2) + 1)
and sends (row index, m signs); the server adds the debiased vectors into a k x m sketch
and reads an item's count off its k buckets."""

from __future__ import annotations

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
    exp_bounds,
    smallest,
    unary_ratio,
)
from pyppml.dp.local.hashing import hash_items
from pyppml.dp.local.reports import Reports, check_array, check_reports

MAX_DOMAIN = 1 << 32


class CountMeanSketch:
    """Apple's count-mean sketch with k hash functions of m buckets each.

    Hash function l is H_{a_l,b_l} (``pyppml.dp.local.hashing``, m buckets) with public
    keys ``hash_keys[l]`` drawn once from the CSPRNG (or given, so that devices and
    server share them). Each sign is flipped when a 64-bit CSPRNG word is below
    T = ``flip_threshold``, the smallest T with ((2^64 - T)/T)^2 <= e^epsilon (two
    items differ in at most two signs). Over a random draw of the keys the estimate is
    unbiased; for fixed keys its mean is ``expected_estimate`` (hash collisions add
    the counts of items sharing buckets, minus their average). Noise variance
    ~ n (m/(m-1))^2 c^2 pi (1 - pi), c = (e^(eps/2)+1)/(e^(eps/2)-1): about 1.07x OUE's at
    eps = 1 and 2.4x at eps = 4, with m + log2 k bits per report and O(n m + k d) server
    work.

    Parameters
    ----------
    epsilon : float
        2**-40 <= epsilon <= 20.
    domain_size : int
        2 <= d <= 2^32.
    k : int, optional
        Number of hash functions (sketch rows), 1 <= k <= 2^16; default 64.
    m : int, optional
        Buckets per hash function (bits per report), 2 <= m <= 2^16; default 1024.
    hash_keys : array_like of uint64, shape (k, 2), optional
        The public hash keys; default: fresh from the CSPRNG.
    prng : pyppml._core.Prng, optional
        Tests only: the generator for the default hash keys.

    Raises
    ------
    pyppml.ParameterError
        For a bad epsilon, domain_size, k, m or hash_keys.

    Example
    -------
    >>> import numpy as np
    >>> cms = CountMeanSketch(epsilon=4.0, domain_size=10**6, k=16, m=256)
    >>> reports = cms.perturb(np.full(20000, 123456))
    >>> reports.keys.shape, reports.values.shape
    ((20000,), (20000, 32))
    >>> est = cms.estimate(reports, items=[123456, 7])
    >>> b = cms.buckets([123456, 7])                 # (k, 2): each hash function's buckets
    >>> rho = float(np.mean(b[:, 0] == b[:, 1]))     # share of hash functions colliding 7 with 123456
    >>> expect = cms.m / (cms.m - 1) * (20000 * np.array([1.0, rho]) - 20000 / cms.m)
    >>> bool(np.all(np.abs(est - expect) < 600))     # 6.4 x the largest possible std (93 here)
    True
    """

    protocol = "cms"

    def __init__(self, epsilon, domain_size, k=64, m=1024, hash_keys=None, *, prng=None):
        api = "CountMeanSketch"
        self.epsilon = check_epsilon(api, epsilon)
        self.domain_size = check_int(api, "domain_size", domain_size, 2, MAX_DOMAIN)
        self.k = check_int(api, "k", k, 1, 1 << 16)
        self.m = check_int(api, "m", m, 2, 1 << 16)
        self.params = (self.k, self.m)
        if hash_keys is None:
            hash_keys = check_prng(api, prng).uint64(2 * self.k).reshape(self.k, 2)
        self.hash_keys = check_array(api, "hash_keys", np.asarray(hash_keys), np.uint64, (self.k, 2)).copy()
        self.hash_keys.setflags(write=False)
        e_lo, _ = exp_bounds(self.epsilon)

        def ok(t):
            return unary_ratio(TWO64 - t, t) <= e_lo

        # Smallest flip threshold with ratio ((1 - f)/f)^2 <= e^eps, below 1/2: f = 1/2 would
        # make the report independent of the item and c = 1/(1 - 2f) a division by zero.
        if not ok(TWO64 // 2 - 1):
            fail(api, "epsilon", "is too small for 64-bit thresholds", "epsilon >= 2**-40", epsilon)
        self.flip_threshold = smallest(ok, 1, TWO64 // 2 - 1)
        self.flip = Fraction(self.flip_threshold, TWO64)  # exact P(a sign is flipped)
        self.c = 1 / (1 - 2 * self.flip)  # exact debiasing factor c_eps of [Apple17]

    def buckets(self, items) -> np.ndarray:
        """H_l(x) for every hash function l and item x: uint32 ``(k, len(items))``."""
        x = np.asarray(items, dtype=np.uint64)
        return hash_items(self.hash_keys[:, :1], self.hash_keys[:, 1:], x[None, :], self.m)

    def perturb(self, values, *, prng=None) -> Reports:
        """Device side: row indices uint32 ``(n,)`` (``keys``) and packed signs uint8
        ``(n, ceil(m/8))`` (``values``, bit 1 = +1).

        Parameters
        ----------
        values : array_like of int
            Items in ``[0, domain_size)``.
        prng : pyppml._core.Prng, optional
            Tests only: a seeded generator. Default: a fresh OS-keyed CSPRNG.
        """
        api = "CountMeanSketch.perturb"
        v = check_values(api, values, self.domain_size)
        prng = check_prng(api, prng)
        n = v.size
        j = prng.uniform_mod(self.k, n) if self.k > 1 else np.zeros(n, dtype=np.uint64)
        pos = hash_items(self.hash_keys[j, 0], self.hash_keys[j, 1], v, self.m)
        # The own bucket's sign stays +1 unless flipped: P(bit = 1) = 1 - f there, f elsewhere.
        bits = _core.ldp_unary_perturb(pos, self.m, TWO64 - self.flip_threshold, self.flip_threshold, prng)
        return Reports(self.protocol, self.epsilon, self.domain_size, self.params, bits, j.astype(np.uint32))

    def sketch(self, reports) -> np.ndarray:
        """The server's k x m sketch M of [Apple17] (float64), M[l] = k times the
        sum of the debiased vectors c/2 v + 1/2 of the reports that used row l."""
        api = "CountMeanSketch.estimate"
        r = check_reports(api, reports, self)
        bits = check_array(api, "reports.values", r.values, np.uint8, (None, (self.m + 7) // 8))
        rows = check_array(api, "reports.keys", r.keys, np.uint32, (bits.shape[0],))
        if rows.size and int(rows.max()) >= self.k:
            fail(api, "reports.keys", "has a row index out of range", f"< k = {self.k}", "a larger one")
        ones = _core.ldp_bit_column_counts(bits, self.m, rows, self.k).astype(np.float64)
        n_rows = np.bincount(rows, minlength=self.k).astype(np.float64)[:, None]
        c = float(self.c)
        return self.k * (c / 2 * (2 * ones - n_rows) + n_rows / 2)

    def estimate(self, reports, items=None) -> np.ndarray:
        """Server side: m/(m-1) ((1/k) sum_l M[l, H_l(x)] - n/m) for each item x
        [Apple17], float64; for every item of the domain by default (d <= 2^24)
        or for the given ``items``."""
        api = "CountMeanSketch.estimate"
        if items is None:
            check_int(api, "domain_size", self.domain_size, 2, 1 << 24)
            items = np.arange(self.domain_size)
        else:
            items = check_values(api, items, self.domain_size)
        sk = self.sketch(reports)
        items = np.asarray(items, dtype=np.uint64)
        total = np.empty(items.size)
        rows = np.arange(self.k)[:, None]
        for s in range(0, items.size, 1 << 16):  # bounded memory: k x 2^16 buckets at a time
            total[s:s + (1 << 16)] = sk[rows, self.buckets(items[s:s + (1 << 16)])].sum(axis=0) / self.k
        return self.m / (self.m - 1) * (total - len(reports) / self.m)

    def _rho(self, d: int) -> np.ndarray:
        """rho[v, x] = fraction of the k hash functions with H_l(v) == H_l(x)."""
        h = self.buckets(np.arange(d))
        rho = np.zeros((d, d))
        for row in h:
            rho += row[:, None] == row[None, :]
        return rho / self.k

    def expected_estimate(self, true_counts) -> np.ndarray:
        """Mean of ``estimate`` for these hash keys: m/(m-1)(sum_v c_v rho_v(x) - n/m),
        rho_v(x) the fraction of hash functions colliding v with x (d <= 4096)."""
        d = check_int("CountMeanSketch.expected_estimate", "domain_size", self.domain_size, 2, 4096)
        c = check_counts("CountMeanSketch.expected_estimate", true_counts, d)
        if c is None:
            fail("CountMeanSketch.expected_estimate", "true_counts", "is missing", "the true counts", None)
        return self.m / (self.m - 1) * (c @ self._rho(d) - c.sum() / self.m)

    def variance(self, n, true_counts=None) -> np.ndarray:
        """Variance of each estimate as if the hash functions never collided except by
        chance (rho = 1/m for other items) [Apple17]: (m/(m-1))^2 c^2 times
        sum_v c_v pi_v (1 - pi_v), pi = f + rho (1 - 2f); the count-0 form without
        true counts. ``exact_variance`` accounts for the actual keys."""
        n = check_int("CountMeanSketch.variance", "n", n, 1, 1 << 62)
        f, m, c = float(self.flip), self.m, float(self.c)
        pi0 = f + (1 - 2 * f) / m
        tc = check_counts("CountMeanSketch.variance", true_counts, self.domain_size)
        tc = 0.0 if tc is None else tc
        var = (n - tc) * pi0 * (1 - pi0) + tc * f * (1 - f)
        var = (m / (m - 1)) ** 2 * c * c * var
        return np.broadcast_to(np.asarray(var, dtype=np.float64), (self.domain_size,)).copy()

    def exact_variance(self, true_counts) -> np.ndarray:
        """Exact variance of each estimate for these hash keys (d <= 4096): the reports'
        contributions are independent, each +-c/2 + 1/2 with P(+) = pi_v(x)."""
        d = check_int("CountMeanSketch.exact_variance", "domain_size", self.domain_size, 2, 4096)
        tc = check_counts("CountMeanSketch.exact_variance", true_counts, d)
        if tc is None:
            fail("CountMeanSketch.exact_variance", "true_counts", "is missing", "the true counts", None)
        f, m, c = float(self.flip), self.m, float(self.c)
        pi = f + self._rho(d) * (1 - 2 * f)
        return (m / (m - 1)) ** 2 * c * c * (tc @ (pi * (1 - pi)))

    def output_probabilities(self) -> np.ndarray:
        """Exact P(row = l, signs = s | item = v) as Fractions, shape (d, k 2^m), output
        index l 2^m + sum_j s_j 2^j (d <= 64, k 2^m <= 2^12)."""
        api = "CountMeanSketch.output_probabilities"
        d = check_int(api, "domain_size", self.domain_size, 2, 64)
        check_int(api, "k * 2^m", self.k << self.m, 2, 1 << 12)
        h = self.buckets(np.arange(d))
        f = self.flip
        out = np.empty((d, self.k << self.m), dtype=object)
        for v in range(d):
            for l in range(self.k):
                for s in range(1 << self.m):
                    prob = Fraction(1, self.k)
                    for j in range(self.m):
                        bit = (s >> j) & 1
                        p1 = 1 - f if j == h[l, v] else f
                        prob *= p1 if bit else 1 - p1
                    out[v, (l << self.m) + s] = prob
        return out
