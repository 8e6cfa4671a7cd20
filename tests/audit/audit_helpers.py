"""Shared by the audit tests: the 1e-6 critical values and the null law of the AUC."""

from __future__ import annotations

import math

import numpy as np

from pyppml import _core

FALSE_FAILURE = 1e-6
Z_TWO_SIDED = 4.8916  # P(|N(0,1)| > z) = 1e-6
Z_ONE_SIDED = 4.7534  # P(N(0,1) > z) = 1e-6


def auc_null_sd(m: int, n: int) -> float:
    """Standard deviation of the Mann-Whitney AUC when members and non-members are
    exchangeable and scores untied: sqrt((m + n + 1) / (12 m n)). Ties only shrink it."""
    return math.sqrt((m + n + 1) / (12.0 * m * n))


def uniform(prng, n: int) -> np.ndarray:
    """n uniforms in [0, 1) from 53 bits of the CSPRNG."""
    return (prng.uint64(n) >> np.uint64(11)).astype(np.float64) * 2.0**-53


def fresh_prng():
    return _core.Prng()


def memorizable_data(prng, n: int, d: int = 3):
    """Gaussian features, labels independent of them: only a memorising model fits them."""
    u = uniform(prng, 2 * n * d + n).reshape(-1)
    # Box-Muller: Gaussian features from CSPRNG uniforms.
    g = np.sqrt(-2.0 * np.log1p(-u[: n * d])) * np.cos(2.0 * np.pi * u[n * d: 2 * n * d])
    return g.reshape(n, d), (u[2 * n * d:] < 0.5).astype(int)


def linear_data(prng, n: int, d: int = 3):
    """Gaussian features, labels from a noisy linear rule (a model can learn them)."""
    X, _ = memorizable_data(prng, n, d)
    noise = memorizable_data(prng, n, 1)[0][:, 0]
    return X, (X[:, 0] - 0.5 * X[:, 1] + noise > 0).astype(int)
