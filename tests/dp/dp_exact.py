"""Exact privacy curves of k-fold compositions, computed here from each mechanism's own
law (the hockey-stick divergence of the composed privacy loss), without dp_accounting:
the independent reference the accountant tests compare with.

delta(eps) = E_P[(1 - e^(eps - L))_+], L = log P(y) / Q(y) the privacy loss of the k
outputs. All mechanisms here are symmetric (P and Q swap under a reflection), so one
direction suffices. Randomized response is the worst case of any epsilon-DP release
[Kairouz, Oh, Viswanath 2015]: every sound accountant must charge a pure epsilon-DP
release at least its curve.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq
from scipy.special import log_ndtr
from scipy.stats import binom


def _hockey_stick(probs: np.ndarray, losses: np.ndarray, eps: float) -> float:
    over = losses > eps
    return float(np.sum(probs[over] * -np.expm1(eps - losses[over])))


def _k_fold(pmf: np.ndarray, k: int) -> np.ndarray:
    out = pmf
    for _ in range(k - 1):
        out = np.convolve(out, pmf)
    return out


def randomized_response_delta(eps: float, k: int, eps_total: float, delta0: float = 0.0) -> float:
    """k-fold (eps, delta0) worst case: randomized response at eps plus a delta0 chance of
    revealing everything; j favourable answers out of k have loss (2j - k) eps."""
    j = np.arange(k + 1)
    rr = _hockey_stick(binom.pmf(j, k, 1.0 / (1.0 + math.exp(-eps))), (2 * j - k) * eps, eps_total)
    return 1.0 - (1.0 - delta0) ** k * (1.0 - rr)


def gaussian_delta(multiplier: float, k: int, eps_total: float) -> float:
    """k Gaussians of std / sensitivity ``multiplier``: one of multiplier / sqrt(k)
    (Balle and Wang 2018, Thm. 8), evaluated in logs for the tail."""
    s = multiplier / math.sqrt(k)
    a = log_ndtr(-eps_total * s + 0.5 / s)
    b = eps_total + log_ndtr(-eps_total * s - 0.5 / s)
    return float(math.exp(a) * -math.expm1(b - a))


def discrete_gaussian_delta(sigma: float, sensitivity: int, k: int, eps_total: float) -> float:
    """k discrete Gaussians N_Z(0, sigma^2) on a query moved by ``sensitivity``: the loss of
    y is (s^2 - 2 s y) / (2 sigma^2), affine in y, so the k-fold loss is that of the sum
    of the k outputs, whose law is the k-fold convolution."""
    r = int(math.ceil(40 * sigma)) + 5
    y = np.arange(-r, r + 1)
    pmf = np.exp(-(y.astype(np.float64) ** 2) / (2 * sigma**2))
    pmf /= pmf.sum()
    total = np.arange(-k * r, k * r + 1).astype(np.float64)
    losses = (k * sensitivity**2 - 2 * sensitivity * total) / (2 * sigma**2)
    return _hockey_stick(_k_fold(pmf, k), losses, eps_total)


def discrete_laplace_delta(scale: float, sensitivity: int, k: int, eps_total: float) -> float:
    """k discrete Laplace P(y) ∝ exp(-|y| / scale) on a query moved by ``sensitivity``: the
    loss (|y - s| - |y|) / scale is m / scale with m an integer in [-s, s]."""
    r = int(math.ceil(80 * scale)) + sensitivity
    y = np.arange(-r, r + 1)
    py = np.exp(-np.abs(y).astype(np.float64) / scale)
    py /= py.sum()
    m = np.abs(y - sensitivity) - np.abs(y)
    pm = np.bincount(m + sensitivity, weights=py, minlength=2 * sensitivity + 1)  # index m + s
    total = np.arange(-k * sensitivity, k * sensitivity + 1)
    return _hockey_stick(_k_fold(pm, k), total / scale, eps_total)


def epsilon_for_delta(delta_of_eps, delta: float, upper: float) -> float:
    """Smallest eps >= 0 with delta_of_eps(eps) <= delta (delta_of_eps decreasing)."""
    if delta_of_eps(0.0) <= delta:
        return 0.0
    return brentq(lambda e: delta_of_eps(e) - delta, 0.0, upper, xtol=1e-12, rtol=1e-12)
