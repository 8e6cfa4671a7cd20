"""Helpers of the local-DP tests: the shared statistics of tests/dp and the exact moments
of an estimate that is a scaled sum of independent Bernoullis."""

from __future__ import annotations

import math
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from dp_stats import Z_POWER, Z_TWO_SIDED

__all__ = ["Z_POWER", "Z_TWO_SIDED", "assert_mean_and_variance", "bernoulli_sum_moments"]


def bernoulli_sum_moments(probs, counts, scale):
    """Central moments (mu2, mu4) of scale * sum of independent Bernoulli(probs[i]),
    counts[i] of each: cumulants add, kappa4 = p(1-p)(1 - 6p(1-p)), mu4 = k4 + 3 k2^2."""
    probs = np.asarray(probs, dtype=np.float64)
    counts = np.asarray(counts, dtype=np.float64)
    v = probs * (1 - probs)
    k2 = float((counts * v).sum())
    k4 = float((counts * v * (1 - 6 * v)).sum())
    return scale**2 * k2, scale**4 * (k4 + 3 * k2 * k2)


def assert_mean_and_variance(errors, mu2, mu4, what):
    """z-tests at false-failure 1e-6 each: mean of the errors against 0 (unbiasedness)
    and mean of their squares against mu2 (variance), with sd(e^2) = sqrt(mu4 - mu2^2)."""
    e = np.asarray(errors, dtype=np.float64)
    r = e.size
    se_mean = math.sqrt(mu2 / r)
    assert abs(e.mean()) <= Z_TWO_SIDED * se_mean, f"{what}: mean error {e.mean():.4g} (se {se_mean:.3g})"
    se_sq = math.sqrt((mu4 - mu2 * mu2) / r)
    got = float((e * e).mean())
    assert abs(got - mu2) <= Z_TWO_SIDED * se_sq, f"{what}: E[err^2] {got:.5g} vs variance {mu2:.5g} (se {se_sq:.3g})"
    return se_mean, se_sq
