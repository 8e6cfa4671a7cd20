"""Goodness-of-fit helpers with a fixed false-failure rate (1e-6 per test, as OpenDP)."""

from __future__ import annotations

import math

import numpy as np

FALSE_FAILURE = 1e-6
Z_TWO_SIDED = 4.8916  # P(|N(0,1)| > z) = 1e-6
Z_POWER = 4.7534  # P(N(0,1) > z) = 1e-6: the miss rate allowed at the effect a test must catch
SCALE_ERROR = 0.03  # every variance test must catch a noise scale off by 3% either way


def chi2_critical(df: int, alpha: float = FALSE_FAILURE) -> float:
    try:
        from scipy.stats import chi2

        return float(chi2.isf(alpha, df))
    except ImportError:  # Wilson-Hilferty: (X/df)^(1/3) ~ N(1 - 2/(9df), 2/(9df))
        z = 4.7534  # one-sided 1e-6
        h = 2.0 / (9.0 * df)
        return df * (1.0 - h + z * math.sqrt(h)) ** 3


def binned_chi_square(samples: np.ndarray, support: np.ndarray, pmf: np.ndarray, min_expected: float | None = None):
    """Chi-square statistic and degrees of freedom after merging consecutive support points
    (and the two tails, which absorb everything outside `support`) until every bin expects
    at least `min_expected` samples (default: n / 150, i.e. about 150 bins, which keeps
    the test sensitive to smooth departures such as a 1% error in the variance)."""
    n = samples.size
    if min_expected is None:
        min_expected = max(20.0, n / 150.0)
    lo, hi = int(support[0]), int(support[-1])
    counts = np.bincount(np.clip(samples, lo - 1, hi + 1) - (lo - 1), minlength=hi - lo + 3).astype(np.float64)
    expected = np.concatenate(([0.0], pmf * n, [0.0]))
    obs_bins, exp_bins = [], []
    acc_o = acc_e = 0.0
    for o, e in zip(counts, expected):
        acc_o += o
        acc_e += e
        if acc_e >= min_expected:
            obs_bins.append(acc_o)
            exp_bins.append(acc_e)
            acc_o = acc_e = 0.0
    obs_bins[-1] += acc_o
    exp_bins[-1] += acc_e
    obs = np.array(obs_bins)
    exp = np.array(exp_bins)
    exp *= n / exp.sum()  # pmf truncated far in the tails (mass < 1e-30)
    stat = float(((obs - exp) ** 2 / exp).sum())
    return stat, len(obs) - 1


def gaussian_pmf(var: float, width: float = 14.0):
    r = int(math.ceil(width * math.sqrt(var))) + 3
    k = np.arange(-r, r + 1)
    w = np.exp(-(k.astype(np.float64) ** 2) / (2 * var))
    return k, w / w.sum()


def laplace_pmf(scale: float, width: float = 45.0):
    r = int(math.ceil(width * scale)) + 3
    k = np.arange(-r, r + 1)
    w = np.exp(-np.abs(k).astype(np.float64) / scale)
    return k, w / w.sum()


def assert_fits(samples, support, pmf):
    stat, df = binned_chi_square(np.asarray(samples, dtype=np.int64), support, pmf)
    crit = chi2_critical(df)
    assert stat < crit, f"chi-square {stat:.1f} >= critical {crit:.1f} (df {df}, false-failure 1e-6)"


def assert_variance(samples, support, pmf):
    """Sample second moment against the exact one (z-test at 1e-6): the chi-square has
    little power against a small error in the scale, this test has a lot."""
    x = np.asarray(samples, dtype=np.float64)
    k = support.astype(np.float64)
    m2 = float((pmf * k**2).sum())
    m4 = float((pmf * k**4).sum())
    se = math.sqrt((m4 - m2 * m2) / x.size)
    got = float((x * x).mean())
    assert abs(got - m2) <= Z_TWO_SIDED * se, f"E[X^2] {got:.6g} vs exact {m2:.6g} (se {se:.3g})"


def samples_needed(m2, m4, m2_alt, m4_alt):
    """Sample size at which the z-test of E[X^2] (false failure 1e-6, see
    ``assert_second_moment``) misses a law with moments (m2_alt, m4_alt) with probability
    at most 1e-6: n = ((Z_TWO_SIDED sd0 + Z_POWER sd1) / |m2_alt - m2|)^2, sd = sd(X^2)."""
    sd0 = math.sqrt(m4 - m2 * m2)
    sd1 = math.sqrt(m4_alt - m2_alt * m2_alt)
    return math.ceil(((Z_TWO_SIDED * sd0 + Z_POWER * sd1) / abs(m2_alt - m2)) ** 2)


def gaussian_moments(sigma):
    """E[X^2], E[X^4] of N(0, sigma^2); the discrete Gaussian's differ by a relative
    < 1e-100 for sigma >= 10 (Poisson summation), far below any test's resolution."""
    return sigma**2, 3.0 * sigma**4


def discrete_laplace_moments(b):
    """Exact E[X^2], E[X^4] of P(k) ∝ exp(-|k|/b), p = e^(-1/b) (a difference of two
    geometric variables): 2p/(1-p)^2 and 2p(1+11p+11p^2+p^3)/((1+p)(1-p)^4)."""
    p = math.exp(-1.0 / b)
    q = -math.expm1(-1.0 / b)  # 1 - p without cancellation for large b
    return 2 * p / q**2, 2 * p * (1 + 11 * p + 11 * p * p + p**3) / ((1 + p) * q**4)


def pmf_moments(support, pmf):
    k = support.astype(np.float64)
    return float((pmf * k**2).sum()), float((pmf * k**4).sum())


def samples_for_scale_error(moments, scale):
    """Samples needed to catch ``moments(scale * (1 -+ SCALE_ERROR))`` against
    ``moments(scale)`` (the larger of the two sides)."""
    m2, m4 = moments(scale)
    return max(samples_needed(m2, m4, *moments(scale * f)) for f in (1 - SCALE_ERROR, 1 + SCALE_ERROR))


def assert_second_moment(samples, m2, m4, what=""):
    """z-test at false-failure 1e-6 of the mean of X^2 (noise with known mean 0) against
    the law's E[X^2] = m2, with sd(X^2) = sqrt(m4 - m2^2) from the law."""
    x = np.asarray(samples, dtype=np.float64)
    se = math.sqrt((m4 - m2 * m2) / x.size)
    got = float((x * x).mean())
    assert abs(got - m2) <= Z_TWO_SIDED * se, f"{what}: E[X^2] {got:.6g} vs documented {m2:.6g} (se {se:.3g})"
